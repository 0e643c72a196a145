"""ONNX files: read one (a corrupt file is one line), write one checked, name its inputs and outputs.

A leaf of the ONNX stages (export, simplify, import, MACs, declared models' checks): it knows files, not models.
"""

from __future__ import annotations

from pathlib import Path

from ganinfer.fileio import atomic_path, unreadable


def load_onnx(path, external_data: bool = True):
    """``onnx.load``, a truncated or corrupt file being a one-line error saying how to rebuild it."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        return onnx.load(str(path), load_external_data=external_data)
    except (DecodeError, ValueError, RuntimeError, OSError) as exc:
        raise unreadable(path, "ONNX model", exc) from None


def save_checked(model, out: str | Path) -> None:
    """Check ``model`` with the ONNX checker and write it to ``out`` (atomically), serialised once for both
    (``check_model`` then ``onnx.save`` serialise it twice, a cost in BigGAN's jobs:
    docs/benchmarking.md#figures-behind-design-choices)."""
    import onnx

    data = model.SerializeToString()
    onnx.checker.check_model(data)
    with atomic_path(Path(out)) as tmp:
        tmp.write_bytes(data)


def io_names(model) -> dict:
    """Input and output names with their shapes (``-1``/names for symbolic dims)."""

    def dims(value_info):
        return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]

    init = {i.name for i in model.graph.initializer}
    return {
        "inputs": {v.name: dims(v) for v in model.graph.input if v.name not in init},
        "output": {v.name: dims(v) for v in model.graph.output},
    }
