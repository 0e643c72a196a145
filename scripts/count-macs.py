"""Stage `macs` (roofline): multiply-accumulates per image counted on a simplified
per-batch ONNX graph (Conv, ConvTranspose, Gemm, MatMul; transposed convolutions on
their input grid).

By hand:  python scripts/count-macs.py --model dcgan --onnx results/dcgan/onnx/dcgan_bs1.onnx --out dcgan_macs.json
"""

from ganinfer import cli, registry
from ganinfer.fileio import write_json
from ganinfer.roofline import graph_macs


def run(model: str, onnx: str, out: str):
    registry.get(model)
    info = {"model": model, "onnx": str(onnx), **graph_macs(onnx)}
    write_json(info, out)
    by_op = ", ".join(f"{op} {m / 1e6:,.1f} M" for op, m in sorted(info["macs_by_op"].items()))
    print(f"{model}: {info['macs_per_image'] / 1e6:,.2f} M MACs per image ({by_op}) -> {out}")


if __name__ == "__main__":
    cli.main(run)
