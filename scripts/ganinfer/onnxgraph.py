"""ONNX export, per-batch simplification and registry-declared graph fix-ups."""

from __future__ import annotations

from pathlib import Path

from ganinfer.errors import InputError
from ganinfer.fileio import atomic_path, unreadable
from ganinfer.registry import ModelSpec


def io_names(model) -> dict:
    """Input and output names with their shapes (``-1``/names for symbolic dims)."""

    def dims(value_info):
        return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]

    init = {i.name for i in model.graph.initializer}
    return {
        "inputs": {v.name: dims(v) for v in model.graph.input if v.name not in init},
        "output": {v.name: dims(v) for v in model.graph.output},
    }


def export_onnx(spec: ModelSpec, weights: str, out: str | Path, bs: int | None = None) -> dict:
    """Export the checkpoint's generator with the guide's input/output names and opset.

    Without ``bs`` the batch axis is dynamic (named ``-1`` as in the guides); with it the
    graph is fixed to that batch (models the guides export per batch size).
    """
    import onnx
    import torch

    from ganinfer.checkpoint import load_generator

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
        graph = onnx.load(str(tmp))
        onnx.checker.check_model(graph)
    return io_names(graph)


def clip_max(model, spec: ModelSpec | None = None, value: float = 2048.0) -> int:
    """Give every Clip node an explicit max input (ATC and onnxsim need one).

    Returns the number of Clip nodes changed.
    """
    import numpy as np
    from onnx import numpy_helper

    name = "clip_max_value"
    changed = 0
    for node in model.graph.node:
        if node.op_type != "Clip":
            continue
        inputs = list(node.input) + [""] * (3 - len(node.input))
        if inputs[2]:
            continue
        inputs[2] = name
        del node.input[:]
        node.input.extend(inputs)
        changed += 1
    if changed:
        model.graph.initializer.append(numpy_helper.from_array(np.array(value, dtype=np.float32), name))
    return changed


def name_output_node(model, spec: ModelSpec) -> int:
    """Give the node that produces the graph output the name ATC's ``--out_nodes`` names
    (the guide's auto-generated ``Tanh_156`` for CycleGAN); returns 1 when renamed."""
    wanted = spec.atc.out_nodes.split(":", 1)[0]
    output = model.graph.output[0].name
    for node in model.graph.node:
        if output in node.output:
            if node.name == wanted:
                return 0
            node.name = wanted
            return 1
    raise InputError(f"graph output {output} has no producing node; re-export the model")


def load_onnx(path):
    """``onnx.load``, a truncated or corrupt file being a one-line error saying how to rebuild it."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        return onnx.load(str(path))
    except (DecodeError, ValueError, RuntimeError, OSError) as exc:
        raise unreadable(path, "ONNX model", exc) from None


FIXUPS = {"clip_max": clip_max, "name_output_node": name_output_node}


def simplify_onnx(spec: ModelSpec, source: str, bs: int, out: str | Path) -> dict:
    """Fix the batch to ``bs``, simplify with onnxsim, apply the registry's graph fix-ups."""
    import onnx
    import onnxsim

    model = load_onnx(source)
    before = len(model.graph.node)
    shapes = {t.name: list(t.batch_shape(bs)) for t in spec.inputs}
    simplified, ok = onnxsim.simplify(model, overwrite_input_shapes=shapes)
    if not ok:
        raise InputError(f"{source}: onnxsim could not validate the simplified model at bs {bs}; re-export it")
    for fix in spec.graph_fixups:  # on the graph ATC will read
        FIXUPS[fix](simplified, spec)
    onnx.checker.check_model(simplified)
    with atomic_path(Path(out)) as tmp:
        onnx.save(simplified, str(tmp))
    return {"nodes_before": before, "nodes_after": len(simplified.graph.node), **io_names(simplified)}
