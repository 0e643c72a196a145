"""Rounds, intervals and run comparison (ganinfer.rounds, ganinfer.report.compare) on synthetic rounds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from common import run_script
from ganinfer.errors import InputError
from ganinfer.report.compare import compare, log_ratio, provenance_differences, read_perf_csv, verdict
from ganinfer.rounds import combine, paired_ratio, t_interval


def test_t_interval_matches_the_textbook_value_and_needs_two_rounds():
    lo, hi = t_interval([10.0, 12.0, 14.0])  # mean 12, s = 2, t(0.975, 2) = 4.302653
    assert (lo, hi) == pytest.approx((12 - 4.302653 * 2 / math.sqrt(3), 12 + 4.302653 * 2 / math.sqrt(3)))
    assert all(math.isnan(v) for v in t_interval([5.0]))
    assert t_interval([7.0, 7.0]) == (7.0, 7.0)


def test_t_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    trials, rounds = 4000, 3
    hits = 0
    for _ in range(trials):
        lo, hi = t_interval(list(rng.normal(100.0, 5.0, rounds)))
        hits += lo <= 100.0 <= hi
    assert 0.94 <= hits / trials <= 0.96  # binomial sd at 4000 trials: 0.0034


def test_paired_ratio_uses_the_rounds_pairs():
    a, b = [200.0, 110.0, 150.0], [100.0, 55.0, 75.0]  # drift shared by both rows: every pair is 2.0
    assert paired_ratio(a, b) == pytest.approx((2.0, 2.0, 2.0))
    q, lo, hi = paired_ratio([200.0, 110.0, 150.0], [100.0, 50.0, 75.0])
    assert q == pytest.approx((2.0 * 2.2 * 2.0) ** (1 / 3)) and lo < q < hi
    # unpaired, the same rows would give a ratio of means with a far wider spread
    assert hi / lo < 1.5
    assert math.isnan(paired_ratio([1.0], [2.0])[1])


def record(fps: float, valid: bool = True, latencies=(1.0, 1.0)) -> dict:
    return {
        "model": "m",
        "chip": "cpu",
        "batch_size": 1,
        "throughput_fps": fps,
        "latency_ms": {"count": len(latencies), "mean": 1.0},
        "latencies_ms": list(latencies),
        "duration_s": 1.0,
        "valid": valid,
        "invalid_reason": "" if valid else "robust CoV 0.2 > 0.1",
        "wall_clock": [0.0, 1.0],
    }


def test_combine_gives_the_geometric_mean_its_interval_and_every_round_validity():
    rec = combine([record(100.0, latencies=(1.0, 2.0)), record(110.0), record(120.0, False, (3.0,))])
    logs = [math.log(x) for x in (100.0, 110.0, 120.0)]
    assert rec["throughput_fps"] == pytest.approx((100.0 * 110.0 * 120.0) ** (1 / 3))  # geometric mean
    assert (rec["throughput_ci_low"], rec["throughput_ci_high"]) == pytest.approx(
        tuple(math.exp(v) for v in t_interval(logs))
    )
    assert rec["throughput_ci_low"] < rec["throughput_fps"] < rec["throughput_ci_high"]
    assert rec["round_fps"] == [100.0, 110.0, 120.0] and rec["rounds"] == 3 and rec["duration_s"] == 3.0
    assert not rec["valid"] and rec["invalid_reason"] == "round 3: robust CoV 0.2 > 0.1"
    assert rec["latencies_ms"] == [1.0, 2.0, 1.0, 1.0, 3.0] and rec["latency_ms"]["count"] == 5
    assert rec["latency_ms"]["p50"] == 1.0
    # rounds far apart: the interval stays above zero (a t-interval on the throughputs would not)
    wide = combine([record(10.0), record(1000.0)])
    assert wide["throughput_fps"] == pytest.approx(100.0)
    assert 0 < wide["throughput_ci_low"] < 100.0 < wide["throughput_ci_high"]


@pytest.mark.parametrize(
    "ratio, low, high, expected",
    [
        (1.05, 1.001, 1.1, "faster"),  # exactly the minimum effect, interval above 1
        (1.0499, 1.001, 1.1, "same"),  # just under the minimum effect
        (1.2, 1.0, 1.4, "same"),  # the interval reaches 1
        (1 / 1.05, 0.9, 0.999, "slower"),
        (1 / 1.0499, 0.9, 0.999, "same"),
        (0.5, 0.4, 1.0, "same"),
    ],
)
def test_verdict_at_its_thresholds(ratio, low, high, expected):
    assert verdict(ratio, low, high, 0.05) == expected


def test_log_ratio_is_welch_on_the_logarithms():
    this, base = [110.0, 112.0, 108.0], [100.0, 101.0, 99.0]
    ratio, lo, hi = log_ratio(this, base)
    x, y = np.log(this), np.log(base)
    se = math.sqrt(x.var(ddof=1) / 3 + y.var(ddof=1) / 3)
    df = se**4 / ((x.var(ddof=1) / 3) ** 2 / 2 + (y.var(ddof=1) / 3) ** 2 / 2)
    from scipy import stats

    half = stats.t.ppf(0.975, df) * se
    assert ratio == pytest.approx(math.exp(x.mean() - y.mean()))
    assert (lo, hi) == pytest.approx((math.exp(x.mean() - y.mean() - half), math.exp(x.mean() - y.mean() + half)))
    assert log_ratio([5.0], [4.0]) == pytest.approx((1.25, 1.25, 1.25))  # no spread: the point itself


def frame(rows: dict) -> pd.DataFrame:
    """perf.csv rows as ``read_perf_csv`` gives them: (model, chip, bs) -> round throughputs."""
    return pd.DataFrame(
        [
            {
                "model": m,
                "chip": c,
                "batch_size": bs,
                "throughput_fps": sum(v) / len(v),
                "round_fps": [float(x) for x in v],
                "packages": "onnxruntime=1.31.1",
                "device": "cpu A",
            }
            for (m, c, bs), v in rows.items()
        ]
    )


def test_compare_rates_the_rows_of_both_runs_and_lists_the_others():
    base = frame({("gan", "cpu", 1): [100.0, 101.0, 99.0], ("gan", "cpu", 4): [400, 404, 396], ("old", "cpu", 1): [1]})
    this = frame({("gan", "cpu", 1): [60.0, 61.0, 59.0], ("gan", "cpu", 4): [402, 398, 401], ("new", "cpu", 1): [2]})
    this["device"] = "cpu B"
    table, only = compare(this, base, 0.05)
    assert table[["model", "batch_size", "verdict"]].values.tolist() == [["gan", 1, "slower"], ["gan", 4, "same"]]
    assert only == {"this run": [("new", "cpu", "1")], "baseline": [("old", "cpu", "1")]}
    assert provenance_differences(this, base) == {"device": ("cpu B", "cpu A")}
    same, _ = compare(base, base, 0.05)
    assert set(same["verdict"]) == {"same"} and (same["ratio"] == 1.0).all()


def test_a_baseline_that_is_no_perf_csv_is_one_line(tmp_path):
    bad = tmp_path / "accuracy.csv"
    bad.write_text("model,chip,batch_size,min_cosine\ngan,cpu,1,0.99\n")
    with pytest.raises(InputError) as err:
        read_perf_csv(str(bad))
    assert str(err.value) == (
        f"{bad}: not a perf.csv (no column throughput_fps); point baseline at the results/tables/perf.csv of "
        "another run (in your config (config/config.yaml, --configfile or --config))"
    )
    with pytest.raises(InputError, match=r"absent.csv: not found; point baseline at"):
        read_perf_csv(str(tmp_path / "absent.csv"))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match=r"empty.csv: not a perf.csv \(No columns to parse from file\)"):
        read_perf_csv(str(tmp_path / "empty.csv"))


def test_compare_by_hand_writes_both_files(tmp_path):
    base = frame({("gan", "cpu", 1): [100.0, 101.0, 99.0]})
    this = frame({("gan", "cpu", 1): [120.0, 121.0, 119.0]})
    for table, name in ((base, "base.csv"), (this, "perf.csv")):
        table.assign(round_fps=table["round_fps"].map(lambda v: ";".join(map(str, v)))).to_csv(
            tmp_path / name, index=False
        )
    proc = run_script(
        "compare-runs",
        *("--perf", tmp_path / "perf.csv", "--baseline", tmp_path / "base.csv"),
        *("--csv", tmp_path / "c.csv", "--md", tmp_path / "c.md"),
    )
    assert "1 rows against" in proc.stdout and "1 faster, 0 slower, 0 same" in proc.stdout
    read = read_perf_csv(str(tmp_path / "perf.csv"))  # the rounds as numbers again
    assert read["round_fps"].tolist() == [[120.0, 121.0, 119.0]] and read["batch_size"].tolist() == [1]
    row = pd.read_csv(tmp_path / "c.csv").iloc[0]
    assert row["verdict"] == "faster" and row["ratio"] == pytest.approx(1.2, rel=1e-4)
    assert "| gan | cpu | 1 | 120.0 | 100.0 | 1.200 (" in (tmp_path / "c.md").read_text()
