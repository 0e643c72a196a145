"""Stage `preprocess`: seeded input samples, float32 raw .bin, one sample per file.

By hand:  python scripts/prepare-inputs.py --model dcgan --samples 64 --seed 0 --out results/dcgan/inputs
"""

from typing import Annotated

from ganinfer import cli, registry
from ganinfer.preprocess import make_inputs


def sample_count(value: str):
    return value if value == "all" else int(value)


def run(
    model: str,
    samples: Annotated[int | str, cli.Arg(type=sample_count, help="a number, or 'all' (every dataset image)")],
    seed: Annotated[int, cli.Setting("seed")],
    out: str,
    weights: Annotated[str | None, cli.Arg(help="checkpoint, for preprocess kinds that need it")] = None,
    dataset: Annotated[str | None, cli.Arg(help="image folder, for image models (absent = demo images)")] = None,
):
    spec = registry.get(model)
    made = make_inputs(spec, samples, seed, out, weights, dataset or None)
    print(f"{model}: {made} samples x {spec.input_names} -> {out}")


if __name__ == "__main__":
    cli.main(run)
