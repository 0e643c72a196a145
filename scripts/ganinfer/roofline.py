"""Roofline context for the perf rows: multiply-accumulates per image counted on the simplified ONNX graph
(the chip's fp32 GEMM peak, the other half, is ``ganinfer.gemm``).

MACs count Conv, ConvTranspose, Gemm and MatMul (norms, activations, pads, resizes and
elementwise ops are left out, as in the usual published figures). A transposed
convolution is counted on its input grid (each input pixel is multiplied into a
k x k x C_out patch once), which is its real arithmetic.
"""

from __future__ import annotations

import math
from pathlib import Path

from ganinfer.errors import InputError
from ganinfer.onnxfile import load_onnx

MAC_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")


def _shapes(model) -> dict[str, list[int]]:
    """Static shape of every tensor of a shape-inferred model (initializers included)."""
    shapes = {t.name: list(t.dims) for t in model.graph.initializer}
    for vi in [*model.graph.input, *model.graph.value_info, *model.graph.output]:
        dims = vi.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = [d.dim_value for d in dims]
    return shapes


def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return a.i
    return default


def node_macs(node, shapes: dict[str, list[int]]) -> int:
    """Multiply-accumulates of one node; KeyError when a shape it needs is unknown."""
    if node.op_type == "Conv":
        out, w = shapes[node.output[0]], shapes[node.input[1]]
        return math.prod(out) * math.prod(w[1:])
    if node.op_type == "ConvTranspose":
        x, w = shapes[node.input[0]], shapes[node.input[1]]  # w: C_in x C_out/group x k x k
        return math.prod(x) * math.prod(w[1:])
    if node.op_type == "Gemm":
        a = shapes[node.input[0]]
        k = a[0] if _attr(node, "transA", 0) else a[1]
        return math.prod(shapes[node.output[0]]) * k
    if node.op_type == "MatMul":
        a = shapes[node.input[0]]
        return math.prod(shapes[node.output[0]]) * a[-1]
    return 0


# Initializers above this many elements lose their data before shape inference (weights; a Reshape's shape
# tensor, whose values shape inference reads, is far smaller).
SHAPE_ONLY_ABOVE = 1024


def drop_weight_data(model) -> None:
    """Drop the data of every initializer above SHAPE_ONLY_ABOVE elements, keeping its dims and type: all that
    shape inference reads of it. ``infer_shapes`` copies the whole model to C++ and back, weights included, a
    large part of a BigGAN macs job (docs/benchmarking.md#figures-behind-design-choices)."""
    for t in model.graph.initializer:
        if math.prod(t.dims) > SHAPE_ONLY_ABOVE:
            for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
                t.ClearField(field)


def graph_macs(onnx_path: str | Path) -> dict:
    """MACs per image of a graph with a fixed batch size, and the count per op type."""
    import onnx

    model = load_onnx(onnx_path)
    drop_weight_data(model)
    model = onnx.shape_inference.infer_shapes(model)
    shapes = _shapes(model)
    init = {t.name for t in model.graph.initializer}
    first = next(i for i in model.graph.input if i.name not in init)
    bs = shapes.get(first.name, [0])[0]
    if bs < 1:
        raise InputError(f"{onnx_path}: the batch axis is not fixed; count MACs on a simplified per-batch graph")
    per_op: dict[str, int] = {}
    for node in model.graph.node:
        if node.op_type in MAC_OPS:
            try:
                per_op[node.op_type] = per_op.get(node.op_type, 0) + node_macs(node, shapes)
            except KeyError as e:
                raise InputError(f"{onnx_path}: no static shape for {e} of {node.op_type} node {node.name!r}") from e
    total = sum(per_op.values())
    return {"batch_size": bs, "macs_per_image": total // bs, "macs_by_op": {k: v // bs for k, v in per_op.items()}}
