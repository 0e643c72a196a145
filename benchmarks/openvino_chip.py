"""Side-by-side benchmark of the `openvino` chip against `cpu` (run by hand, not a workflow
stage, not a test): DCGAN bs16 and CycleGAN sat2map bs1 by default (demo weights, released
architectures), the same simplified ONNX for both, the same threads and harness settings,
timed as the perf job times them (OpenVINO: the LATENCY / THROUGHPUT probe first, the faster
kept). Each pair runs cpu then openvino, the next openvino then cpu (ABBA), so drift cancels
in the per-pair ratios; the median ratio and every pair's figures are printed.

Usage:  python benchmarks/openvino_chip.py [--cases dcgan:16 cyclegan_sat2map:1] [--pairs 4] \
            [--min-seconds 2] [--threads N] [--precision f32|bf16] [--json out.json]
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from common import abba, demo_onnx, demo_weights, feeds_for, paired_ratios, parser, perf_fps, print_machine, write_json
from ganinfer import registry
from ganinfer.backends import open_session
from ganinfer.bench import BenchSettings

CHIPS = ("cpu", "openvino")


def bench_case(name: str, bs: int, workdir: Path, threads: int, settings, pairs: int, precision: str) -> dict:
    onnx = demo_onnx(name, demo_weights(name, workdir), bs, workdir)
    feeds = feeds_for(registry.get(name), bs)
    sessions = {
        "cpu": open_session(str(onnx), "cpu", threads),
        "openvino": open_session(str(onnx), "openvino", threads, {"precision": precision}),
    }

    def show(i, results):
        (cpu, _), (openvino, mode) = results["cpu"][-1], results["openvino"][-1]
        print(
            f"  {name} bs{bs} pair {i + 1}: cpu {cpu:,.1f} img/s, openvino {openvino:,.1f} img/s ({mode})", flush=True
        )

    results = abba(pairs, {c: lambda c=c: perf_fps(sessions[c], feeds, bs, settings) for c in CHIPS}, show)
    fps = {c: [f for f, _ in results[c]] for c in CHIPS}
    ratios = paired_ratios(fps["openvino"], fps["cpu"])
    return {
        "model": name,
        "batch_size": bs,
        "cpu_fps": fps["cpu"],
        "openvino_fps": fps["openvino"],
        "openvino_modes": [mode for _, mode in results["openvino"]],
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
    }


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--cases", nargs="+", default=["dcgan:16", "cyclegan_sat2map:1"], help="model:bs")
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--min-seconds", type=float, default=2.0)
    p.add_argument("--precision", choices=["f32", "bf16"], default="f32")
    a = p.parse_args(argv)
    settings = BenchSettings(warmup=2, warmup_seconds=0.5, min_iterations=10, min_seconds=a.min_seconds)
    print_machine(a.threads)
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
    write_json(a.json, results)


if __name__ == "__main__":
    main()
