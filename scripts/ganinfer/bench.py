"""The timing harness shared by every backend (the performance run).

The settings are the config's ``perf`` keys (their meaning and defaults: config/README.md, generated
from config/schema.yaml): warm-up runs are excluded, then the same batch runs until both minimums are
met or ``max_seconds`` is reached. Each iteration is timed with ``time.perf_counter`` around the backend
call only, with Python's garbage collector paused. ``record`` applies the validity rules of
``perf.max_cov``; an INVALID record says why.

The record keeps the per-iteration latencies for the plots: every one, in order, as
``latencies_ms`` (rounded to the nanosecond) when there are at most ``MAX_STORED_LATENCIES``;
a longer run (a sub-millisecond model at a large ``min_seconds``) keeps instead
``latency_quantiles_ms``, the ``QUANTILES`` quantiles at 0, 0.1 %, ..., 100 % (each an observed
latency, so [0] is the minimum, [500] p50, [990] p99, [1000] the maximum). A record so holds
at most about 140 KB of JSON (10,000 latencies), about 15 KB past that whatever the iteration
count (every latency of 62,500 iterations would be 1.5 MB). The statistics are always computed
from every iteration.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import platform
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ganinfer.schema import setting
from ganinfer.stats import latency_quantiles, summarize, throughput

# config/schema.yaml's perf section gives the settings' defaults
_DEFAULTS = {key: prop["default"] for key, prop in setting("perf")["properties"].items()}


@dataclass(frozen=True)
class BenchSettings:
    """The harness's settings (the workflow's ``perf`` config); the defaults are the schema's."""

    warmup: int = _DEFAULTS["warmup"]
    warmup_seconds: float = _DEFAULTS["warmup_seconds"]
    min_iterations: int = _DEFAULTS["min_iterations"]
    min_seconds: float = _DEFAULTS["min_seconds"]
    max_seconds: float = _DEFAULTS["max_seconds"]
    max_cov: float = _DEFAULTS["max_cov"]

    @classmethod
    def from_config(cls, cfg: dict | None) -> BenchSettings:
        cfg = dict(cfg or {})
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__ if k in cfg})


def measure(fn: Callable[[], object], bs: int, settings: BenchSettings) -> dict:
    """Time ``fn`` (one batch of ``bs`` samples per call) and return the perf record."""
    clock = time.perf_counter
    started_at = time.time()
    start = clock()
    done = 0
    while done < settings.warmup or clock() - start < settings.warmup_seconds:
        fn()
        done += 1
    latencies: list[float] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection inside the loop would be charged to one iteration
    try:
        start = clock()
        while True:
            t0 = clock()
            fn()
            t1 = clock()
            latencies.append((t1 - t0) * 1000.0)
            elapsed = t1 - start
            if (len(latencies) >= settings.min_iterations and elapsed >= settings.min_seconds) or (
                elapsed >= settings.max_seconds
            ):
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return {**record(latencies, bs, settings, elapsed, warmup_runs=done), "wall_clock": [started_at, time.time()]}


# Per-iteration latencies a perf record keeps in full; above that, QUANTILES quantiles.
MAX_STORED_LATENCIES = 10_000
QUANTILES = 1001


def stored_latencies(latencies: list[float]) -> dict:
    """The record's latency field: ``latencies_ms`` (all, in ns-rounded ms) or ``latency_quantiles_ms``."""
    if len(latencies) <= MAX_STORED_LATENCIES:
        return {"latencies_ms": [round(x, 6) for x in latencies]}
    return {"latency_quantiles_ms": [round(x, 6) for x in latency_quantiles(latencies, QUANTILES)]}


def latency_sample(rec: dict) -> list[float]:
    """Equally weighted latencies (ms) of a perf record: every iteration, or its stored quantiles
    (records written before the quantiles existed hold every iteration too)."""
    return list(rec.get("latencies_ms") or rec.get("latency_quantiles_ms") or [])


# A backend with more than one way to time a batch (OpenVINO: synchronous LATENCY, async THROUGHPUT queue)
# is probed first: each mode in turn, PROBE_ROUNDS times, with these short settings; the faster is timed.
PROBE_ROUNDS = 2
PROBE = BenchSettings(warmup=1, warmup_seconds=0.1, min_iterations=3, min_seconds=0.25, max_seconds=5.0)


def choose_mode(modes: dict, bs: int, probe: BenchSettings = PROBE, rounds: int = PROBE_ROUNDS) -> tuple[str, dict]:
    """The mode of ``modes`` (name -> {call, batches_per_call, ...}) with the highest probe
    throughput (best of ``rounds`` alternating probes), and the probe record: every mode's
    images/s per round and the choice. One mode: no probe."""
    if len(modes) == 1:
        name = next(iter(modes))
        return name, {"chosen": name, "probes": {}}
    figures: dict[str, list[float]] = {name: [] for name in modes}
    for _ in range(rounds):
        for name, mode in modes.items():
            rec = measure(mode["call"], bs * mode["batches_per_call"], probe)
            figures[name].append(rec["throughput_fps"])
    best = max(figures, key=lambda n: max(figures[n]))
    probes = {
        name: {
            "throughput_fps": figures[name],
            "batches_per_call": modes[name]["batches_per_call"],
            **{k: v for k, v in modes[name].items() if k not in ("call", "batches_per_call")},
        }
        for name in modes
    }
    return best, {"chosen": best, "probes": probes, "probe_settings": asdict(probe)}


# A run that times itself (ais_bench --loop) gets its iteration count from a probe's mean; the timed
# run aims this much past min_seconds, so a probe that over-estimates the mean by up to 10 % (warm-up
# effects, jitter) still reaches min_seconds rather than landing just short of it.
LOOP_HEADROOM = 1.1


def calibrated_loop(mean_ms: float, settings: BenchSettings, headroom: float = LOOP_HEADROOM) -> int:
    """Iterations for a self-timed run from a probe's mean latency (ms):
    ``clamp(ceil(headroom * min_seconds / mean), min_iterations, floor(max_seconds / mean))``, at least 1
    (a device so slow that max_seconds holds fewer than min_iterations gets the max_seconds count, and its
    record says INVALID)."""
    if mean_ms <= 0:
        return max(1, settings.min_iterations)
    mean_s = mean_ms / 1000.0
    want = math.ceil(round(headroom * settings.min_seconds / mean_s, 6))
    cap = math.floor(round(settings.max_seconds / mean_s, 6))
    return max(1, min(max(want, settings.min_iterations), cap))


def record(latencies: list[float], bs: int, settings: BenchSettings, elapsed: float, warmup_runs: int) -> dict:
    """The perf record of per-iteration latencies (ms) that took ``elapsed`` seconds in all.

    Shared by the harness and by backends that time themselves (ais_bench's
    ``npu_compute_time_list``)."""
    stats = summarize(latencies)
    reasons = []
    if stats["count"] < settings.min_iterations:
        reasons.append(f"only {stats['count']} iterations < {settings.min_iterations}")
    if elapsed < settings.min_seconds:
        reasons.append(f"ran {elapsed:.2f} s < {settings.min_seconds} s")
    if stats["robust_cov"] > settings.max_cov:
        reasons.append(f"robust CoV {stats['robust_cov']:.3f} > {settings.max_cov}")
    skew = stats["mean"] / stats["p50"] - 1.0 if stats["p50"] > 0 else 0.0
    if abs(skew) > settings.max_cov:
        reasons.append(f"mean {100 * skew:+.0f}% off the median (outlier iterations) > {100 * settings.max_cov:.0f}%")
    return {
        "batch_size": bs,
        "latency_ms": stats,
        "throughput_fps": throughput(bs, stats["mean"]),
        "wall_throughput_fps": bs * stats["count"] / elapsed if elapsed > 0 else 0.0,
        "duration_s": elapsed,
        "valid": not reasons,
        "invalid_reason": "; ".join(reasons),
        "settings": asdict(settings),
        "warmup_runs": warmup_runs,
        **stored_latencies(latencies),
    }


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name(device_id: int = 0) -> str:
    """The NVIDIA GPU's name from nvidia-smi ('' without one)."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader", "-i", str(device_id)],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    name, _, driver = out.stdout.strip().partition(",")
    return f"{name.strip()} (driver {driver.strip()})" if out.returncode == 0 and name else ""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def git_commit(path: str) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def config_hash(config: dict | None) -> str:
    """First 12 hex digits of the sha256 of the workflow config (keys sorted), '' without one."""
    if not config:
        return ""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def provenance(workdir: str = ".", config: dict | None = None, packages: dict | None = None) -> dict:
    """Where and with what a figure was measured: host, CPU, cores, package versions,
    the workflow's git commit and the hash of the config it ran with."""
    import numpy

    return {
        "host": socket.gethostname(),
        "cpu": cpu_name(),
        "cores_available": available_cores(),
        "packages": {"python": platform.python_version(), "numpy": numpy.__version__, **(packages or {})},
        "git_commit": git_commit(workdir),
        "config_hash": config_hash(config),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
