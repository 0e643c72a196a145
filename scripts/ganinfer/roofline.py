"""Roofline context for the perf rows: multiply-accumulates per image counted on the
simplified ONNX graph, and the fp32 GEMM peak of the chip measured with the same runtime.

MACs count Conv, ConvTranspose, Gemm and MatMul (norms, activations, pads, resizes and
elementwise ops are left out, as in the usual published figures). A transposed
convolution is counted on its input grid (each input pixel is multiplied into a
k x k x C_out patch once), which is its real arithmetic.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ganinfer.errors import InputError
from ganinfer.onnxgraph import load_onnx

MAC_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul")
GEMM_SIZES = (256, 384, 512, 768, 1024)  # the square MatMul sizes n the GEMM peak is measured at


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
    shape inference reads of it. ``infer_shapes`` copies the whole model to C++ and back (1.4 s of a 3.1 s
    BigGAN macs job on the 2-core EPYC VM, for 269 MB of weights)."""
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


def gemm_graph(n: int):
    """An ONNX model with one fp32 n x n x n MatMul (inputs A, B)."""
    from onnx import TensorProto, helper

    io = [helper.make_tensor_value_info(name, TensorProto.FLOAT, [n, n]) for name in ("A", "B", "Y")]
    graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["Y"])], f"gemm{n}", io[:2], io[2:])
    # IR 8 / opset 13: accepted by every onnxruntime the workflow supports
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def gemm_feeds(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal((n, n), dtype=np.float32) for name in ("A", "B")}


def gflops(macs_per_image: float, images_per_s: float) -> float:
    """Achieved GFLOP/s (one MAC = two floating-point operations)."""
    return 2.0 * macs_per_image * images_per_s / 1e9


def precision(session, provider_options=None) -> str:
    """What the fp32 graph is computed in: fp16 (TensorRT with fp16), bf16 (OpenVINO bf16), fp32."""
    if str((provider_options or {}).get("trt_fp16_enable")) == "True":
        return "fp16"
    return {"bf16": "bf16"}.get(getattr(session, "precision", ""), "fp32")


GEMM_REPEATS = 2  # every size is timed this many times, in turn


def gemm_peak(chip: str, threads: int, settings, sizes=GEMM_SIZES, repeats=GEMM_REPEATS, provider_options=None):
    """Time an n x n x n fp32 MatMul of each size on ``chip`` with its session (ONNX Runtime, OpenVINO) and the
    shared harness, every size ``repeats`` times in turn; the peak is the best sustained
    rate, 2 n^3 / median latency (a preempted iteration does not lower it, a lucky one does
    not raise it). TensorRT with fp16 enabled computes the fp32 graph in fp16: the record
    says so, as does OpenVINO's with ``precision: bf16``."""
    from ganinfer.backends import open_session
    from ganinfer.bench import measure

    sessions = {n: open_session(gemm_graph(n).SerializeToString(), chip, threads, provider_options) for n in sizes}
    runs = []
    for _ in range(repeats):
        for n, session in sessions.items():
            feeds = gemm_feeds(n)
            rec = measure(lambda session=session, feeds=feeds: session.run(feeds), 1, settings)
            lat = rec["latency_ms"]
            runs.append(
                {
                    "n": n,
                    "gflops": 2.0 * n**3 / (lat["p50"] / 1000.0) / 1e9,
                    "gflops_mean": 2.0 * n**3 / (lat["mean"] / 1000.0) / 1e9,
                    "latency_ms": lat,
                    "valid": rec["valid"],
                    "wall_clock": rec["wall_clock"],
                }
            )
    best = max(runs, key=lambda r: r["gflops"])
    session = sessions[best["n"]]
    return {
        "chip": chip,
        "precision": precision(session, provider_options),
        "peak_gflops": best["gflops"],
        "peak_n": best["n"],
        "threads": session.threads,
        "providers": session.providers,
        "runs": runs,
        "wall_clock": [runs[0]["wall_clock"][0], runs[-1]["wall_clock"][1]],
    }
