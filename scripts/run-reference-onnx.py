"""Stage `reference` of a model declared in the config (onnx_models): ONNX Runtime's CPU fp32 run of
the original graph (graph optimisations off) over the same input files, batched.

Writes ``<stem>_0.bin`` per sample, the names the device outputs have.

By hand:  python scripts/run-reference-onnx.py --configfile my.yaml --model tinygen \
              --onnx results/tinygen/onnx/tinygen.onnx --inputs results/tinygen/inputs --out results/tinygen/reference
"""

from typing import Annotated

from ganinfer import cli, registry
from ganinfer.onnxreference import write_onnx_reference


def run(
    model: str,
    onnx: str,
    inputs: str,
    out: str,
    batch: Annotated[int, cli.Setting("accuracy.reference_batch")],
    threads: int = 1,
):
    import onnxruntime as ort

    spec = registry.get(model)
    count, used = write_onnx_reference(onnx, spec, inputs, batch, out, threads)
    note = "" if used == batch else f" (the graph does not run at batch {batch})"
    print(
        f"{model}: ONNX Runtime {ort.__version__} CPU fp32 reference for {count} samples, batch {used}{note} -> {out}"
    )


if __name__ == "__main__":
    cli.main(run)
