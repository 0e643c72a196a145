"""Stage `import_onnx`: a model declared in the config (onnx_models) from the user's ONNX file: the graph
with its batch axis symbolic, and the record the tables read in place of a checkpoint's.

By hand:  python scripts/import-onnx.py --configfile my.yaml --model tinygen \
              --out results/tinygen/onnx/tinygen.onnx --info resources/weights/tinygen.json
"""

from ganinfer import cli, registry
from ganinfer.fileio import sha256_of, write_json
from ganinfer.onnxgraph import import_onnx


def run(model: str, out: str, info: str):
    spec = registry.get(model)
    facts = import_onnx(spec, out)
    record = {"model": model, "weights": "onnx", "source": spec.onnx, "sha256": sha256_of(spec.onnx), **facts}
    write_json(record, info)
    print(f"{model}: {spec.onnx} (batch axis {facts['batch']}, opset {facts['opset']}) -> {out}")


if __name__ == "__main__":
    cli.main(run)
