"""Stage `simplify`: fix the batch size, apply registry graph fix-ups, run onnxsim.

By hand:  python scripts/simplify-onnx.py --model dcgan --onnx dcgan.onnx --bs 4 --out dcgan_bs4.onnx
"""

from ganinfer import cli, registry
from ganinfer.onnxgraph import simplify_onnx


def run(model: str, onnx: str, bs: int, out: str):
    spec = registry.get(model)
    info = simplify_onnx(spec, onnx, bs, out)
    print(f"{model} bs{bs}: {info['nodes_before']} -> {info['nodes_after']} nodes -> {out}")


if __name__ == "__main__":
    cli.main(run)
