"""Stage `reference`: the PyTorch generator on CPU over the same input files, batched.

Writes ``<stem>_0.bin`` per sample, the names the device outputs have.

By hand:  python scripts/run-reference.py --model dcgan --weights resources/weights/dcgan.pth \
              --inputs results/dcgan/inputs --out results/dcgan/reference
"""

from typing import Annotated

from ganinfer import cli, registry
from ganinfer.networks import load_generator
from ganinfer.reference import write_reference


def run(
    model: str,
    weights: str,
    inputs: str,
    out: str,
    batch: Annotated[int, cli.Setting("accuracy.reference_batch")],
    threads: int = 1,
):
    import torch

    torch.set_num_threads(max(1, int(threads)))
    spec = registry.get(model)
    net, _ = load_generator(spec, weights)
    count = write_reference(net, spec, inputs, batch, out)
    print(
        f"{model}: PyTorch {torch.__version__} reference for {count} samples, batch {batch}, "
        f"{torch.get_num_threads()} threads -> {out}"
    )


if __name__ == "__main__":
    cli.main(run)
