"""Per-batch simplification (onnxsim), registry-declared graph fix-ups, and a declared model's graph imported."""

from __future__ import annotations

import sys
from pathlib import Path

from ganinfer.errors import CONFIG_HINT, InputError
from ganinfer.onnxfile import io_names, load_onnx, save_checked
from ganinfer.spec import ModelSpec


def import_onnx(spec: ModelSpec, out: str | Path) -> dict:
    """A declared model's graph as the workflow's ONNX: the same nodes and weights, its first axis
    (of every input and output) symbolic, named ``-1`` as in the exports. Returns the original batch
    axis (an int when the graph fixed it, else its name) and the graph's opset."""
    import onnx

    model = load_onnx(spec.onnx)
    names = {*spec.input_names, spec.output.name}
    batch = None
    for v in [*model.graph.input, *model.graph.output]:
        if v.name in names:
            dim = v.type.tensor_type.shape.dim[0]
            batch = batch or (dim.dim_value if dim.HasField("dim_value") else dim.dim_param or "?")
            dim.Clear()
            dim.dim_param = "-1"
    if isinstance(batch, int):  # intermediate shapes inferred at the fixed batch would contradict it
        del model.graph.value_info[:]
    try:
        save_checked(model, out)
    except onnx.checker.ValidationError as exc:
        first = (str(exc).strip().splitlines() or ["invalid"])[0][:160]
        raise InputError(f"{spec.onnx}: not a valid ONNX model ({first}); re-export it") from None
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    return {"batch": batch, "opset": opset, **io_names(model)}


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


FIXUPS = {"clip_max": clip_max, "name_output_node": name_output_node}


def import_onnxsim():
    """onnxsim, imported with its optional torch and sympy hidden unless they are loaded already.

    onnxsim's package import probes its optional PPQ bridge by importing torch and its model_info imports sympy
    for symbolic MAC formulas, much of the import's time (docs/benchmarking.md#figures-behind-design-choices);
    simplify() uses neither. Hand-written: onnxsim has no switch.
    """
    hidden = [name for name in ("torch", "sympy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # `import name` raises ImportError while this is set
    try:
        import onnxsim
    finally:
        for name in hidden:
            del sys.modules[name]
    return onnxsim


def simplify_onnx(spec: ModelSpec, source: str, bs: int, out: str | Path) -> dict:
    """Fix the batch to ``bs``, simplify with onnxsim, apply the registry's graph fix-ups."""
    onnxsim = import_onnxsim()

    model = load_onnx(source)
    before = len(model.graph.node)
    shapes = {t.name: list(t.batch_shape(bs)) for t in spec.inputs}

    def fixed_batch(detail: str) -> InputError:
        return InputError(
            f"{source}: does not run at batch size {bs} ({detail}); a graph that fixes its batch inside (e.g. in "
            f"a Reshape) serves only that batch: set batch_sizes.{spec.name} to it, or re-export with a dynamic "
            "batch axis"
        )

    try:
        simplified, ok = onnxsim.simplify(model, overwrite_input_shapes=shapes)
    except Exception as exc:  # noqa: BLE001  (onnxsim raises whatever ONNX Runtime or its checker raise)
        raise fixed_batch((str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]) from None
    out_batch, *out_shape = next(iter(io_names(simplified)["output"].values()))
    if isinstance(out_batch, int) and out_batch not in (0, bs):
        raise fixed_batch(f"its output has batch {out_batch}")
    if spec.onnx and all(isinstance(d, int) for d in out_shape) and tuple(out_shape) != spec.output.shape:
        raise InputError(
            f"{source}: the output of one sample is {out_shape} at batch size {bs}, the declaration says "
            f"{list(spec.output.shape)}; fix onnx_models.{spec.name}.output_shape (in {CONFIG_HINT})"
        )
    if not ok:
        raise InputError(f"{source}: onnxsim could not validate the simplified model at bs {bs}; re-export it")
    for fix in spec.graph_fixups:  # on the graph ATC will read
        FIXUPS[fix](simplified, spec)
    save_checked(simplified, out)
    return {"nodes_before": before, "nodes_after": len(simplified.graph.node), **io_names(simplified)}
