"""Benchmark of the timing harness itself (run by hand, not a workflow stage): for DCGAN
and CycleGAN (demo weights, released architectures) it prints

  1. harness overhead: the harness's throughput (1000 * bs / mean of per-iteration
     latencies) against a bare ``InferenceSession.run`` loop timed as a whole, in paired
     blocks of equal iteration counts, ABBA order (median of the per-pair ratios, IQR shown);
  2. ONNX Runtime against PyTorch eager (torch.no_grad, same threads, same harness);
  3. achieved GFLOP/s (MACs counted on the graph) against the fp32 GEMM peak measured
     with ONNX Runtime in the same run: the peak's size is found first (as the gemm_peak
     stage does), then model and GEMM run in ABBA pairs and the median ratio of their
     sustained rates (median latencies) is reported, so machine drift cancels.

DCGAN is measured at every batch size given and compared at its best one.

Usage:  python benchmarks/harness.py [--dcgan-bs 1 4 16 64] [--cyclegan-bs 1] [--pairs 12] \
            [--min-seconds 3] [--threads N] [--json out.json]
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path

from common import (
    abba,
    demo_onnx,
    demo_weights,
    feeds_for,
    paired_ratios,
    parser,
    print_machine,
    ratio_stats,
    write_json,
)
from ganinfer import registry
from ganinfer.backends.onnxruntime import OrtSession
from ganinfer.bench import BenchSettings, measure
from ganinfer.gemm import gemm_feeds, gemm_graph, gemm_peak
from ganinfer.networks import load_generator
from ganinfer.roofline import graph_macs
from ganinfer.stats import gflops

TARGETS = {"overhead_pct": 2.0, "ort_over_eager": 1.5, "percent_of_peak": 85.0}


def bare_loop_ms(session, feeds: dict, iterations: int) -> float:
    """Mean ms per call of a plain loop of ``InferenceSession.run``, timed as a whole."""
    t0 = time.perf_counter()
    for _ in range(iterations):
        session.run(None, feeds)
    return (time.perf_counter() - t0) * 1000.0 / iterations


def overhead(session: OrtSession, feeds: dict, latency_ms: float, pairs: int) -> dict:
    """Blocks of the same iteration count (about 0.5 s each): the harness's mean latency
    against a bare loop's; the overhead is the median per-pair ratio."""
    n = max(3, math.ceil(500.0 / latency_ms))
    block = BenchSettings(warmup=0, warmup_seconds=0, min_iterations=n, min_seconds=0)
    ms = abba(
        pairs,
        {
            "harness": lambda: measure(lambda: session.run(feeds), 1, block)["latency_ms"]["mean"],
            "bare": lambda: bare_loop_ms(session.session, feeds, n),
        },
    )
    harness, bare = ms["harness"], ms["bare"]
    med, q1, q3 = ratio_stats(paired_ratios(harness, bare))
    return {
        "harness_ms": statistics.median(harness),
        "bare_ms": statistics.median(bare),
        "overhead_pct": 100.0 * (med - 1.0),
        "overhead_iqr_pct": [100.0 * (q1 - 1.0), 100.0 * (q3 - 1.0)],
        "pairs": pairs,
        "iterations_per_block": n,
    }


def share_of_peak(session, feeds, bs, macs, peak_n, threads, pairs) -> dict:
    """The model's sustained GFLOP/s (2 MACs bs / median latency) against the GEMM's
    (2 n^3 / median latency) of the peak size, in ABBA pairs of one-second runs."""
    second = BenchSettings(warmup=1, warmup_seconds=0.2, min_iterations=5, min_seconds=1.0)
    gemm = OrtSession(gemm_graph(peak_n).SerializeToString(), "cpu", threads)
    gemm_feeds_ = gemm_feeds(peak_n)

    def model_rate():
        return gflops(macs, 1000.0 * bs / measure(lambda: session.run(feeds), bs, second)["latency_ms"]["p50"])

    def gemm_rate():
        return 2.0 * peak_n**3 / measure(lambda: gemm.run(gemm_feeds_), 1, second)["latency_ms"]["p50"] / 1e6

    rates = abba(pairs, {"model": model_rate, "peak": gemm_rate})
    model, peak = rates["model"], rates["peak"]
    med, q1, q3 = ratio_stats(paired_ratios(model, peak))
    return {
        "model_gflops": statistics.median(model),
        "peak_gflops_paired": statistics.median(peak),
        "percent_of_peak": 100.0 * med,
        "percent_of_peak_iqr": [100.0 * q1, 100.0 * q3],
    }


def eager_ms(spec, weights: Path, feeds: dict, threads: int, settings: BenchSettings) -> float:
    import torch

    torch.set_num_threads(threads)
    net, _ = load_generator(spec, str(weights))
    args = [torch.from_numpy(feeds[n]) for n in spec.input_names]
    with torch.no_grad():
        return measure(lambda: net(*args), 1, settings)["latency_ms"]["mean"]


def bench_model(name, sizes, workdir, threads, settings, pairs, peak) -> dict:
    spec = registry.get(name)
    weights = demo_weights(name, workdir)
    per_bs = {}
    for bs in sizes:
        onnx = demo_onnx(name, weights, bs, workdir)
        session, feeds = OrtSession(str(onnx), "cpu", threads), feeds_for(spec, bs)
        rec = measure(lambda session=session, feeds=feeds: session.run(feeds), bs, settings)
        per_bs[bs] = {"onnx": onnx, "session": session, "fps": rec["throughput_fps"], "valid": rec["valid"]}
        print(f"  {name} bs{bs}: {rec['throughput_fps']:,.1f} img/s (ONNX Runtime, harness)", flush=True)
    best = max(per_bs, key=lambda bs: per_bs[bs]["fps"])
    run = per_bs[best]
    feeds = feeds_for(spec, best)
    over = overhead(run["session"], feeds, 1000.0 * best / run["fps"], pairs)
    ort_fps = 1000.0 * best / over["harness_ms"]
    eager_fps = 1000.0 * best / eager_ms(spec, weights, feeds, threads, settings)
    macs = graph_macs(run["onnx"])["macs_per_image"]
    achieved = gflops(macs, ort_fps)
    shared = share_of_peak(run["session"], feeds, best, macs, peak["peak_n"], threads, pairs // 2)
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
        **shared,
    }


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--dcgan-bs", type=int, nargs="+", default=[1, 4, 16, 64])
    p.add_argument("--cyclegan-bs", type=int, nargs="+", default=[1])
    p.add_argument("--pairs", type=int, default=12, help="harness / bare-loop block pairs for the overhead")
    p.add_argument("--min-seconds", type=float, default=3.0)
    a = p.parse_args(argv)
    settings = BenchSettings(warmup=3, warmup_seconds=1.0, min_iterations=20, min_seconds=a.min_seconds)
    print_machine(a.threads)
    peak = gemm_peak("cpu", a.threads, settings)
    print(f"fp32 GEMM peak (ONNX Runtime MatMul): {peak['peak_gflops']:.1f} GFLOP/s at n={peak['peak_n']}", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, sizes in (("dcgan", a.dcgan_bs), ("cyclegan_sat2map", a.cyclegan_bs)):
            results.append(bench_model(name, sizes, Path(tmp), a.threads, settings, a.pairs, peak))
    print()
    print(
        "| model | best bs | harness ms | bare loop ms | overhead (IQR) | ORT img/s | eager img/s | ORT/eager "
        "| GFLOP/s (paired) | GEMM GFLOP/s (paired) | % of GEMM peak (IQR) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['model']} | {r['best_batch']} | {r['harness_ms']:.3f} | {r['bare_ms']:.3f} | "
            f"{r['overhead_pct']:+.2f} % ({r['overhead_iqr_pct'][0]:+.1f}..{r['overhead_iqr_pct'][1]:+.1f}) | "
            f"{r['ort_fps']:,.1f} | {r['eager_fps']:,.1f} | {r['ort_over_eager']:.2f} | "
            f"{r['model_gflops']:.1f} | {r['peak_gflops_paired']:.1f} | {r['percent_of_peak']:.1f} % "
            f"({r['percent_of_peak_iqr'][0]:.1f}..{r['percent_of_peak_iqr'][1]:.1f}) |"
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
    write_json(a.json, {"gemm_peak": peak, "models": results})


if __name__ == "__main__":
    main()
