"""Rounds of a perf row: each round is its own timed job (a fresh process and session), and the rounds of
every row of a run are interleaved in time (round 1 of every row, then round 2, ...), so the machine's drift
between minutes spreads over all rows. A row's figure is the geometric mean of its rounds' throughputs, with
the 95 % t-interval of their logarithms (both bounds are throughputs above zero, and rows, their ratios and
runs compare on one scale); a ratio of two rows comes from their paired rounds (the same round index ran close
in time).

t-intervals, not a bootstrap: a row has a handful of rounds (3 by default), too few for resampling to
estimate a tail, and the round means of a steady machine are close to normal (each averages hundreds of
iterations; a run's drift is multiplicative). The interval is honest about what one run samples: between-process
and between-minute variation within the run, not the drift from one run to another (docs/benchmarking.md).
"""

from __future__ import annotations

import math
import statistics

from ganinfer.bench import QUANTILES, latency_sample, stored_latencies
from ganinfer.stats import latency_quantiles, summarize

LEVEL = 0.95


def t_interval(values: list[float], level: float = LEVEL) -> tuple[float, float]:
    """The ``level`` t-interval of the mean of ``values`` (at least two; NaNs for fewer)."""
    n = len(values)
    if n < 2:
        return math.nan, math.nan
    mean = sum(values) / n
    half = t_quantile(0.5 + level / 2, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return mean - half, mean + half


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile, by scipy.special's inverse CDF: scipy.stats is a far heavier import, in a job
    that runs once per perf row (docs/benchmarking.md#figures-behind-design-choices)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))


def paired_ratio(a: list[float], b: list[float], level: float = LEVEL) -> tuple[float, float, float]:
    """``a / b`` from paired rounds: the geometric mean of the per-round ratios and the t-interval of their
    logarithms, back-transformed (NaN bounds with fewer than two pairs). Rounds beyond the shorter list are
    left out."""
    logs = [math.log(x / y) for x, y in zip(a, b, strict=False) if x > 0 and y > 0]
    if not logs:
        return math.nan, math.nan, math.nan
    lo, hi = t_interval(logs, level)
    return math.exp(sum(logs) / len(logs)), math.exp(lo), math.exp(hi)


def combine(rounds: list[dict]) -> dict:
    """One perf record from its rounds' records (in round order): the first round's fields, then the geometric
    mean throughput over the rounds with its interval, the pooled latencies and VALID only when every round is."""
    first = rounds[0]
    fps = [r["throughput_fps"] for r in rounds]
    logs = [math.log(x) for x in fps]
    lo, hi = (math.exp(v) for v in t_interval(logs))
    samples = [latency_sample(r) for r in rounds]
    pooled = [x for s in samples for x in s]
    invalid = [f"round {k}: {r['invalid_reason']}" for k, r in enumerate(rounds, start=1) if not r["valid"]]
    out = {k: v for k, v in first.items() if k not in ("latencies_ms", "latency_quantiles_ms", "wall_clock")}
    out.update(
        throughput_fps=math.exp(sum(logs) / len(logs)),
        throughput_ci_low=lo,
        throughput_ci_high=hi,
        round_fps=fps,
        rounds=len(rounds),
        duration_s=sum(r["duration_s"] for r in rounds),
        valid=not invalid,
        invalid_reason="; ".join(invalid),
        round_wall_clock=[r.get("wall_clock") for r in rounds],
    )
    if "throughput_e2e_fps" in first and all(r.get("throughput_e2e_fps") for r in rounds):
        out["throughput_e2e_fps"] = sum(r["throughput_e2e_fps"] for r in rounds) / len(rounds)
    if pooled:
        # a round that kept quantiles instead of every latency weighs as much as one that kept them all
        if any("latencies_ms" not in r for r in rounds):
            pooled = [x for s in samples for x in latency_quantiles(s, QUANTILES)]
        out["latency_ms"] = {**summarize(pooled), "count": sum(r["latency_ms"]["count"] for r in rounds)}
        out.update(stored_latencies(pooled))
    return out
