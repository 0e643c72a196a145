"""The chip's fp32 GEMM peak: square MatMul graphs timed with the chip's session and the shared harness.

It puts the perf rows in context (% of peak, the roofline plot); a timed job like perf.
"""

from __future__ import annotations

import numpy as np

from ganinfer.backends import open_session
from ganinfer.bench import measure

GEMM_SIZES = (256, 384, 512, 768, 1024)  # the square MatMul sizes n the GEMM peak is measured at
GEMM_REPEATS = 2  # every size is timed this many times, in turn


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


def precision(session, provider_options=None) -> str:
    """What the fp32 graph is computed in: fp16 (TensorRT with fp16, the cpu-fp16 emulation), bf16 (OpenVINO bf16),
    fp32."""
    if str((provider_options or {}).get("trt_fp16_enable")) == "True":
        return "fp16"
    return {"bf16": "bf16", "fp16": "fp16"}.get(getattr(session, "precision", ""), "fp32")


def gemm_peak(chip: str, threads: int, settings, sizes=GEMM_SIZES, repeats=GEMM_REPEATS, provider_options=None):
    """Time an n x n x n fp32 MatMul of each size on ``chip`` with its session (ONNX Runtime, OpenVINO) and the
    shared harness, every size ``repeats`` times in turn; the peak is the best sustained
    rate, 2 n^3 / median latency (a preempted iteration does not lower it, a lucky one does
    not raise it). TensorRT with fp16 enabled computes the fp32 graph in fp16: the record
    says so, as does OpenVINO's with ``precision: bf16``."""
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
