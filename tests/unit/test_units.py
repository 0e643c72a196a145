"""Library units: .bin I/O, batching, accuracy formulas, images, statistics, README markers."""

import numpy as np
import pytest

from ganinfer import bench, registry
from ganinfer.accuracy import compare_folders, cosine
from ganinfer.errors import InputError
from ganinfer.fileio import atomic_dir, list_bins, output_name, read_bin, write_bin
from ganinfer.images import captioned, grid, to_uint8
from ganinfer.inputs import InputSet
from ganinfer.preprocess import make_inputs
from ganinfer.report.readme import replace_sections, update_readme
from ganinfer.stats import ais_timing, percentile, summarize, throughput


def test_bin_is_raw_little_endian_float32(tmp_path):
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    write_bin(a, tmp_path / "x.bin")
    raw = (tmp_path / "x.bin").read_bytes()
    assert len(raw) == 24 and raw[4:8] == np.float32(1.0).tobytes()
    assert read_bin(tmp_path / "x.bin", (2, 3)).tolist() == a.tolist()


def test_bin_of_wrong_size_names_file_and_fix(tmp_path):
    write_bin(np.zeros(99), tmp_path / "noise_0000.bin")
    with pytest.raises(InputError, match=r"noise_0000\.bin: 396 bytes, expected 400 .*re-run preprocess"):
        read_bin(tmp_path / "noise_0000.bin", (100, 1, 1))


def test_ais_bench_output_names_and_natural_order(tmp_path):
    assert output_name("noise_0000.bin") == "noise_0000_0.bin"
    assert output_name("dir/12.bin", 1) == "12_1.bin"
    for i in (10, 2, 1):
        write_bin(np.zeros(1), tmp_path / f"{i}.bin")
    assert [p.name for p in list_bins(tmp_path)] == ["1.bin", "2.bin", "10.bin"]


def test_preprocess_is_seeded_and_prefix_stable(tmp_path):
    spec = registry.get("dcgan")
    make_inputs(spec, 4, 5, tmp_path / "a")
    make_inputs(spec, 6, 5, tmp_path / "b")
    make_inputs(spec, 4, 6, tmp_path / "c")
    names = sorted(p.name for p in (tmp_path / "a" / "noise").iterdir())
    assert names == ["noise_0000.bin", "noise_0001.bin", "noise_0002.bin", "noise_0003.bin"]
    for n in names:
        a = (tmp_path / "a" / "noise" / n).read_bytes()
        assert len(a) == 400
        assert a == (tmp_path / "b" / "noise" / n).read_bytes()
        assert a != (tmp_path / "c" / "noise" / n).read_bytes()
    x = np.concatenate([read_bin(p) for p in list_bins(tmp_path / "b" / "noise")])
    assert abs(x.mean()) < 0.15 and abs(x.std() - 1) < 0.1


def test_batches_pad_the_last_one_with_its_first_file(tmp_path):
    spec = registry.get("gan")
    make_inputs(spec, 5, 0, tmp_path)
    batches = list(InputSet(spec, tmp_path).batches(2))
    assert [stems for stems, _ in batches] == [["0", "1"], ["2", "3"], ["4"]]
    last = batches[-1][1]["Z"]
    assert last.shape == (2, 100)
    assert np.array_equal(last[0], last[1])
    unpadded = list(InputSet(spec, tmp_path).batches(2, pad=False))
    assert unpadded[-1][1]["Z"].shape == (1, 100)


def test_atomic_dir_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "out") as tmp:
        (tmp / "half.bin").write_bytes(b"x")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_cosine_and_modelzoo_acc(tmp_path):
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == pytest.approx(0.0)
    assert cosine(np.array([1.0, 2.0]), np.array([-2.0, -4.0])) == pytest.approx(-1.0)
    ref, out = tmp_path / "ref", tmp_path / "out"
    ref.mkdir(), out.mkdir()
    write_bin(np.array([1.0, 0.0]), ref / "a_0.bin")
    write_bin(np.array([1.0, 0.0]), out / "a_0.bin")
    write_bin(np.array([1.0, 0.0]), ref / "b_0.bin")
    write_bin(np.array([1.0, 1.0]), out / "b_0.bin")  # cos = 1/sqrt(2), mean |diff| = 0.5
    rec = compare_folders(out, ref, threshold=0.9)
    mean_cos = (1 + 2**-0.5) / 2
    assert rec["mean_cosine"] == pytest.approx(mean_cos)
    assert rec["acc_percent"] == pytest.approx(100 * (mean_cos + 1) / 2)
    assert rec["min_cosine"] == pytest.approx(2**-0.5)
    assert rec["mean_abs_diff"] == pytest.approx(0.25)
    assert rec["worst_sample"] == "b_0.bin"
    assert rec["passed"] is False


def test_accuracy_needs_every_output(tmp_path):
    (tmp_path / "ref").mkdir(), (tmp_path / "out").mkdir()
    write_bin(np.ones(3), tmp_path / "ref" / "a_0.bin")
    with pytest.raises(InputError, match=r"a_0\.bin: output missing"):
        compare_folders(tmp_path / "out", tmp_path / "ref", 0.99)


def test_images_follow_the_guides_normalisation():
    x = np.array([[[-0.5, 0.5], [0.0, 0.25]]], dtype=np.float32)
    assert to_uint8(x, "minmax").tolist() == [[0, 255], [128, 191]]  # per-image min-max, *255 + 0.5
    assert to_uint8(x, "tanh").tolist() == [[64, 191], [128, 159]]  # (x + 1) / 2
    rgb = np.zeros((3, 1, 1), dtype=np.float32)  # ImageNet-normalised zero = the mean colour
    assert to_uint8(rgb, "imagenet").tolist() == [[[124, 116, 104]]]


def test_grid_layout_and_caption():
    tiles = [np.full((4, 4), i, dtype=np.uint8) for i in range(10)]
    g = grid(tiles, ncol=8, pad=2)
    assert g.shape == (2 + 2 * 6, 2 + 8 * 6)
    assert g[2, 2] == 0 and g[2, 8] == 1 and g[8, 2] == 8 and g[0, 0] == 0
    c = captioned(g, "dcgan | cpu")
    assert c.ndim == 3 and c.shape[0] > g.shape[0] * (c.shape[1] // g.shape[1])


def test_statistics():
    x = list(range(1, 101))
    assert percentile(x, 50) == 50 and percentile(x, 99) == 99
    s = summarize([2.0, 2.0, 4.0, 4.0])
    assert s["mean"] == 3.0 and s["std"] == pytest.approx(np.std([2, 2, 4, 4], ddof=1))
    assert s["cov"] == pytest.approx(s["std"] / 3)
    assert throughput(32, 2.0) == 16000.0
    assert ais_timing([1.0, 3.0])["median"] == 2.0


def test_harness_stops_on_iterations_and_seconds(monkeypatch):
    """A fake clock: every call takes 10 ms, warm-up calls are not timed."""
    now = [0.0]
    calls = []

    def fn():
        calls.append(now[0])
        now[0] += 0.010

    monkeypatch.setattr(bench.time, "perf_counter", lambda: now[0])
    rec = bench.measure(
        fn, 4, bench.BenchSettings(warmup=3, warmup_seconds=0, min_iterations=5, min_seconds=0.095, max_seconds=10)
    )
    assert len(calls) == 3 + 10  # 0.095 s at 10 ms needs 10 iterations (> min_iterations)
    assert rec["latency_ms"]["count"] == 10
    assert rec["latency_ms"]["mean"] == pytest.approx(10.0)
    assert rec["throughput_fps"] == pytest.approx(400.0)
    assert rec["valid"] and rec["invalid_reason"] == ""

    rec = bench.measure(
        fn, 1, bench.BenchSettings(warmup=0, warmup_seconds=0, min_iterations=100, min_seconds=0, max_seconds=0.05)
    )
    assert not rec["valid"] and "iterations < 100" in rec["invalid_reason"]


def test_harness_flags_unstable_runs(monkeypatch):
    now = [0.0]
    steps = iter([0.001, 0.009] * 50)

    def fn():
        now[0] += next(steps)

    monkeypatch.setattr(bench.time, "perf_counter", lambda: now[0])
    rec = bench.measure(
        fn, 1, bench.BenchSettings(warmup=0, warmup_seconds=0, min_iterations=20, min_seconds=0, max_cov=0.1)
    )
    assert not rec["valid"] and rec["invalid_reason"].startswith("robust CoV 1.186")


def _fake_clock_run(monkeypatch, steps_ms, max_cov=0.1):
    now = [0.0]
    steps = iter(steps_ms)

    def fn():
        now[0] += next(steps) / 1000.0

    monkeypatch.setattr(bench.time, "perf_counter", lambda: now[0])
    settings = bench.BenchSettings(warmup=0, warmup_seconds=0, min_iterations=len(steps_ms), min_seconds=0)
    return bench.measure(fn, 1, bench.BenchSettings(**{**settings.__dict__, "max_cov": max_cov}))


def test_harness_validity_is_robust_to_rare_slow_iterations(monkeypatch):
    """One 2 ms iteration in 100 of 1 ms: std-based CoV 0.10 but the mean moved 1 %: VALID."""
    rec = _fake_clock_run(monkeypatch, [1.0] * 99 + [2.0])
    lat = rec["latency_ms"]
    assert lat["cov"] == pytest.approx(0.0990, abs=1e-3) and lat["robust_cov"] == 0.0
    assert rec["valid"], rec["invalid_reason"]
    assert rec["throughput_fps"] == pytest.approx(1000 / 1.01)


def test_harness_flags_runs_carried_by_outliers(monkeypatch):
    """One 100 ms stall in 100 iterations of 1 ms doubles the mean: the throughput would
    be half the typical one, so the run is INVALID and says why."""
    rec = _fake_clock_run(monkeypatch, [1.0] * 99 + [100.0])
    assert rec["latency_ms"]["robust_cov"] == 0.0
    assert not rec["valid"]
    assert rec["invalid_reason"] == "mean +99% off the median (outlier iterations) > 10%"


@pytest.mark.parametrize("count", [10, bench.MAX_STORED_LATENCIES, bench.MAX_STORED_LATENCIES + 1, 50_000])
def test_perf_record_keeps_latencies_compactly(count):
    """Up to 10,000 iterations every latency (ns-rounded, in order), past that 1001 quantiles."""
    lat = list(np.random.default_rng(1).uniform(0.05, 0.2, count))
    rec = bench.record(lat, 1, bench.BenchSettings(), elapsed=1.0, warmup_runs=1)
    if count <= bench.MAX_STORED_LATENCIES:
        assert "latency_quantiles_ms" not in rec
        assert rec["latencies_ms"] == pytest.approx(lat, abs=1e-6)
    else:
        q = rec["latency_quantiles_ms"]
        assert "latencies_ms" not in rec and len(q) == 1001
        lat_ms = rec["latency_ms"]
        assert q[0] == pytest.approx(min(lat), abs=1e-6) and q[-1] == pytest.approx(max(lat), abs=1e-6)
        assert q[500] == pytest.approx(lat_ms["p50"], abs=1e-6) and q[990] == pytest.approx(lat_ms["p99"], abs=1e-6)
    assert rec["latency_ms"]["count"] == count
    assert bench.latency_sample(rec) == rec.get("latencies_ms", rec.get("latency_quantiles_ms"))


def test_provenance_names_config_and_packages():
    a = bench.provenance(".", {"seed": 0, "models": ["dcgan"]}, {"onnxruntime": "1.0"})
    b = bench.provenance(".", {"models": ["dcgan"], "seed": 0}, {"onnxruntime": "1.0"})
    c = bench.provenance(".", {"models": ["dcgan"], "seed": 1})
    assert a["config_hash"] == b["config_hash"] != c["config_hash"] and len(a["config_hash"]) == 12
    assert a["packages"]["onnxruntime"] == "1.0" and a["packages"]["numpy"] == np.__version__
    assert a["cpu"] and a["cores_available"] >= 1
    assert bench.provenance(".")["config_hash"] == ""


def test_readme_sections_are_replaced_idempotently(tmp_path):
    text = "# T\n<!-- BEGIN GENERATED: perf -->\nold\n<!-- END GENERATED: perf -->\ntail\n"
    new = replace_sections(text, {"perf": "| a |\n"})
    assert new == "# T\n<!-- BEGIN GENERATED: perf -->\n| a |\n<!-- END GENERATED: perf -->\ntail\n"
    assert replace_sections(new, {"perf": "| a |\n"}) == new
    path = tmp_path / "README.md"
    path.write_text(new)
    assert update_readme(path, {"perf": "| a |"}) is False
    with pytest.raises(InputError, match="README.md: needs exactly one '<!-- BEGIN GENERATED: images -->'"):
        update_readme(path, {"images": "x"})
