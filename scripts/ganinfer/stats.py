"""Latency statistics shared by the accuracy-run summary and the timing harness."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def percentile(values, p: float) -> float:
    """Nearest-rank percentile: the ``ceil(p n / 100)``-th smallest of n values (at least the first), as
    MLPerf and onnxruntime_perf_test index the sorted list.

    The rank is computed exactly (``p`` as the decimal it prints as): numpy's ``inverted_cdf`` rounds
    ``p / 100 * n`` in floating point and takes the next value when that lands just above an integer
    (p7 of 100 values: 0.07 * 100 = 7.000000000000001, the 8th value)."""
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if x.size == 0 or not 0 <= p <= 100:
        raise ValueError(f"percentile: need at least one value and 0 <= p <= 100, got {x.size} values, p={p}")
    rank = max(math.ceil(Fraction(repr(float(p))) * x.size / 100), 1)
    return float(x[rank - 1])


def latency_quantiles(values, count: int) -> list[float]:
    """``count`` nearest-rank quantiles at evenly spaced probabilities 0 .. 1 (each an observed value)."""
    q = np.linspace(0.0, 1.0, count)
    return [float(v) for v in np.quantile(np.asarray(values, dtype=np.float64), q, method="inverted_cdf")]


def summarize(latencies_ms) -> dict:
    """mean, p50, p90, p95, p99, std, CoV, min, max and count of per-iteration latencies.

    ``robust_cov`` is 1.4826 * MAD / median, the CoV a normal distribution with the same
    median absolute deviation would have: a few preempted iterations leave it alone."""
    x = np.asarray(latencies_ms, dtype=np.float64)
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if x.size > 1 else 0.0
    median = float(np.median(x))
    mad = float(np.median(np.abs(x - median)))
    return {
        "count": int(x.size),
        "mean": mean,
        "p50": percentile(x, 50),
        "p90": percentile(x, 90),
        "p95": percentile(x, 95),
        "p99": percentile(x, 99),
        "min": float(x.min()),
        "max": float(x.max()),
        "std": std,
        "cov": std / mean if mean > 0 else 0.0,
        "robust_cov": 1.4826 * mad / median if median > 0 else 0.0,
    }


def ais_timing(latencies_ms) -> dict:
    """One timing block as ais_bench writes it in its summary json."""
    s = summarize(latencies_ms) if len(latencies_ms) else None
    if s is None:
        return {"min": 0.0, "max": 0.0, "mean": 0.0, "median": 0.0, "percentile(99%)": 0.0, "count": 0}
    return {
        "min": s["min"],
        "max": s["max"],
        "mean": s["mean"],
        "median": float(np.median(latencies_ms)),
        "percentile(99%)": float(np.percentile(latencies_ms, 99)),
        "count": s["count"],
    }


def throughput(bs: int, mean_ms: float) -> float:
    """ais_bench's definition: 1000 * batch size / mean latency in ms (samples per second)."""
    return 1000.0 * bs / mean_ms if mean_ms > 0 else 0.0


def gflops(macs_per_image: float, images_per_s: float) -> float:
    """Achieved GFLOP/s (one MAC = two floating-point operations)."""
    return 2.0 * macs_per_image * images_per_s / 1e9
