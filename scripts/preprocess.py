"""Stage `preprocess`: seeded input samples, float32 raw .bin, one sample per file.

By hand:  python scripts/preprocess.py --model dcgan --samples 64 --seed 0 --out results/dcgan/inputs
"""

import argparse

from ganinfer import cli, registry
from ganinfer.preprocess import make_inputs


def run(model, samples, seed, out, weights=None, dataset=None):
    spec = registry.get(model)
    made = make_inputs(spec, samples, seed, out, weights, dataset)
    print(f"{model}: {made} samples x {spec.input_names} -> {out}")


def _samples(value: str):
    return value if value == "all" else int(value)


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--samples", type=_samples, required=True, help="a number, or 'all' (every dataset image)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--weights", help="checkpoint, for preprocess kinds that need it")
    p.add_argument("--dataset", help="image folder, for image models (absent = demo images)")
    return cli.add_log(p)


def from_snakemake(smk):
    return dict(
        model=smk.wildcards.model,
        samples=smk.params.samples,
        seed=smk.params.seed,
        out=smk.output[0],
        weights=smk.input.get("weights"),
        dataset=smk.params.dataset or None,
    )


if __name__ == "__main__":
    cli.main(run, parser, globals().get("snakemake"), from_snakemake)
