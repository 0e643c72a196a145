"""Stage `simplify`: fix the batch size, apply registry graph fix-ups, run onnxsim.

By hand:  python scripts/simplify.py --model dcgan --onnx dcgan.onnx --bs 4 --out dcgan_bs4.onnx
"""

import argparse

from ganinfer import cli, registry
from ganinfer.onnxgraph import simplify_onnx


def run(model, onnx, bs, out):
    spec = registry.get(model)
    info = simplify_onnx(spec, onnx, bs, out)
    print(f"{model} bs{bs}: {info['nodes_before']} -> {info['nodes_after']} nodes -> {out}")


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--onnx", required=True)
    p.add_argument("--bs", type=int, required=True)
    p.add_argument("--out", required=True)
    return cli.add_log(p)


def from_snakemake(smk):
    return dict(model=smk.wildcards.model, onnx=smk.input.onnx, bs=int(smk.wildcards.bs), out=smk.output[0])


if __name__ == "__main__":
    cli.main(run, parser, globals().get("snakemake"), from_snakemake)
