"""Stage `reference`: the PyTorch generator on CPU over the same input files, batched.

Writes ``<stem>_0.bin`` per sample, the names the device outputs have.

By hand:  python scripts/reference.py --model dcgan --weights resources/weights/dcgan.pth \
              --inputs results/dcgan/inputs --out results/dcgan/reference
"""

import argparse

from ganinfer import cli, registry
from ganinfer.checkpoint import load_generator
from ganinfer.reference import write_reference


def run(model, weights, inputs, out, batch=64, threads=1):
    import torch

    torch.set_num_threads(max(1, int(threads)))
    spec = registry.get(model)
    net, _ = load_generator(spec, weights)
    count = write_reference(net, spec, inputs, batch, out)
    print(
        f"{model}: PyTorch {torch.__version__} reference for {count} samples, batch {batch}, "
        f"{torch.get_num_threads()} threads -> {out}"
    )


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    return cli.add_log(p)


def from_snakemake(smk):
    return dict(
        model=smk.wildcards.model,
        weights=smk.input.weights,
        inputs=smk.input.inputs,
        out=smk.output[0],
        batch=smk.params.batch,
        threads=smk.threads,
    )


if __name__ == "__main__":
    cli.main(run, parser, globals().get("snakemake"), from_snakemake)
