"""ais_bench's timed run, calibrated: a probe run (``--loop`` a few) gives the mean NPU_compute_time, the
timed run then loops ``calibrated_loop(mean)`` times (enough for perf.min_seconds, at least
perf.min_iterations, at most perf.max_seconds), and its per-execution times become the workflow's perf
record (same statistics and VALID rules as the harness; throughput = 1000 * bs / mean NPU_compute_time,
ais_bench's own figure; H2D and D2H latencies kept beside it; the probe, the loop used and the timed
duration recorded). Called twice by the `perf_ais_bench` rule: with ``--calibrate`` after the probe (prints
the loop count), then after the timed run.

By hand:  python scripts/time-ais-bench.py --calibrate --probe results/dcgan/ais/Ascend310P3/probe_bs4 \\
              --model dcgan --chip Ascend310P3 --bs 4 --min-seconds 1 ...            # prints the loop count
          python scripts/time-ais-bench.py --model dcgan --chip Ascend310P3 --bs 4 --loop 2000 --warmup-count 5 \\
              --probe results/dcgan/ais/Ascend310P3/probe_bs4 --raw results/dcgan/ais/Ascend310P3/perf_bs4 \\
              --out results/dcgan/perf/Ascend310P3/bs4.json [--min-iterations 10 --min-seconds 1]
"""

import os
from typing import Annotated

from ganinfer import cli, registry
from ganinfer.backends.ascend import ais_versions, find_summary, remove_raw, timed_latencies
from ganinfer.bench import LOOP_HEADROOM, BenchSettings, calibrated_loop, provenance, record
from ganinfer.errors import InputError
from ganinfer.fileio import read_json, write_json
from ganinfer.stats import throughput


def probe_stats(probe) -> dict:
    summary = read_json(find_summary(probe))
    compute = summary.get("NPU_compute_time") or {}
    mean = float(compute.get("mean") or 0.0)
    if mean <= 0:
        raise InputError(f"{find_summary(probe)}: the probe run's mean NPU_compute_time is {mean}; see the rule's log")
    return {"mean_ms": mean, "count": int(compute.get("count", len(summary.get("npu_compute_time_list", []))))}


def loop_count(probe, bench=None) -> int:
    """The timed run's ``--loop`` from the probe's summary (printed for the rule's shell)."""
    try:
        loop = calibrated_loop(probe_stats(probe)["mean_ms"], BenchSettings.from_config(bench))
    except InputError:
        remove_raw(probe)
        raise
    print(loop)
    return loop


def run(
    model: str,
    chip: str,
    bs: int,
    probe: str,
    bench: Annotated[dict, cli.Setting("perf")],
    raw: Annotated[str | None, cli.Arg(help="the timed run's output folder")] = None,
    out: Annotated[str | None, cli.Arg(help="the perf record")] = None,
    loop: Annotated[int, cli.Arg(help="the timed run's --loop")] = 0,
    warmup_count: int = 0,
    calibrate: Annotated[bool, cli.Arg(help="print the timed run's --loop")] = False,
):
    registry.get(model)
    if calibrate:
        loop_count(probe, bench)
        return
    try:
        settings = BenchSettings.from_config(bench)
        latencies, summary = timed_latencies(raw)
        probed = probe_stats(probe)
        if len(latencies) != loop:
            raise InputError(
                f"{find_summary(raw)}: {len(latencies)} NPU compute times for --loop {loop} on one batch; "
                "see the rule's log"
            )
        rec = record(latencies, bs, settings, elapsed=sum(latencies) / 1000.0, warmup_runs=warmup_count)
    finally:
        remove_raw(raw)
        remove_raw(probe)
    h2d = summary.get("H2D_latency", {}).get("mean")
    d2h = summary.get("D2H_latency", {}).get("mean")
    e2e = None if h2d is None or d2h is None else throughput(bs, rec["latency_ms"]["mean"] + h2d + d2h)
    rec = {
        "model": model,
        "chip": chip,
        "backend": "ais_bench",
        "threads": "",
        "runtime_version": "ais_bench",
        **rec,
        # throughput_fps is ais_bench's device-only figure; end-to-end adds the copies
        "timing": "device-only",
        "throughput_e2e_fps": e2e,
        "ais_bench_throughput": summary.get("throughput"),
        "H2D_latency_ms": h2d,
        "D2H_latency_ms": d2h,
        "calibration": {
            "probe_executions": probed["count"],
            "probe_mean_ms": probed["mean_ms"],
            "headroom": LOOP_HEADROOM,
            "loop": loop,
            "warmup_count": warmup_count,
        },
        "provenance": {
            **provenance(os.path.dirname(os.path.abspath(__file__)), packages=ais_versions()),
            "device": chip,
        },
    }
    write_json(rec, out)
    lat = rec["latency_ms"]
    print(
        f"{model} {chip} bs{bs}: {rec['throughput_fps']:.1f} img/s (NPU compute), mean {lat['mean']:.4f} ms, "
        f"probe mean {probed['mean_ms']:.4f} ms -> --loop {loop}, {rec['duration_s']:.2f} s timed, "
        f"{'VALID' if rec['valid'] else 'INVALID: ' + rec['invalid_reason']}"
    )


if __name__ == "__main__":
    cli.main(run)
