"""After ais_bench's timed run (``--loop``): the per-execution NPU compute times of its
summary json -> the workflow's perf record (same statistics and VALID rules as the
harness; throughput = 1000 * bs / mean NPU_compute_time, ais_bench's own figure; H2D and
D2H latencies kept beside it). Called by the `perf_ais_bench` rule after ais_bench.

By hand:  python scripts/perf_ais.py --model dcgan --chip Ascend310P3 --bs 4 \
              --raw results/dcgan/ais/Ascend310P3/perf_bs4 \
              --out results/dcgan/perf/Ascend310P3/bs4.json [--min-iterations 10 --min-seconds 1]
"""

import argparse
import os
import shutil

from ganinfer import cli, registry
from ganinfer.backends.ascend import ais_versions, find_summary, timed_latencies
from ganinfer.bench import BenchSettings, add_arguments, provenance, record, with_settings
from ganinfer.fileio import write_json
from ganinfer.stats import throughput


def run(model, chip, bs, raw, out, bench=None):
    registry.get(model)
    settings = BenchSettings.from_config(bench)
    latencies, summary = timed_latencies(raw)
    rec = record(latencies, bs, settings, elapsed=sum(latencies) / 1000.0, warmup_runs=settings.warmup)
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
        "provenance": {
            **provenance(os.path.dirname(os.path.abspath(__file__)), packages=ais_versions()),
            "device": chip,
        },
    }
    summary_path = find_summary(raw)
    write_json(rec, out)
    shutil.rmtree(raw, ignore_errors=True)
    summary_path.unlink(missing_ok=True)
    lat = rec["latency_ms"]
    print(
        f"{model} {chip} bs{bs}: {rec['throughput_fps']:.1f} img/s (NPU compute), mean {lat['mean']:.4f} ms, "
        f"{lat['count']} executions, {'VALID' if rec['valid'] else 'INVALID: ' + rec['invalid_reason']}"
    )


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("model", "chip", "raw", "out"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--bs", type=int, required=True)
    add_arguments(p)
    return cli.add_log(p)


if __name__ == "__main__":
    cli.main(with_settings(run), parser)
