"""Side-by-side benchmark of the `openvino` chip against `cpu` (run by hand, not a workflow
stage, not a test): DCGAN bs16 and CycleGAN sat2map bs1 by default (demo weights, released
architectures), the same simplified ONNX for both, the same threads and harness settings,
timed as the perf job times them (OpenVINO: the LATENCY / THROUGHPUT probe first, the faster
kept). Each pair runs cpu then openvino, the next openvino then cpu (ABBA), so drift cancels
in the per-pair ratios; the median ratio and every pair's figures are printed.

Usage:  python scripts/benchmark_openvino.py [--cases dcgan:16 cyclegan_sat2map:1] [--pairs 4] \
            [--min-seconds 2] [--threads N] [--precision f32|bf16] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from benchmark_harness import demo_onnx, feeds_for
from ganinfer import registry
from ganinfer.backends import open_session
from ganinfer.bench import BenchSettings, available_cores, choose_mode, cpu_name, measure


def timed(session, feeds, bs: int, settings: BenchSettings) -> tuple[float, str]:
    """Images/s of ``session`` as perf.py measures it, and the mode it kept."""
    modes = session.perf_modes(feeds)
    name, _ = choose_mode(modes, bs)
    rec = measure(modes[name]["call"], bs * modes[name]["batches_per_call"], settings)
    return rec["throughput_fps"], name


def bench_case(name: str, bs: int, workdir: Path, threads: int, settings, pairs: int, precision: str) -> dict:
    spec = registry.get(name)
    onnx = demo_onnx(name, bs, workdir)
    feeds = feeds_for(spec, bs)
    sessions = {
        "cpu": open_session(str(onnx), "cpu", threads),
        "openvino": open_session(str(onnx), "openvino", threads, {"precision": precision}),
    }
    figures: dict[str, list[float]] = {"cpu": [], "openvino": []}
    modes = []
    for i in range(pairs):
        for chip in ("cpu", "openvino") if i % 2 == 0 else ("openvino", "cpu"):
            fps, mode = timed(sessions[chip], feeds, bs, settings)
            figures[chip].append(fps)
            if chip == "openvino":
                modes.append(mode)
        print(
            f"  {name} bs{bs} pair {i + 1}: cpu {figures['cpu'][-1]:,.1f} img/s, "
            f"openvino {figures['openvino'][-1]:,.1f} img/s ({modes[-1]})",
            flush=True,
        )
    ratios = [o / c for o, c in zip(figures["openvino"], figures["cpu"], strict=True)]
    return {
        "model": name,
        "batch_size": bs,
        "cpu_fps": figures["cpu"],
        "openvino_fps": figures["openvino"],
        "openvino_modes": modes,
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", nargs="+", default=["dcgan:16", "cyclegan_sat2map:1"], help="model:bs")
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--min-seconds", type=float, default=2.0)
    p.add_argument("--threads", type=int, default=available_cores())
    p.add_argument("--precision", choices=["f32", "bf16"], default="f32")
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args(argv)
    settings = BenchSettings(warmup=2, warmup_seconds=0.5, min_iterations=10, min_seconds=a.min_seconds)
    print(f"{cpu_name()}, {available_cores()} cores available, {a.threads} threads", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in a.cases:
            name, bs = case.split(":")
            results.append(bench_case(name, int(bs), Path(tmp), a.threads, settings, a.pairs, a.precision))
    print()
    print(f"| model / bs | ONNX Runtime img/s | OpenVINO {a.precision} img/s | OV/ORT (median of pairs) |")
    print("|---|---|---|---|")
    for r in results:
        print(
            f"| {r['model']} bs{r['batch_size']} | {statistics.median(r['cpu_fps']):,.2f} | "
            f"{statistics.median(r['openvino_fps']):,.2f} | {r['median_ratio']:.2f} |"
        )
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
