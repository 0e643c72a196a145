"""Invariants of the numeric and I/O library, as property-based tests (hypothesis)."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ganinfer import bench
from ganinfer.accuracy import cosine
from ganinfer.errors import InputError
from ganinfer.fileio import read_bin, write_bin
from ganinfer.inputs import InputSet
from ganinfer.quality import frechet_distance, gaussian_stats, inception_score
from ganinfer.spec import ModelSpec, TensorSpec
from ganinfer.stats import percentile, summarize

FAST = settings(max_examples=60, deadline=None, derandomize=True)  # the same examples every run

latency = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
latencies = st.lists(latency, min_size=1, max_size=40)
percent = st.integers(min_value=0, max_value=100)


# ---- percentiles and summaries ----------------------------------------------------------------------


@FAST
@given(latencies, percent, percent)
def test_percentile_is_the_nearest_rank_element_and_monotone(values, p, q):
    got = percentile(values, p)
    ordered = sorted(values)
    assert got == ordered[max(-(-p * len(values) // 100), 1) - 1]  # ceil(p n / 100), in integers
    assert min(values) <= got <= max(values)
    lo, hi = sorted((p, q))
    assert percentile(values, lo) <= percentile(values, hi)
    assert percentile(list(reversed(values)), p) == got


@FAST
@given(latencies)
def test_summary_order_and_bounds(values):
    s = summarize(values)
    assert s["count"] == len(values)
    assert s["min"] <= s["p50"] <= s["p90"] <= s["p95"] <= s["p99"] <= s["max"]
    assert s["min"] == min(values) and s["max"] == max(values)
    assert s["min"] * (1 - 1e-12) <= s["mean"] <= s["max"] * (1 + 1e-12)
    assert s["std"] >= 0 and s["cov"] >= 0 and s["robust_cov"] >= 0
    assert (s["std"] == 0) == (len(values) == 1) or max(values) == min(values)


@FAST
@given(latencies, st.integers(min_value=-6, max_value=6))
def test_validity_does_not_depend_on_the_time_unit(values, exponent):
    """Scaling every latency by a power of two (exact in floating point) keeps the verdict and the reasons'
    ratios: robust CoV and the mean-median gap are dimensionless."""
    s = bench.BenchSettings(warmup=0, warmup_seconds=0, min_iterations=1, min_seconds=0, max_cov=0.1)
    a = bench.record(values, 1, s, 1.0, 0)
    b = bench.record([v * 2.0**exponent for v in values], 1, s, 1.0, 0)
    assert a["valid"] == b["valid"] and a["invalid_reason"] == b["invalid_reason"]
    assert b["throughput_fps"] == pytest.approx(a["throughput_fps"] / 2.0**exponent, rel=1e-12)


# ---- cosine ------------------------------------------------------------------------------------------

vectors = hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e6, 1e6, allow_nan=False))


@FAST
@given(vectors, st.data())
def test_cosine_is_bounded_symmetric_and_scale_free(a, data):
    b = data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-1e6, 1e6, allow_nan=False)))
    c = cosine(a, b)
    assert -1.0 - 1e-12 <= c <= 1.0 + 1e-12
    assert c == pytest.approx(cosine(b, a), abs=1e-15)
    k = data.draw(st.sampled_from([0.25, 2.0, 1024.0]))  # powers of two: the scaling is exact
    assert cosine(k * a, b) == pytest.approx(c, abs=1e-12)
    if np.any(a != 0):
        assert cosine(a, k * a) == pytest.approx(1.0, abs=1e-12)
        assert cosine(a, -a) == pytest.approx(-1.0, abs=1e-12)


# ---- FID and IS ------------------------------------------------------------------------------------------


@st.composite
def gaussians(draw, dim):
    n = draw(st.integers(2, 6))
    x = draw(hnp.arrays(np.float64, (n, dim), elements=st.floats(-10, 10, allow_nan=False)))
    return gaussian_stats(x)


@FAST
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(gaussians(d), gaussians(d))))
def test_fid_is_symmetric_non_negative_and_zero_on_itself(pair):
    (mu1, s1), (mu2, s2) = pair
    scale = 1.0 + np.trace(s1) + np.trace(s2) + float((mu1 - mu2) @ (mu1 - mu2))
    forward, backward = frechet_distance(mu1, s1, mu2, s2), frechet_distance(mu2, s2, mu1, s1)
    assert forward >= 0.0
    # sqrt is not Lipschitz at 0: a null eigenvalue perturbed by rounding moves Tr sqrt by sqrt(eps * scale^2)
    tol = 4 * len(mu1) * math.sqrt(np.finfo(float).eps) * scale
    assert forward == pytest.approx(backward, abs=tol)
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=tol)
    shift = np.arange(len(mu1), dtype=np.float64)
    assert frechet_distance(mu1 + shift, s1, mu2 + shift, s2) == pytest.approx(forward, abs=tol)
    # the mean term alone: equal covariances leave |mu1 - mu2|^2
    assert frechet_distance(mu1, s1, mu2, s1) == pytest.approx(float((mu1 - mu2) @ (mu1 - mu2)), abs=tol)


@FAST
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 6)), elements=st.floats(0, 1)))
def test_inception_score_lies_between_one_and_the_class_count(p):
    assume(np.all(p.sum(axis=1) > 1e-3))
    probs = p / p.sum(axis=1, keepdims=True)
    mean, std = inception_score(probs, splits=1)
    assert 1.0 - 1e-9 <= mean <= probs.shape[1] * (1 + 1e-9) and std == 0.0
    assert inception_score(probs[::-1], splits=1)[0] == pytest.approx(mean, rel=1e-9)  # order-free in a split


# ---- .bin I/O and batching ------------------------------------------------------------------------------


@FAST
@given(hnp.arrays(np.float32, st.integers(0, 30)), st.integers(1, 30))
def test_read_bin_returns_what_was_written_or_one_input_error(tmp_path_factory, data, expected):
    path = tmp_path_factory.mktemp("bin") / "x.bin"
    write_bin(data, path)
    if data.size == expected:
        np.testing.assert_array_equal(read_bin(path, (expected,)), data)
    else:
        with pytest.raises(InputError, match=rf"{data.size * 4} bytes, expected {expected * 4} \(float32 {expected}\)"):
            read_bin(path, (expected,))


SPEC = ModelSpec(
    name="p",
    title="",
    guide="",
    network="",
    checkpoint_key=None,
    inputs=(TensorSpec("a", (1,)), TensorSpec("b", (2,))),
    output=TensorSpec("o", (1,)),
    file_stem="{}",
    preprocess="",
    postprocess="",
)


@pytest.fixture(scope="module")
def sample_folders(tmp_path_factory):
    """Folders of 1 .. 11 samples; sample k holds a = [k], b = [k, -k]."""
    roots = {}
    for n in range(1, 12):
        root = roots[n] = tmp_path_factory.mktemp(f"n{n}")
        for name in ("a", "b"):
            (root / name).mkdir()
        for k in range(n):
            write_bin(np.array([k]), root / "a" / f"{k}.bin")
            write_bin(np.array([k, -k]), root / "b" / f"{k}.bin")
    return roots


@FAST
@given(n=st.integers(1, 11), bs=st.integers(1, 6), pad=st.booleans())
def test_batching_covers_every_sample_once_in_order(sample_folders, n, bs, pad):
    batches = list(InputSet(SPEC, sample_folders[n]).batches(bs, pad=pad))
    assert len(batches) == -(-n // bs)
    assert [s for stems, _ in batches for s in stems] == [str(k) for k in range(n)]
    for stems, feeds in batches:
        rows = feeds["a"][:, 0].tolist()
        real = [int(s) for s in stems]
        assert rows[: len(real)] == real
        assert rows[len(real) :] == ([real[0]] * (bs - len(real)) if pad else [])
        assert feeds["b"][:, 1].tolist() == [-r for r in rows]
