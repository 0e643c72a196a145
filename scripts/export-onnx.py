"""Stage `export`: PyTorch generator -> ONNX with the guide's names, opset and batch axis.

By hand:  python scripts/export-onnx.py --model dcgan --weights resources/weights/dcgan.pth --out dcgan.onnx
"""

from typing import Annotated

from ganinfer import cli, registry
from ganinfer.onnxexport import export_onnx


def run(
    model: str,
    weights: str,
    out: str,
    bs: Annotated[int | None, cli.Arg(help="fix the batch size (default: dynamic batch axis)")] = None,
):
    spec = registry.get(model)
    info = export_onnx(spec, weights, out, bs)
    print(f"{model}: opset {spec.opset}, inputs {info['inputs']}, output {info['output']} -> {out}")


if __name__ == "__main__":
    cli.main(run)
