"""Hand-computed small cases for every field of the numeric and I/O records.

Statistics and timing-harness validity (``ganinfer.stats``, ``ganinfer.bench``), accuracy
(``ganinfer.accuracy``), IS / FID (``ganinfer.quality``), ``.bin`` I/O (``ganinfer.fileio``),
input batching (``ganinfer.inputs``) and the accuracy run (``ganinfer.runner``). Every
expected value is written out from the definition, not recomputed with the code under test.
"""

import hashlib
import io
import json
import math
import socket
import subprocess

import numpy as np
import pytest

from ganinfer import bench, runner
from ganinfer.accuracy import channel_cosine, compare_folders, cosine
from ganinfer.errors import InputError
from ganinfer.fileio import (
    atomic_dir,
    atomic_path,
    list_bins,
    natural_key,
    output_name,
    read_bin,
    read_json,
    write_bin,
    write_json,
)
from ganinfer.inputs import InputSet
from ganinfer.quality import (
    chunks,
    frechet_distance,
    gaussian_stats,
    image_files,
    inception_score,
    read_image,
    read_stats,
    softmax,
    unit_image,
    write_stats,
)
from ganinfer.spec import ModelSpec, TensorSpec
from ganinfer.stats import ais_timing, percentile, summarize, throughput

# ---- percentiles: nearest rank, x_(ceil(p n / 100)) of the sorted values ----------------------------

N4 = [40.0, 10.0, 30.0, 20.0]  # sorted 10 20 30 40
N10 = [7.0, 3.0, 10.0, 1.0, 5.0, 9.0, 2.0, 8.0, 4.0, 6.0]  # sorted 1 .. 10


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        (N4, 50, 20.0),  # ceil(2.0) = 2
        (N4, 90, 40.0),  # ceil(3.6) = 4 (lower: 30, linear: 37)
        (N4, 95, 40.0),
        (N4, 99, 40.0),
        (N4, 25, 10.0),  # ceil(1.0) = 1
        (N4, 26, 20.0),  # ceil(1.04) = 2
        (N10, 50, 5.0),  # ceil(5.0) = 5 (linear: 5.5)
        (N10, 90, 9.0),  # ceil(9.0) = 9 (linear: 9.1)
        (N10, 95, 10.0),  # ceil(9.5) = 10 (lower: 9)
        (N10, 99, 10.0),  # ceil(9.9) = 10 (lower: 9)
        (N10, 0, 1.0),
        (N10, 100, 10.0),
    ],
)
def test_percentile_is_nearest_rank(values, p, expected):
    got = percentile(values, p)
    assert got == expected and type(got) is float


def test_percentile_rank_is_exact_where_p_n_over_100_rounds_up():
    """0.07 * 100 and 0.28 * 25 are 7.000000000000001 in floating point; the rank is still 7."""
    assert percentile(range(1, 101), 7) == 7.0 and percentile(range(1, 26), 28) == 7.0
    assert percentile(range(1, 51), 56) == 28.0
    assert percentile(range(1, 1001), 99.9) == 999.0  # p as the decimal it prints as
    assert percentile([[2.0, 1.0], [4.0, 3.0]], 50) == 2.0  # any shape, flattened
    for values, p in (([], 50), ([1.0], -1), ([1.0], 100.5)):
        with pytest.raises(ValueError, match="percentile: need at least one value and 0 <= p <= 100"):
            percentile(values, p)


def test_summary_of_a_negatively_skewed_set_field_by_field():
    """[2, 10, 10, 11]: one fast iteration pulls the mean (8.25) below the median (10)."""
    s = summarize([10.0, 2.0, 11.0, 10.0])
    std = math.sqrt((6.25**2 + 1.75**2 + 1.75**2 + 2.75**2) / 3)  # ddof 1
    assert s == {
        "count": 4,
        "mean": 8.25,
        "p50": 10.0,
        "p90": 11.0,
        "p95": 11.0,
        "p99": 11.0,
        "min": 2.0,
        "max": 11.0,
        "std": pytest.approx(std, rel=1e-14),
        "cov": pytest.approx(std / 8.25, rel=1e-14),
        # |x - 10| = 8, 0, 0, 1: MAD = 0.5; divided by the median, not by the mean (0.0898)
        "robust_cov": pytest.approx(1.4826 * 0.5 / 10.0, rel=1e-14),
    }


def test_summary_of_ten_iterations_field_by_field():
    """1 .. 10 ms: mean 5.5, nearest-rank p50 5, p90 9, p95 and p99 10, np.median 5.5, MAD 2.5."""
    s = summarize(N10)
    std = math.sqrt(sum((k - 5.5) ** 2 for k in range(1, 11)) / 9)
    assert (s["count"], s["mean"], s["min"], s["max"]) == (10, 5.5, 1.0, 10.0)
    assert (s["p50"], s["p90"], s["p95"], s["p99"]) == (5.0, 9.0, 10.0, 10.0)
    assert s["std"] == pytest.approx(std, rel=1e-14) and s["cov"] == pytest.approx(std / 5.5, rel=1e-14)
    assert s["robust_cov"] == pytest.approx(1.4826 * 2.5 / 5.5, rel=1e-14)


def test_summary_percentiles_where_neighbouring_ranks_differ():
    """n = 20 and 100: p95 and p99 are not p96 and p100 (at n = 4 and 10 they coincide)."""
    s = summarize(list(range(20, 0, -1)))
    assert (s["p50"], s["p90"], s["p95"], s["p99"]) == (10.0, 18.0, 19.0, 20.0)
    s = summarize(list(range(1, 101)))
    assert (s["p50"], s["p90"], s["p95"], s["p99"]) == (50.0, 90.0, 95.0, 99.0)


def test_summary_of_sub_millisecond_latencies():
    """mean 0.5 ms, median 0.5, MAD 0.25: the CoVs divide by values below 1."""
    s = summarize([0.25, 0.75])
    assert s["cov"] == pytest.approx(math.sqrt(0.125) / 0.5, rel=1e-14)
    assert s["robust_cov"] == pytest.approx(1.4826 * 0.25 / 0.5, rel=1e-14)


def test_summary_is_computed_in_float64():
    """float32 latencies: 2^24 + 1 + 1 is 2^24 in float32 arithmetic, 2^24 + 2 in float64."""
    x = np.array([2.0**24, 1.0, 1.0], dtype=np.float32)
    assert summarize(x)["mean"] == (2**24 + 2) / 3
    assert summarize(x) == summarize(x.astype(np.float64))


def test_summary_of_one_and_of_zero_latencies():
    s = summarize([3.0])
    assert s["count"] == 1 and s["std"] == 0.0 and s["cov"] == 0.0 and s["robust_cov"] == 0.0
    assert s["p50"] == s["p99"] == s["min"] == s["max"] == s["mean"] == 3.0
    z = summarize([0.0, 0.0])
    assert z["cov"] == 0.0 and z["robust_cov"] == 0.0 and z["mean"] == 0.0


def test_ais_timing_block_follows_numpy_defaults():
    """ais_bench: np.median and np.percentile (linear) of the list."""
    t = ais_timing([4.0, 1.0, 3.0, 2.0])
    p99 = pytest.approx(3 + 0.97, rel=1e-14)  # linear: x3 + 0.97 (x4 - x3) at rank 0.99 * 3 = 2.97
    assert t == {"min": 1.0, "max": 4.0, "mean": 2.5, "median": 2.5, "percentile(99%)": p99, "count": 4}
    empty = ais_timing([])
    assert empty == {"min": 0.0, "max": 0.0, "mean": 0.0, "median": 0.0, "percentile(99%)": 0.0, "count": 0}


def test_throughput_is_samples_per_second():
    assert throughput(4, 8.0) == 500.0
    assert throughput(1, 0.5) == 2000.0
    assert throughput(8, 0.0) == 0.0 and throughput(8, -1.0) == 0.0


# ---- the harness's record and its validity rules ----------------------------------------------------


def settings(**kw):
    base = dict(warmup=0, warmup_seconds=0.0, min_iterations=4, min_seconds=0.0, max_seconds=60.0, max_cov=0.10)
    return bench.BenchSettings(**{**base, **kw})


def test_record_fields_against_the_harness_inputs():
    lat = [10.0, 2.0, 11.0, 10.0]
    s = settings(min_iterations=4, min_seconds=0.25, max_cov=0.5)
    rec = bench.record(lat, 3, s, 0.5, warmup_runs=2)
    assert rec == {
        "batch_size": 3,
        "latency_ms": summarize(lat),
        "throughput_fps": 1000.0 * 3 / 8.25,
        "wall_throughput_fps": 3 * 4 / 0.5,
        "duration_s": 0.5,
        # mean 8.25 vs p50 10: -17.5 % > 50 %? no; robust CoV 0.074 <= 0.5
        "valid": True,
        "invalid_reason": "",
        "settings": {
            "warmup": 0,
            "warmup_seconds": 0.0,
            "min_iterations": 4,
            "min_seconds": 0.25,
            "max_seconds": 60.0,
            "max_cov": 0.5,
        },
        "warmup_runs": 2,
        "latencies_ms": lat,
    }
    assert bench.record(lat, 3, s, 0.0, warmup_runs=0)["wall_throughput_fps"] == 0.0


def test_mean_below_the_median_is_invalid_too():
    """Eight 1 ms iterations and two of 0.25 ms: mean 0.85, 15 % below the median (1 ms)."""
    rec = bench.record([1.0] * 8 + [0.25, 0.25], 1, settings(min_iterations=10), 1.0, 0)
    assert rec["latency_ms"]["robust_cov"] == 0.0
    assert not rec["valid"]
    assert rec["invalid_reason"] == "mean -15% off the median (outlier iterations) > 10%"


def test_mean_above_the_median_is_invalid():
    rec = bench.record([1.0] * 8 + [1.75, 1.75], 1, settings(min_iterations=10), 1.0, 0)
    assert rec["invalid_reason"] == "mean +15% off the median (outlier iterations) > 10%"


def test_validity_thresholds_are_inclusive():
    """Values exactly at a threshold pass; the next float beyond it fails."""
    lat = [1.0] * 8 + [0.25, 0.25]
    skew = abs(0.85 / 1.0 - 1.0)  # the rule's own float: 0.15000000000000002
    at = bench.record(lat, 1, settings(min_iterations=10, min_seconds=2.0, max_cov=skew), 2.0, 0)
    assert at["valid"] and at["invalid_reason"] == ""
    over = bench.record(lat, 1, settings(min_iterations=11, min_seconds=2.5, max_cov=0.15), 2.0, 0)
    assert over["invalid_reason"] == (
        "only 10 iterations < 11; ran 2.00 s < 2.5 s; mean -15% off the median (outlier iterations) > 15%"
    )
    # robust CoV of [9, 10, 10, 11] (mean = p50 = 10): 1.4826 * 0.5 / 10
    sym = [9.0, 10.0, 11.0, 10.0]
    cov = summarize(sym)["robust_cov"]
    assert bench.record(sym, 1, settings(max_cov=cov), 1.0, 0)["valid"]
    below = bench.record(sym, 1, settings(max_cov=np.nextafter(cov, 0.0)), 1.0, 0)
    assert below["invalid_reason"] == f"robust CoV 0.074 > {np.nextafter(cov, 0.0)}"


def test_skew_reason_prints_both_percentages():
    """[1] * 8 + [10, 10]: mean 2.8, p50 1: +180 % against a 60 % limit."""
    rec = bench.record([1.0] * 8 + [10.0, 10.0], 1, settings(min_iterations=10, max_cov=0.6), 1.0, 0)
    assert rec["invalid_reason"] == "mean +180% off the median (outlier iterations) > 60%"


def test_record_of_zero_latencies_has_no_skew_reason():
    rec = bench.record([0.0] * 4, 2, settings(), 1.0, 0)
    assert rec["valid"] and rec["throughput_fps"] == 0.0 and rec["wall_throughput_fps"] == 8.0


def fake_clock(monkeypatch, step_s):
    """perf_counter starts at 1024 s (as a real one is far from 0) and advances by ``step_s`` (a binary
    fraction: sums stay exact) per call of fn; a runaway loop fails instead of hanging."""
    now = [1024.0]
    log = []

    def fn():
        import gc

        log.append((now[0], gc.isenabled()))
        if len(log) > 10_000:
            raise AssertionError("the harness does not stop")
        now[0] += step_s

    monkeypatch.setattr(bench.time, "perf_counter", lambda: now[0])
    return fn, log


def test_measure_warmup_by_seconds_then_iterations_by_seconds(monkeypatch):
    fn, log = fake_clock(monkeypatch, 1 / 128)  # 7.8125 ms per call
    s = settings(warmup=1, warmup_seconds=5 / 128, min_iterations=3, min_seconds=6 / 128)
    rec = bench.measure(fn, 2, s)
    assert rec["warmup_runs"] == 5  # until 5/128 s had passed (>= 1 run)
    assert rec["latencies_ms"] == [7.8125] * 6  # until 6/128 s (>= 3 iterations)
    assert rec["duration_s"] == 6 / 128 and rec["valid"]
    assert rec["throughput_fps"] == 1000 * 2 / 7.8125 and rec["wall_throughput_fps"] == 2 * 6 / (6 / 128)
    assert [on for _, on in log] == [True] * 5 + [False] * 6  # gc paused for the timed loop only
    start, end = rec["wall_clock"]
    assert start <= end


def test_measure_warmup_by_count_and_stop_at_max_seconds(monkeypatch):
    import gc

    fn, log = fake_clock(monkeypatch, 1 / 64)
    rec = bench.measure(fn, 1, settings(warmup=3, min_iterations=100, min_seconds=0.0, max_seconds=4 / 64))
    assert rec["warmup_runs"] == 3 and rec["latencies_ms"] == [15.625] * 4
    assert rec["invalid_reason"] == "only 4 iterations < 100"
    assert gc.isenabled()
    gc.disable()
    try:
        bench.measure(fn, 1, settings(min_iterations=1))
        assert not gc.isenabled()  # a caller's disabled gc stays disabled
    finally:
        gc.enable()


def test_measure_stops_when_both_minimums_are_met(monkeypatch):
    fn, _ = fake_clock(monkeypatch, 1 / 64)
    rec = bench.measure(fn, 1, settings(min_iterations=5, min_seconds=2 / 64))
    assert len(rec["latencies_ms"]) == 5 and rec["duration_s"] == 5 / 64


def test_settings_from_config():
    assert bench.BenchSettings.from_config(None) == bench.BenchSettings()
    got = bench.BenchSettings.from_config({"min_iterations": 7, "max_cov": 0.2, "unknown": 1})
    assert got == bench.BenchSettings(min_iterations=7, max_cov=0.2)


def test_provenance_sources(monkeypatch, tmp_path):
    cpuinfo = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Test CPU: rev 2 @ 1.00GHz \nmodel name\t: second\n"

    def cpuinfo_file(path):
        assert path == "/proc/cpuinfo"
        return io.StringIO(cpuinfo)

    monkeypatch.setattr(bench, "open", cpuinfo_file, raising=False)
    assert bench.cpu_name() == "Test CPU: rev 2 @ 1.00GHz"

    def no_file(path):
        raise OSError(path)

    monkeypatch.setattr(bench, "open", no_file, raising=False)
    monkeypatch.setattr(bench.platform, "processor", lambda: "proc")
    assert bench.cpu_name() == "proc"
    monkeypatch.setattr(bench.platform, "processor", lambda: "")
    monkeypatch.setattr(bench.platform, "machine", lambda: "x86_64")
    assert bench.cpu_name() == "x86_64"
    monkeypatch.setattr(bench, "open", lambda path: io.StringIO("processor: 0\n"), raising=False)
    assert bench.cpu_name() == "x86_64"

    calls = []

    def fake_run(cmd, **kw):
        calls.append((cmd, kw))
        out = {"nvidia-smi": "NVIDIA H200 , 580.65\n", "git": "abc1234\n"}[cmd[0]]
        return subprocess.CompletedProcess(cmd, 0, stdout=out, stderr="")

    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    assert bench.gpu_name(1) == "NVIDIA H200 (driver 580.65)"
    assert calls[-1] == (
        ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader", "-i", "1"],
        {"capture_output": True, "text": True, "timeout": 10},
    )
    assert bench.gpu_name() == "NVIDIA H200 (driver 580.65)" and calls[-1][0][-2:] == ["-i", "0"]
    assert bench.git_commit("/some/dir") == "abc1234"
    assert calls[-1] == (
        ["git", "-C", "/some/dir", "rev-parse", "--short", "HEAD"],
        {"capture_output": True, "text": True, "timeout": 5},
    )
    monkeypatch.setattr(bench.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1, "x, y", ""))
    assert bench.gpu_name() == "" and bench.git_commit(".") == ""
    monkeypatch.setattr(bench.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0, "", ""))
    assert bench.gpu_name() == ""

    def missing(cmd, **kw):
        raise FileNotFoundError(cmd[0])

    monkeypatch.setattr(bench.subprocess, "run", missing)
    assert bench.gpu_name() == "" and bench.git_commit(".") == ""

    def hangs(cmd, **kw):
        raise subprocess.TimeoutExpired(cmd, kw["timeout"])

    monkeypatch.setattr(bench.subprocess, "run", hangs)
    assert bench.gpu_name() == "" and bench.git_commit(".") == ""


def test_available_cores_and_config_hash(monkeypatch):
    monkeypatch.setattr(bench.os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert bench.available_cores() == 3

    def absent(pid):
        raise AttributeError("sched_getaffinity")

    monkeypatch.setattr(bench.os, "sched_getaffinity", absent, raising=False)
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 6)
    assert bench.available_cores() == 6
    monkeypatch.setattr(bench.os, "cpu_count", lambda: None)
    assert bench.available_cores() == 1
    text = '{"a": [1, 2], "b": "x"}'  # json.dumps with sorted keys
    assert bench.config_hash({"b": "x", "a": [1, 2]}) == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert bench.config_hash({}) == "" and bench.config_hash(None) == ""
    from pathlib import Path

    # values JSON cannot hold (paths in a Snakemake config) hash as their str()
    assert bench.config_hash({"p": Path("/x")}) == hashlib.sha256(b'{"p": "/x"}').hexdigest()[:12]


def test_provenance_record(monkeypatch):
    import platform

    monkeypatch.setattr(bench, "git_commit", lambda path: f"commit of {path}")
    monkeypatch.setattr(bench, "cpu_name", lambda: "cpu")
    monkeypatch.setattr(bench, "available_cores", lambda: 5)
    rec = bench.provenance("/w", {"seed": 0}, {"onnxruntime": "9"})
    assert rec["host"] == socket.gethostname() and rec["cpu"] == "cpu" and rec["cores_available"] == 5
    assert rec["packages"] == {"python": platform.python_version(), "numpy": np.__version__, "onnxruntime": "9"}
    assert rec["git_commit"] == "commit of /w" and rec["config_hash"] == bench.config_hash({"seed": 0})
    assert len(rec["timestamp"]) == 24 and rec["timestamp"][10] == "T"
    assert bench.provenance()["git_commit"] == "commit of ."


# ---- accuracy -----------------------------------------------------------------------------------------


def test_cosine_of_zero_norm_vectors():
    assert cosine(np.zeros(0), np.zeros(0)) == 1.0  # two empty outputs are identical
    zero = np.zeros(3)
    assert cosine(zero, zero) == 1.0  # both silent: identical
    assert cosine(zero, np.array([0.0, 1.0, 0.0])) == 0.0
    assert cosine(np.array([0.0, 0.0, -2.0]), zero) == 0.0


def test_cosine_hand_cases_and_float64_accumulation():
    assert cosine(np.array([3.0, 4.0]), np.array([4.0, 3.0])) == pytest.approx(24 / 25, rel=1e-15)
    assert cosine(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1.0, 0.0, 0.0, 0.0])) == pytest.approx(2**-0.5)
    big = np.full(4, 3e38, dtype=np.float32)  # the float32 norm would overflow to inf
    assert cosine(big, big) == pytest.approx(1.0, rel=1e-12)
    assert type(cosine(big, big)) is float
    tiny = np.array([3e-200, 4e-200])  # squares underflow: an unscaled norm would be 0
    assert cosine(tiny, -tiny) == pytest.approx(-1.0, rel=1e-15)
    assert cosine(tiny, np.array([4.0, 3.0])) == pytest.approx(24 / 25, rel=1e-15)
    huge = np.array([1e300, -1e300])  # squares overflow
    assert cosine(huge, np.array([1.0, 0.0])) == pytest.approx(2**-0.5, rel=1e-15)


def test_channel_cosine_per_pixel():
    """C=2, H=1, W=3: pixels (1,0)/(1,0) -> 1, (0,1)/(1,0) -> 0, (0,0)/(1,1) -> 0 (zero norm)."""
    a = np.array([[[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]]])
    b = np.array([[[1.0, 1.0, 1.0]], [[0.0, 0.0, 1.0]]])
    assert channel_cosine(a.ravel(), b.ravel(), (2, 1, 3)) == pytest.approx(1 / 3, rel=1e-15)
    c = np.array([[[3.0]], [[4.0]]])
    assert channel_cosine(c, 2 * c, (2, 1, 1)) == pytest.approx(1.0, rel=1e-15)
    tiny = np.full((2, 1, 1), 1e-5)  # norms 1.4e-5: product 2e-10, below the 1e-8 floor
    assert channel_cosine(tiny, tiny, (2, 1, 1)) == pytest.approx(2e-10 / 1e-8, rel=1e-12)


def accuracy_folders(tmp_path, pairs):
    ref, out = tmp_path / "ref", tmp_path / "out"
    ref.mkdir(exist_ok=True), out.mkdir(exist_ok=True)
    for name, (o, r) in pairs.items():
        write_bin(np.asarray(o, dtype=np.float64), out / name)
        write_bin(np.asarray(r, dtype=np.float64), ref / name)
    return out, ref


def test_accuracy_record_field_by_field(tmp_path):
    out, ref = accuracy_folders(
        tmp_path,
        {
            "10_0.bin": ([3.0, 4.0], [3.0, 4.0]),  # cos 1, |diff| 0, 0
            "2_0.bin": ([1.0, 1.0], [1.0, -3.0]),  # cos -2 / (sqrt 2 sqrt 10), |diff| 0, 4: mean 2, max 4
            "3_0.bin": ([0.0, 3.0], [3.0, 0.0]),  # cos 0, |diff| 3, 3: mean 3, max 3
        },
    )
    rec = compare_folders(out, ref, threshold=0.5)
    c2 = -2 / (math.sqrt(2) * math.sqrt(10))
    mean_cos = (c2 + 0.0 + 1.0) / 3
    assert rec == {
        "samples": 3,
        "channel_cosine": None,
        "mean_cosine": pytest.approx(mean_cos, rel=1e-14),
        "min_cosine": pytest.approx(c2, rel=1e-14),
        "worst_sample": "2_0.bin",
        "mean_abs_diff": pytest.approx((2.0 + 3.0 + 0.0) / 3, rel=1e-14),
        "max_abs_diff": 4.0,  # the largest element, not the largest per-sample mean (3)
        "acc_percent": pytest.approx(100 * (mean_cos + 1) / 2, rel=1e-14),
        "threshold": 0.5,
        "passed": False,
        "per_sample": [  # natural order: 2, 3, 10
            {"name": "2_0.bin", "cosine": pytest.approx(c2, rel=1e-14), "mean_abs_diff": 2.0, "channel_cosine": None},
            {"name": "3_0.bin", "cosine": 0.0, "mean_abs_diff": 3.0, "channel_cosine": None},
            {"name": "10_0.bin", "cosine": 1.0, "mean_abs_diff": 0.0, "channel_cosine": None},
        ],
    }


def test_accuracy_in_several_threads_is_the_same_record_in_the_same_order(tmp_path):
    rng = np.random.default_rng(0)
    pairs = {f"{k}_0.bin": (rng.normal(size=6), rng.normal(size=6)) for k in range(40)}
    out, ref = accuracy_folders(tmp_path, pairs)
    one = compare_folders(out, ref, threshold=0.5)
    assert compare_folders(out, ref, threshold=0.5, workers=3) == one
    assert [s["name"] for s in one["per_sample"]] == [f"{k}_0.bin" for k in range(40)]
    (out / "17_0.bin").unlink()
    with pytest.raises(InputError, match=r"17_0\.bin: output missing for reference 17_0\.bin"):
        compare_folders(out, ref, threshold=0.5, workers=3)


def test_accuracy_passes_exactly_at_the_threshold(tmp_path):
    out, ref = accuracy_folders(tmp_path, {"a_0.bin": ([3.0, 4.0], [3.0, 4.0]), "b_0.bin": ([0.0, 2.0], [0, 5.0])})
    assert cosine(np.array([3.0, 4.0]), np.array([3.0, 4.0])) == 1.0  # 25 / (5 * 5), exact
    assert compare_folders(out, ref, threshold=1.0)["passed"] is True
    assert compare_folders(out, ref, threshold=np.nextafter(1.0, 2.0))["passed"] is False


def test_accuracy_worst_sample_is_the_first_of_equal_minima(tmp_path):
    out, ref = accuracy_folders(
        tmp_path,
        {"1_0.bin": ([1.0, 0.0], [1.0, 0.0]), "2_0.bin": ([1.0, 0.0], [0, 1.0]), "3_0.bin": ([0, 1.0], [1, 0])},
    )
    rec = compare_folders(out, ref, threshold=0.0)
    assert rec["worst_sample"] == "2_0.bin" and rec["min_cosine"] == 0.0 and rec["passed"] is True


def test_accuracy_with_channel_cosine(tmp_path):
    a = [1.0, 0.0, 0.0, 1.0]  # C=2, H=1, W=2: pixels (1,0) and (0,1)
    b = [3.0, 1.0, 0.0, 0.0]  # pixels (3,0) and (1,0): channel cosines 1 and 0
    out, ref = accuracy_folders(tmp_path, {"x_0.bin": (a, b), "y_0.bin": (a, a)})
    rec = compare_folders(out, ref, threshold=0.0, channel_shape=(2, 1, 2))
    assert rec["channel_cosine"] == pytest.approx((0.5 + 1.0) / 2, rel=1e-15)
    assert [s["channel_cosine"] for s in rec["per_sample"]] == [pytest.approx(0.5), pytest.approx(1.0)]
    assert rec["per_sample"][0]["cosine"] == pytest.approx(3 / math.sqrt(20), rel=1e-15)  # flat: 3 / (sqrt 2 sqrt 10)


def test_accuracy_bad_folders(tmp_path):
    (tmp_path / "ref").mkdir(), (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match=r"ref: no reference outputs; run the reference stage first"):
        compare_folders(tmp_path / "out", tmp_path / "ref", 0.9)
    write_bin(np.ones(3), tmp_path / "ref" / "a_0.bin")
    write_bin(np.ones(4), tmp_path / "out" / "a_0.bin")
    with pytest.raises(
        InputError, match=r"a_0\.bin: 4 values but the reference has 3; re-run inference and reference on the same"
    ):
        compare_folders(tmp_path / "out", tmp_path / "ref", 0.9)
    (tmp_path / "out" / "a_0.bin").unlink()
    with pytest.raises(InputError, match=r"out/a_0\.bin: output missing for reference a_0\.bin; re-run the inference"):
        compare_folders(tmp_path / "out", tmp_path / "ref", 0.9)


# ---- FID and IS ----------------------------------------------------------------------------------------

X4 = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])  # mean (1, 1), cov ddof 1: 4/3 I
Y4 = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 3.0]])  # mean (1.5, 1), cov [[5/3, 4/3], [4/3, 2]]


def test_gaussian_stats_of_four_samples_use_ddof_1():
    mu, sigma = gaussian_stats(X4)
    assert mu.tolist() == [1.0, 1.0]
    np.testing.assert_allclose(sigma, [[4 / 3, 0.0], [0.0, 4 / 3]], rtol=1e-15, atol=1e-15)
    mu, sigma = gaussian_stats(Y4.astype(np.float32))
    assert mu.dtype == sigma.dtype == np.float64 and mu.tolist() == [1.5, 1.0]
    # deviations x: -1.5 -0.5 0.5 1.5, y: -1 0 -1 2; sums of products 5, 4, 6, divided by N - 1 = 3
    np.testing.assert_allclose(sigma, [[5 / 3, 4 / 3], [4 / 3, 2.0]], rtol=1e-15)


def test_fid_at_n4_against_an_explicit_ddof1_computation():
    """S1 = 4/3 I commutes with S2, so Tr sqrt(S1 S2) = sqrt(4/3) Tr sqrt(S2), and for 2 x 2
    Tr sqrt(S2) = sqrt(Tr S2 + 2 sqrt(det S2)) with Tr S2 = 11/3, det S2 = 10/3 - 16/9 = 14/9."""
    tr_sqrt = math.sqrt(4 / 3) * math.sqrt(11 / 3 + 2 * math.sqrt(14 / 9))
    expected = 0.25 + 8 / 3 + 11 / 3 - 2 * tr_sqrt
    fid = frechet_distance(*gaussian_stats(X4), *gaussian_stats(Y4))
    assert fid == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.85104, abs=1e-5)  # ddof 0 scales the trace terms by 3/4: 0.70078


def test_fid_rejects_shapes_and_accepts_eigenvalues_down_to_the_rounding_floor():
    eye = np.eye(2)
    for args in [
        (np.zeros(3), eye, np.zeros(2), eye),
        (np.zeros(2), np.eye(3), np.zeros(2), eye),
        (np.zeros(2), eye, np.zeros(2), np.ones((2, 3))),
        (np.zeros((2, 2)), eye, np.zeros(2), eye),
    ]:
        with pytest.raises(ValueError, match="frechet_distance: shapes differ"):
            frechet_distance(*args)
    # eigenvalues as low as -1e-6 * the largest are rounding, cut to 0; lower ones are an error
    edge = np.diag([1.0, -1e-6])
    assert frechet_distance(np.zeros(2), edge, np.zeros(2), eye) == pytest.approx(1.0 - 1e-6, rel=1e-15)
    assert frechet_distance(np.zeros(2), eye, np.zeros(2), edge) == pytest.approx(1.0 - 1e-6, rel=1e-15)
    # 2 (1 - 1e-6) - 2 Tr diag(1, 0) = -2e-6 < 0: a distance is clipped to 0
    assert frechet_distance(np.zeros(2), edge, np.zeros(2), edge) == 0.0
    for first in (True, False):
        bad = np.diag([1.0, -1.01e-6])
        args = (np.zeros(2), bad, np.zeros(2), eye) if first else (np.zeros(2), eye, np.zeros(2), bad)
        name = "sigma1" if first else "sigma2"
        message = rf"^{name} is not a covariance matrix \(eigenvalue -1.01e-06, largest 1\)"
        with pytest.raises(ValueError, match=message):
            frechet_distance(*args)


def test_psd_check_is_relative_to_the_largest_eigenvalue():
    """The floor is -1e-6 * the largest |eigenvalue|, for small and large scales alike."""
    z2 = np.zeros(2)
    assert frechet_distance(z2, np.diag([4.0, -2e-6]), z2, np.zeros((2, 2))) == pytest.approx(4.0 - 2e-6)
    with pytest.raises(ValueError, match="sigma1 is not a covariance matrix"):
        frechet_distance(z2, np.diag([4.0, -5e-6]), z2, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"sigma2 is not a covariance matrix \(eigenvalue -1e-08, largest 0.001\)"):
        frechet_distance(z2, np.zeros((2, 2)), z2, np.diag([1e-3, -1e-8]))


def test_fid_is_computed_in_float64():
    """float32 covariances: 1 + 2^-30 + 2^-30 is 1 in float32 arithmetic, 1 + 2^-29 in float64."""
    s32 = np.diag([1.0, 2.0**-30, 2.0**-30]).astype(np.float32)
    z3 = np.zeros(3)
    assert frechet_distance(z3, s32, z3, np.zeros((3, 3))) == 1 + 2.0**-29
    assert frechet_distance(z3, np.zeros((3, 3)), z3, s32) == 1 + 2.0**-29
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 3)).astype(np.float32)
    s, t = x @ x.T, (x.T @ x + np.eye(3)).astype(np.float32)
    mu = rng.normal(size=3).astype(np.float32)
    assert frechet_distance(mu, s, -mu, t) == frechet_distance(*(a.astype(np.float64) for a in (mu, s, -mu, t)))


def test_fid_of_scalars_and_zero_matrices():
    assert frechet_distance(1.0, 4.0, 3.0, 9.0) == pytest.approx(4.0 + (2.0 - 3.0) ** 2)
    z = np.zeros((2, 2))
    assert frechet_distance(np.zeros(2), z, np.array([3.0, 4.0]), z) == 25.0
    for name, args in {
        "mu1": (np.array([np.nan, 0.0]), z, np.zeros(2), z),
        "sigma1": (np.zeros(2), np.full((2, 2), np.inf), np.zeros(2), z),
    }.items():
        with pytest.raises(ValueError, match=f"frechet_distance: {name} has NaN or infinite values"):
            frechet_distance(*args)


def test_fid_of_huge_values_is_reported_not_infinite():
    big = np.diag([1e308, 1e308])
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="^frechet_distance: the result is not finite$"):
        frechet_distance(np.zeros(2), big, np.zeros(2), np.zeros((2, 2)))


def test_fid_symmetrises_the_covariances():
    """Only the symmetric part counts: a skew part (rounding in a stored sigma) is dropped."""
    s = np.array([[2.0, 0.5], [-0.5, 1.0]])
    assert frechet_distance(np.zeros(2), s, np.zeros(2), np.zeros((2, 2))) == pytest.approx(3.0)
    assert frechet_distance(np.zeros(2), np.zeros((2, 2)), np.zeros(2), s) == pytest.approx(3.0)
    assert frechet_distance(np.zeros(2), s, np.zeros(2), s) == pytest.approx(0.0, abs=1e-12)


def test_gaussian_stats_of_one_feature_are_a_1x1_covariance():
    mu, sigma = gaussian_stats(np.array([[0.0], [2.0], [4.0]]))
    assert mu.tolist() == [2.0] and sigma.shape == (1, 1) and sigma.tolist() == [[4.0]]  # (4 + 0 + 4) / 2


def test_gaussian_stats_need_two_samples_of_a_2d_array():
    for bad in (np.zeros((1, 3)), np.zeros(3), np.zeros((2, 2, 2))):
        with pytest.raises(ValueError, match=r"gaussian_stats: need an N x D array with N >= 2, got shape"):
            gaussian_stats(bad)


def test_is_with_zero_probabilities_and_a_remainder():
    """5 rows in 2 splits of 2 (the 5th dropped): one-hot rows (0 log 0 = 0)."""
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    mean, std = inception_score(probs, splits=2)
    # split 1: classes 0, 1: IS 2; split 2: class 0 twice: IS 1
    assert (mean, std) == (pytest.approx(1.5, rel=1e-15), pytest.approx(0.5, rel=1e-15))
    entropy = -(0.6 * math.log(0.6) + 0.4 * math.log(0.4))  # one split of 5: p(y) = [0.6, 0.4], KL = -log p(y)
    assert inception_score(probs, splits=1) == (pytest.approx(math.exp(entropy), rel=1e-14), 0.0)


def test_is_of_one_split_of_soft_rows():
    """Rows [0.5, 0.5] and [1, 0]: p(y) = [0.75, 0.25]; KL = 0.5 log(2/3) + 0.5 log 2 + 0.5 (log(1/0.75))."""
    probs = np.array([[0.5, 0.5], [1.0, 0.0]])
    kl1 = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    kl2 = math.log(1 / 0.75)
    assert inception_score(probs, splits=1)[0] == pytest.approx(math.exp((kl1 + kl2) / 2), rel=1e-14)


def test_is_rejects_bad_probabilities():
    for bad in (np.ones(4), np.array([[0.5, np.nan]]), np.array([[1.5, -0.5]])):
        with pytest.raises(ValueError, match="^inception_score: probabilities must be a finite, non-negative N x"):
            inception_score(bad, splits=1)
    with pytest.raises(ValueError, match="inception_score: 3 samples cannot fill 0 splits"):
        inception_score(np.full((3, 5), 0.2), splits=0)
    with pytest.raises(ValueError, match="inception_score: 3 samples cannot fill 4 splits"):
        inception_score(np.full((3, 5), 0.2), splits=4)
    assert inception_score(np.eye(3), splits=3) == (1.0, 0.0)


def test_is_default_is_ten_splits_in_float64():
    assert inception_score(np.eye(10)) == (1.0, 0.0)  # 10 splits of one sample each
    with pytest.raises(ValueError, match="9 samples cannot fill 10 splits"):
        inception_score(np.eye(9))
    p32 = np.array([[0.8, 0.2], [0.3, 0.7], [0.5, 0.5]], dtype=np.float32)
    assert inception_score(p32, splits=1) == inception_score(p32.astype(np.float64), splits=1)


def test_softmax_rows():
    p = softmax([[0.0, math.log(3.0)], [5.0, 5.0]])
    np.testing.assert_allclose(p, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-15)
    z32 = np.array([[0.1, 0.2, 0.7]], dtype=np.float32)
    assert softmax(z32).dtype == np.float64 and np.array_equal(softmax(z32), softmax(z32.astype(np.float64)))


def test_reference_statistics_fields_and_errors(tmp_path):
    np.savez(tmp_path / "plain.npz", mu=np.zeros(2, dtype=np.float32), sigma=np.eye(2, dtype=np.float32))
    mu, sigma, extra = read_stats(tmp_path / "plain.npz", 2, "FIX")
    assert mu.dtype == sigma.dtype == np.float64 and extra == {"count": None, "source": None}
    with pytest.raises(InputError, match=r"absent.npz: reference statistics not found; FIX$"):
        read_stats(tmp_path / "absent.npz", 2, "FIX")
    np.savez(tmp_path / "nan.npz", mu=np.array([0.0, np.nan]), sigma=np.eye(2))
    with pytest.raises(InputError, match=r"nan.npz: mu or sigma has NaN or infinite values; FIX$"):
        read_stats(tmp_path / "nan.npz", 2, "FIX")
    np.savez(tmp_path / "inf.npz", mu=np.zeros(2), sigma=np.full((2, 2), np.inf))
    with pytest.raises(InputError, match="mu or sigma has NaN"):
        read_stats(tmp_path / "inf.npz", 2, "FIX")
    np.savez(tmp_path / "shape.npz", mu=np.zeros(2), sigma=np.eye(3))
    with pytest.raises(InputError, match=r"mu \(2,\) and sigma \(3, 3\), but pool3 features need \(2,\) and \(2, 2\)"):
        read_stats(tmp_path / "shape.npz", 2, "FIX")
    np.savez(tmp_path / "none.npz")
    with pytest.raises(InputError, match=r"needs arrays 'mu' and 'sigma' \(found nothing\); FIX"):
        read_stats(tmp_path / "none.npz", 2, "FIX")
    np.savez(tmp_path / "pickled.npz", mu=np.array([0.0, 1.0], dtype=object), sigma=np.eye(2))
    with pytest.raises(InputError, match=r"pickled.npz: cannot be read as an .npz \(ValueError\); FIX"):
        read_stats(tmp_path / "pickled.npz", 2, "FIX")  # object arrays need pickle: refused
    (tmp_path / "junk.npz").write_text("not a zip")  # numpy takes it for a pickle, refused
    with pytest.raises(InputError, match=r"junk.npz: cannot be read as an .npz \(ValueError\); FIX"):
        read_stats(tmp_path / "junk.npz", 2, "FIX")
    np.savez(tmp_path / "mu_only.npz", mu=np.zeros(2))
    with pytest.raises(InputError, match=r"\(found mu\)"):
        read_stats(tmp_path / "mu_only.npz", 2, "FIX")
    write_stats(tmp_path / "sub" / "w.npz", np.ones(2), np.eye(2), 3, "src")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["w.npz"]  # written atomically, no temporary
    with np.load(tmp_path / "sub" / "w.npz") as npz:
        assert sorted(npz.files) == ["count", "mu", "sigma", "source"] and npz["count"].dtype == np.int64


def test_unit_image_routes():
    x = np.array([[[-1.0, 0.0], [0.5, 1.0]]], dtype=np.float64)  # 1 x 2 x 2
    t = unit_image(x, "tanh", "minmax")
    assert t.shape == (3, 2, 2) and t.dtype == np.float32
    assert t[0].tolist() == [[0.0, 0.5], [0.75, 1.0]] and np.array_equal(t[0], t[2])
    m = unit_image(x, "postprocess", "minmax")  # min-max to 0..1, * 255 + 0.5, floor
    assert m.shape == (3, 2, 2) and m.dtype == np.float32
    np.testing.assert_array_equal(m[1] * 255, [[0, 128], [191, 255]])
    rgb = np.zeros((3, 1, 2), dtype=np.float32)
    rgb[0, 0, 1] = 1.0
    r = unit_image(rgb, "postprocess", "tanh")  # (x + 1) / 2 * 255 + 0.5 per channel, no repeat
    assert r.shape == (3, 1, 2) and (r * 255).round().tolist() == [[[128, 255]], [[128, 128]], [[128, 128]]]
    assert unit_image(rgb, "tanh", "tanh").shape == (3, 1, 2)


def test_reference_image_files_in_natural_order_with_subfolders(tmp_path):
    from PIL import Image

    with pytest.raises(InputError, match=r"ref: reference image folder not found; fix quality.reference"):
        image_files(tmp_path / "ref")
    (tmp_path / "ref" / "0010").mkdir(parents=True)
    (tmp_path / "ref" / "0002").mkdir()
    Image.new("RGB", (2, 1), (255, 0, 0)).save(tmp_path / "ref" / "0010" / "a.PNG")
    (tmp_path / "ref" / "notes.txt").write_text("x")
    (tmp_path / "ref" / "dir.png").mkdir()  # a folder named like an image
    with pytest.raises(InputError, match=r"ref: 1 images \(.jpg/.png\) found, FID statistics need at least 2; fix"):
        image_files(tmp_path / "ref")
    Image.new("L", (2, 1), 51).save(tmp_path / "ref" / "0002" / "b.jpg")
    assert len(image_files(tmp_path / "ref")) == 2  # two are enough
    Image.new("RGB", (2, 1)).save(tmp_path / "ref" / "0002" / "a10.png")
    Image.new("RGB", (2, 1)).save(tmp_path / "ref" / "0002" / "a9.png")
    got = [p.relative_to(tmp_path / "ref").as_posix() for p in image_files(tmp_path / "ref")]
    assert got == ["0002/a9.png", "0002/a10.png", "0002/b.jpg", "0010/a.PNG"]
    red = read_image(tmp_path / "ref" / "0010" / "a.PNG")
    assert red.shape == (3, 1, 2) and red.dtype == np.float32 and red[:, 0, 0].tolist() == [1.0, 0.0, 0.0]
    grey = read_image(tmp_path / "ref" / "0002" / "b.jpg")
    assert grey.shape == (3, 1, 2) and np.allclose(grey, 51 / 255, atol=2 / 255)
    (tmp_path / "ref" / "0002" / "broken.png").write_text("not an image")
    with pytest.raises(InputError, match=r"broken.png: cannot be read as an image \(.*\); remove it from the"):
        read_image(tmp_path / "ref" / "0002" / "broken.png")


def test_chunks():
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks([1, 2], 5)) == [[1, 2]] and list(chunks([], 3)) == []


# ---- .bin I/O -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "bytes_"), [(101, 404), (99, 396), (0, 0)])
def test_bin_of_wrong_length_is_one_input_error(tmp_path, values, bytes_):
    """Too long, too short and empty: an InputError naming the file, sizes and fix (the script prints it)."""
    path = tmp_path / "Z" / "3.bin"
    path.parent.mkdir()
    write_bin(np.zeros(values), path)
    with pytest.raises(InputError) as exc:
        read_bin(path, (100,))
    fix = "delete the file and re-run preprocess"
    assert str(exc.value) == f"{path}: {bytes_} bytes, expected 400 (float32 100); {fix}"
    with pytest.raises(InputError, match=rf"{bytes_} bytes, expected 400 \(float32 4x5x5\)"):
        read_bin(path, (4, 5, 5))


def test_bin_round_trip_shapes_and_byte_order(tmp_path):
    big_endian = np.array([1.5, -2.0, 3.25], dtype=">f8")
    write_bin(big_endian, tmp_path / "a.bin")
    assert (tmp_path / "a.bin").read_bytes() == np.array([1.5, -2.0, 3.25], dtype="<f4").tobytes()
    got = read_bin(tmp_path / "a.bin")
    assert got.dtype == np.dtype("<f4") and got.shape == (3,) and got.tolist() == [1.5, -2.0, 3.25]
    write_bin(np.arange(6.0).reshape(2, 3).T, tmp_path / "t.bin")  # non-contiguous: written in C order of the view
    assert read_bin(tmp_path / "t.bin", (3, 2)).tolist() == [[0, 3], [1, 4], [2, 5]]
    assert read_bin(tmp_path / "t.bin", (6, 1, 1)).shape == (6, 1, 1)


def test_natural_order_and_bin_listing(tmp_path):
    assert natural_key("a10b2.bin") == ["a", 10, "b", 2, ".bin"]
    names = ["x_10.bin", "x_9.bin", "x_100.bin", "b.bin", "a.bin"]
    assert sorted(names, key=natural_key) == ["a.bin", "b.bin", "x_9.bin", "x_10.bin", "x_100.bin"]
    with pytest.raises(InputError, match=r"in: input folder not found; run the preprocess stage first"):
        list_bins(tmp_path / "in")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("")
    with pytest.raises(InputError, match=r"in: no .bin files; run the preprocess stage first"):
        list_bins(tmp_path / "in")
    for n in names:
        (tmp_path / "in" / n).write_bytes(b"")
    (tmp_path / "in" / "x.bin.txt").write_bytes(b"")
    assert [p.name for p in list_bins(str(tmp_path / "in"))] == sorted(names, key=natural_key)


def test_output_names_follow_ais_bench():
    assert output_name("a/b/noise_0001.bin") == "noise_0001_0.bin"
    assert output_name("x.y.bin", 2) == "x_2.bin"  # cut at the first '.'
    assert output_name("plain") == "plain_0.bin"


def test_atomic_outputs(tmp_path):
    target = tmp_path / "deep" / "out.json"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".out.json.tmp") and not target.exists()
        tmp.write_text("1")
    assert target.read_text() == "1" and sorted(p.name for p in target.parent.iterdir()) == ["out.json"]
    with pytest.raises(KeyError), atomic_path(target) as tmp:
        tmp.write_text("2")
        raise KeyError
    assert target.read_text() == "1" and sorted(p.name for p in target.parent.iterdir()) == ["out.json"]
    with pytest.raises(KeyError), atomic_path(tmp_path / "d") as tmp:
        tmp.mkdir()
        (tmp / "f").write_text("")
        raise KeyError
    assert not (tmp_path / "d").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["deep"]
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "old.bin").write_text("")
    with atomic_dir(tmp_path / "folder") as tmp:
        assert list(tmp.iterdir()) == []
        (tmp / "new.bin").write_text("")
    assert [p.name for p in (tmp_path / "folder").iterdir()] == ["new.bin"]
    with atomic_dir(tmp_path / "fresh") as tmp:
        (tmp / "x").write_text("")
    assert [p.name for p in (tmp_path / "fresh").iterdir()] == ["x"]


def test_json_round_trip(tmp_path):
    write_json({"b": 1, "a": [1.5, None]}, tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    assert text == '{\n  "b": 1,\n  "a": [\n    1.5,\n    null\n  ]\n}\n'  # key order kept, indent 2
    assert read_json(str(tmp_path / "r.json")) == {"b": 1, "a": [1.5, None]}


# ---- input batching and the accuracy run ---------------------------------------------------------------

SPEC = ModelSpec(
    name="two_inputs",
    title="",
    guide="",
    network="",
    checkpoint_key=None,
    inputs=(TensorSpec("noise", (2,)), TensorSpec("label", (1, 3))),
    output=TensorSpec("out", (2,)),
    file_stem="{}",
    preprocess="",
    postprocess="",
)


def two_input_samples(root, count):
    """Sample k: noise [k, -k], label [[k, k + 0.5, k + 0.25]] (every row tells its sample)."""
    for name in ("noise", "label"):
        (root / name).mkdir(parents=True)
    for k in range(count):
        write_bin(np.array([k, -k]), root / "noise" / f"s{k}.bin")
        write_bin(np.array([[k, k + 0.5, k + 0.25]]), root / "label" / f"s{k}.bin")
    return root


def test_last_batch_of_two_real_samples_with_bs3_is_padded_with_its_first(tmp_path):
    inputs = InputSet(SPEC, two_input_samples(tmp_path, 5))
    assert len(inputs) == 5 and inputs.stems == ["s0", "s1", "s2", "s3", "s4"]
    batches = list(inputs.batches(3))
    assert [stems for stems, _ in batches] == [["s0", "s1", "s2"], ["s3", "s4"]]
    noise, label = batches[1][1]["noise"], batches[1][1]["label"]
    assert noise.shape == (3, 2) and label.shape == (3, 1, 3) and noise.dtype == np.float32
    assert noise[:, 0].tolist() == [3, 4, 3]  # padding = the batch's first file (s3), not its last (s4)
    assert label[:, 0, 1].tolist() == [3.5, 4.5, 3.5]
    assert batches[0][1]["noise"][:, 1].tolist() == [0, -1, -2]
    short = list(inputs.batches(3, pad=False))[1][1]
    assert short["noise"][:, 0].tolist() == [3, 4] and short["label"].shape == (2, 1, 3)
    assert inputs.first_batch(3)["noise"][:, 0].tolist() == [0, 1, 2]
    assert inputs.first_batch(8)["noise"][:, 0].tolist() == [0, 1, 2, 3, 4, 0, 0, 0]
    assert inputs.read(4)["label"].tolist() == [[4, 4.5, 4.25]]


def test_input_folders_must_name_the_same_samples(tmp_path):
    root = two_input_samples(tmp_path, 2)
    (root / "label" / "s1.bin").rename(root / "label" / "t1.bin")
    with pytest.raises(InputError, match=r"label: file names differ from .*noise; every input folder needs the same"):
        InputSet(SPEC, root)


class DoubleSession:
    """Returns 2 * noise as a bs x 1 x 2 output; remembers the feeds."""

    def __init__(self):
        self.feeds = []

    def run(self, feeds):
        self.feeds.append(feeds)
        return (2 * feeds["noise"])[:, None, :]


def test_accuracy_run_outputs_and_summary(tmp_path, monkeypatch):
    root = two_input_samples(tmp_path / "in", 5)
    ticks = iter([0.0, 0.001, 1.0, 1.003])  # two batches: 1 ms and 3 ms
    monkeypatch.setattr(runner.time, "perf_counter", lambda: next(ticks))
    session = DoubleSession()
    out = tmp_path / "out"
    rec = runner.run_folder(session, SPEC, str(root), 3, str(out), str(tmp_path / "s.json"), {"backend": "fake"})
    assert sorted(p.name for p in out.iterdir()) == [f"s{k}_0.bin" for k in range(5)]  # no padding output
    for k in range(5):
        assert read_bin(out / f"s{k}_0.bin").tolist() == [2 * k, -2 * k]
    assert [f["noise"][:, 0].tolist() for f in session.feeds] == [[0, 1, 2], [3, 4, 3]]
    assert read_json(tmp_path / "s.json") == json.loads(json.dumps(rec))
    compute = rec["NPU_compute_time"]
    assert rec["npu_compute_time_list"] == [pytest.approx(1.0), pytest.approx(3.0)]
    assert compute["count"] == 2 and compute["mean"] == pytest.approx(2.0) and compute["max"] == pytest.approx(3.0)
    assert rec["throughput"] == pytest.approx(1000 * 3 / 2.0)
    assert rec["H2D_latency"] == rec["D2H_latency"] == ais_timing([])
    assert (rec["model"], rec["batch_size"], rec["samples"], rec["output_shape"]) == ("two_inputs", 3, 5, [1, 2])
    assert rec["backend"] == "fake" and isinstance(rec["pid"], int) and isinstance(rec["args"], list)
    assert rec["filesinfo"] == {  # per sample, as ais_bench keys it; the padding row has none
        str(k): {
            "infiles": [str(root / t / f"s{k}.bin") for t in ("noise", "label")],
            "outfiles": [str(out / f"s{k}_0.bin")],
        }
        for k in range(5)
    }
