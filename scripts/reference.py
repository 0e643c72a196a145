"""Stage `reference`: the PyTorch generator on CPU over the same input files, batched.

Writes ``<stem>_0.bin`` per sample, the names the device outputs have.

By hand:  python scripts/reference.py --model dcgan --weights resources/weights/dcgan.pth \
              --inputs results/dcgan/inputs --out results/dcgan/reference
"""

from pathlib import Path
from typing import Annotated

from ganinfer import cli, registry
from ganinfer.checkpoint import load_generator
from ganinfer.fileio import atomic_dir, write_bin
from ganinfer.inputs import InputSet


def run(
    model: str,
    weights: str,
    inputs: str,
    out: str,
    batch: Annotated[int, cli.Setting("accuracy.reference_batch")],
    threads: int = 1,
):
    import torch

    torch.set_num_threads(max(1, threads))
    spec = registry.get(model)
    net, _ = load_generator(spec, weights)
    samples = InputSet(spec, inputs)
    with atomic_dir(Path(out)) as tmp, torch.no_grad():
        for stems, feeds in samples.batches(batch, pad=False):
            result = net(*(torch.from_numpy(feeds[n]) for n in spec.input_names)).numpy()
            for j, stem in enumerate(stems):
                write_bin(result[j], tmp / f"{stem}_0.bin")
    print(f"{model}: PyTorch {torch.__version__} reference for {len(samples)} samples -> {out}")


if __name__ == "__main__":
    cli.main(run)
