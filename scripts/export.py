"""Stage `export`: PyTorch generator -> ONNX with the guide's names, opset and batch axis.

By hand:  python scripts/export.py --model dcgan --weights resources/weights/dcgan.pth --out dcgan.onnx
"""

import argparse

from ganinfer import cli, registry
from ganinfer.onnxgraph import export_onnx


def run(model, weights, out, bs=None):
    spec = registry.get(model)
    info = export_onnx(spec, weights, out, bs)
    print(f"{model}: opset {spec.opset}, inputs {info['inputs']}, output {info['output']} -> {out}")


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--bs", type=int, help="fix the batch size (default: dynamic batch axis)")
    return cli.add_log(p)


def from_snakemake(smk):
    bs = smk.wildcards.get("bs")
    return dict(model=smk.wildcards.model, weights=smk.input.weights, out=smk.output[0], bs=int(bs) if bs else None)


if __name__ == "__main__":
    cli.main(run, parser, globals().get("snakemake"), from_snakemake)
