"""Benchmark of the timing harness itself (run by hand, not a workflow stage): for DCGAN
and CycleGAN (demo weights, released architectures) it prints

  1. harness overhead: the harness's throughput (1000 * bs / mean of per-iteration
     latencies) against a bare ``InferenceSession.run`` loop timed as a whole, in
     alternating rounds (median of the rounds);
  2. ONNX Runtime against PyTorch eager (torch.no_grad, same threads, same harness);
  3. achieved GFLOP/s (MACs counted on the graph) against the fp32 GEMM peak measured
     with ONNX Runtime in the same run.

DCGAN is measured at every batch size given and compared at its best one.

Usage:  python scripts/benchmark_harness.py [--dcgan-bs 1 4 16 64] [--cyclegan-bs 1] [--rounds 5] \
            [--min-seconds 3] [--threads N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ganinfer import registry
from ganinfer.backends.onnxruntime import OrtSession
from ganinfer.bench import BenchSettings, available_cores, cpu_name, measure
from ganinfer.checkpoint import demo_checkpoint, load_generator, save_atomic
from ganinfer.onnxgraph import export_onnx, simplify_onnx
from ganinfer.roofline import gemm_peak, gflops, graph_macs

TARGETS = {"overhead_pct": 2.0, "ort_over_eager": 1.5, "percent_of_peak": 85.0}


def feeds_for(spec, bs: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {t.name: rng.standard_normal(t.batch_shape(bs), dtype=np.float32) for t in spec.inputs}


def bare_loop_ms(session, feeds: dict, iterations: int) -> float:
    """Mean ms per call of a plain loop of ``InferenceSession.run``, timed as a whole."""
    t0 = time.perf_counter()
    for _ in range(iterations):
        session.run(None, feeds)
    return (time.perf_counter() - t0) * 1000.0 / iterations


def overhead(session: OrtSession, feeds: dict, settings: BenchSettings, rounds: int) -> dict:
    """Alternate harness and bare-loop rounds of the same iteration count."""
    harness, bare = [], []
    for _ in range(rounds):
        rec = measure(lambda: session.run(feeds), 1, settings)
        harness.append(rec["latency_ms"]["mean"])
        bare.append(bare_loop_ms(session.session, feeds, rec["latency_ms"]["count"]))
    h, b = statistics.median(harness), statistics.median(bare)
    return {"harness_ms": h, "bare_ms": b, "overhead_pct": 100.0 * (h / b - 1.0), "rounds": rounds}


def eager_ms(spec, weights: Path, feeds: dict, threads: int, settings: BenchSettings) -> float:
    import torch

    torch.set_num_threads(threads)
    net, _ = load_generator(spec, str(weights))
    args = [torch.from_numpy(feeds[n]) for n in spec.input_names]
    with torch.no_grad():
        return measure(lambda: net(*args), 1, settings)["latency_ms"]["mean"]


def bench_model(name, sizes, workdir, threads, settings, rounds, peak) -> dict:
    spec = registry.get(name)
    weights = workdir / f"{name}.pth"
    save_atomic(demo_checkpoint(spec, 0), weights)
    dynamic = workdir / f"{name}.onnx"
    export_onnx(spec, str(weights), dynamic)
    per_bs = {}
    for bs in sizes:
        onnx = workdir / f"{name}_bs{bs}.onnx"
        simplify_onnx(spec, str(dynamic), bs, onnx)
        session, feeds = OrtSession(str(onnx), "cpu", threads), feeds_for(spec, bs)
        rec = measure(lambda session=session, feeds=feeds: session.run(feeds), bs, settings)
        per_bs[bs] = {"onnx": onnx, "session": session, "fps": rec["throughput_fps"], "valid": rec["valid"]}
        print(f"  {name} bs{bs}: {rec['throughput_fps']:,.1f} img/s (ONNX Runtime, harness)", flush=True)
    best = max(per_bs, key=lambda bs: per_bs[bs]["fps"])
    run = per_bs[best]
    feeds = feeds_for(spec, best)
    over = overhead(run["session"], feeds, settings, rounds)
    ort_fps = 1000.0 * best / over["harness_ms"]
    eager_fps = 1000.0 * best / eager_ms(spec, weights, feeds, threads, settings)
    macs = graph_macs(run["onnx"])["macs_per_image"]
    achieved = gflops(macs, ort_fps)
    return {
        "model": name,
        "best_batch": best,
        "throughput_by_batch": {bs: r["fps"] for bs, r in per_bs.items()},
        **over,
        "ort_fps": ort_fps,
        "eager_fps": eager_fps,
        "ort_over_eager": ort_fps / eager_fps,
        "macs_per_image": macs,
        "achieved_gflops": achieved,
        "percent_of_peak": 100.0 * achieved / peak,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dcgan-bs", type=int, nargs="+", default=[1, 4, 16, 64])
    p.add_argument("--cyclegan-bs", type=int, nargs="+", default=[1])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-seconds", type=float, default=3.0)
    p.add_argument("--threads", type=int, default=available_cores())
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args(argv)
    settings = BenchSettings(warmup=3, warmup_seconds=1.0, min_iterations=20, min_seconds=a.min_seconds)
    print(f"{cpu_name()}, {available_cores()} cores available, {a.threads} threads", flush=True)
    peak = gemm_peak("cpu", a.threads, settings)
    print(f"fp32 GEMM peak (ONNX Runtime MatMul): {peak['peak_gflops']:.1f} GFLOP/s at n={peak['peak_n']}", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, sizes in (("dcgan", a.dcgan_bs), ("cyclegan_sat2map", a.cyclegan_bs)):
            results.append(bench_model(name, sizes, Path(tmp), a.threads, settings, a.rounds, peak["peak_gflops"]))
    print()
    print(
        "| model | best bs | harness ms | bare loop ms | overhead | ORT img/s | eager img/s | ORT/eager "
        "| GFLOP/s | % of GEMM peak |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['model']} | {r['best_batch']} | {r['harness_ms']:.3f} | {r['bare_ms']:.3f} | "
            f"{r['overhead_pct']:+.2f} % | {r['ort_fps']:,.1f} | {r['eager_fps']:,.1f} | {r['ort_over_eager']:.2f} | "
            f"{r['achieved_gflops']:.1f} | {r['percent_of_peak']:.1f} % |"
        )
    dcgan = results[0]
    print()
    print(
        f"targets: |overhead| <= {TARGETS['overhead_pct']} % (all: "
        f"{'met' if all(abs(r['overhead_pct']) <= TARGETS['overhead_pct'] for r in results) else 'NOT met'}), "
        f"DCGAN ORT/eager >= {TARGETS['ort_over_eager']} ({'met' if dcgan['ort_over_eager'] >= 1.5 else 'NOT met'}), "
        f"DCGAN >= {TARGETS['percent_of_peak']} % of peak "
        f"({'met' if dcgan['percent_of_peak'] >= TARGETS['percent_of_peak'] else 'NOT met'})"
    )
    if a.json:
        Path(a.json).write_text(json.dumps({"gemm_peak": peak, "models": results}, indent=2, default=str))


if __name__ == "__main__":
    main()
