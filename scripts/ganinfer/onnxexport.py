"""PyTorch generator -> ONNX, with the guide's input and output names, opset and batch axis."""

from __future__ import annotations

from pathlib import Path

from ganinfer.fileio import atomic_path
from ganinfer.networks import load_generator
from ganinfer.onnxfile import io_names
from ganinfer.spec import ModelSpec


def export_onnx(spec: ModelSpec, weights: str, out: str | Path, bs: int | None = None) -> dict:
    """Export the checkpoint's generator with the guide's input/output names and opset.

    Without ``bs`` the batch axis is dynamic (named ``-1`` as in the guides); with it the
    graph is fixed to that batch (models the guides export per batch size).
    """
    import onnx
    import torch

    model, _ = load_generator(spec, weights)
    dummy = tuple(torch.zeros(t.batch_shape(bs or 1)) for t in spec.inputs)
    names = [*spec.input_names, spec.output.name]
    dynamic = {n: {0: "-1"} for n in names} if bs is None else None
    with atomic_path(Path(out)) as tmp, torch.no_grad():
        torch.onnx.export(
            model,
            dummy,
            str(tmp),
            input_names=spec.input_names,
            output_names=[spec.output.name],
            dynamic_axes=dynamic,
            opset_version=spec.opset,
            do_constant_folding=True,
            dynamo=False,
        )
        data = tmp.read_bytes()
        onnx.checker.check_model(data)
        graph = onnx.ModelProto.FromString(data)
    return io_names(graph)
