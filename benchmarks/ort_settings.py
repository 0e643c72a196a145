"""ONNX Runtime's session settings for the `cpu` chip, measured (run by hand, not a workflow stage, not a
test): each variant against the session the perf job opens (ganinfer.backends.onnxruntime.OrtSession:
ORT_ENABLE_ALL, sequential execution, intra-op threads = the job's, one inter-op thread, spinning on), on the
same simplified ONNX (demo weights, released architectures), timed as the perf job times. Each pair runs the
baseline then the variant, the next the variant then the baseline (ABBA); the median of the per-pair
ratios (variant / baseline) is printed per case.

Usage:  python benchmarks/ort_settings.py [--cases dcgan:16 gan:64 cyclegan_sat2map:1] [--pairs 4] \
            [--min-seconds 1] [--threads N] [--variants spin_off ...] [--json out.json]
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from common import abba, demo_onnx, demo_weights, feeds_for, paired_ratios, parser, perf_fps, print_machine, write_json
from ganinfer import registry
from ganinfer.backends.onnxruntime import NO_SPINNING, OrtSession
from ganinfer.bench import BenchSettings


def _level(name):
    def change(opts):
        import onnxruntime as ort

        opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, name)

    return change


def _entry(key, value):
    return lambda opts: opts.add_session_config_entry(key, value)


def _attr(name, value):
    return lambda opts: setattr(opts, name, value)


VARIANTS = {
    "spin_off": _entry(*NO_SPINNING),
    "opt_extended": _level("ORT_ENABLE_EXTENDED"),
    "opt_basic": _level("ORT_ENABLE_BASIC"),
    "no_cpu_arena": _attr("enable_cpu_mem_arena", False),
    "no_mem_pattern": _attr("enable_mem_pattern", False),
    "denormal_as_zero": _entry("session.set_denormal_as_zero", "1"),
    "dynamic_block_4": _entry("session.dynamic_block_base", "4"),
}


class VariantSession(OrtSession):
    """The perf job's session with one setting changed: ``change`` is given its SessionOptions."""

    def __init__(self, onnx: str, threads: int, change):
        self.change = change
        super().__init__(onnx, "cpu", threads)

    def session_options(self, threads: int, shared: bool):
        opts = super().session_options(threads, shared)
        self.change(opts)
        return opts


def compare(onnx: Path, feeds, bs: int, variant: str, threads: int, settings, pairs: int) -> dict:
    sessions = {
        "baseline": OrtSession(str(onnx), "cpu", threads),
        "variant": VariantSession(str(onnx), threads, VARIANTS[variant]),
    }
    fps = abba(pairs, {n: lambda s=s: perf_fps(s, feeds, bs, settings)[0] for n, s in sessions.items()})
    ratios = paired_ratios(fps["variant"], fps["baseline"])
    return {"variant": variant, "baseline_fps": fps["baseline"], "variant_fps": fps["variant"], "ratios": ratios}


def main(argv=None):
    p = parser(__doc__)
    p.add_argument("--cases", nargs="+", default=["dcgan:16", "gan:64", "cyclegan_sat2map:1"], help="model:bs")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--min-seconds", type=float, default=1.0)
    a = p.parse_args(argv)
    settings = BenchSettings(warmup=2, warmup_seconds=0.3, min_iterations=10, min_seconds=a.min_seconds)
    print_machine(a.threads)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in a.cases:
            name, bs = case.split(":")
            onnx = demo_onnx(name, demo_weights(name, Path(tmp)), int(bs), Path(tmp))
            feeds = feeds_for(registry.get(name), int(bs))
            for variant in a.variants:
                r = compare(onnx, feeds, int(bs), variant, a.threads, settings, a.pairs)
                r.update(model=name, batch_size=int(bs))
                results.append(r)
                print(
                    f"  {name} bs{bs} {variant}: median ratio {statistics.median(r['ratios']):.3f} "
                    f"(pairs {', '.join(f'{x:.3f}' for x in r['ratios'])}; baseline median "
                    f"{statistics.median(r['baseline_fps']):,.1f} img/s)",
                    flush=True,
                )
    print()
    cases = list(dict.fromkeys(f"{r['model']} bs{r['batch_size']}" for r in results))
    print("| variant | " + " | ".join(cases) + " |")
    print("|---" * (len(cases) + 1) + "|")
    for variant in a.variants:
        cells = [
            f"{statistics.median(r['ratios']):.3f}"
            for case in cases
            for r in results
            if r["variant"] == variant and f"{r['model']} bs{r['batch_size']}" == case
        ]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    write_json(a.json, results)


if __name__ == "__main__":
    main()
