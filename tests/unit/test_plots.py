"""The plot library on a small hand-made perf table and records: artists, labels, titles, PNG files; the plot
list the DAG reads, without pandas or matplotlib."""

import subprocess
import sys

import numpy as np
import pandas as pd
from PIL import Image

from common import SCRIPTS, run_script
from ganinfer import bench
from ganinfer.fileio import write_json
from ganinfer.report import plots
from ganinfer.report.columns import PERF, names
from ganinfer.report.frames import weights_label, write_csv
from ganinfer.report.plotlist import plot_paths, report_flags

# dcgan on cpu at bs 1, 4 (INVALID), 16; on Ascend310P3 at bs 1, 16 (no GEMM peak there); gan on cpu at bs 2
ROWS = [
    ("dcgan", "cpu", 1, 900.0, "VALID", 75.0),
    ("dcgan", "cpu", 4, 1200.0, "INVALID", 90.0),
    ("dcgan", "cpu", 16, 1100.0, "VALID", 85.0),
    ("dcgan", "Ascend310P3", 1, 5000.0, "VALID", None),
    ("dcgan", "Ascend310P3", 16, 20000.0, "INVALID", None),
    ("gan", "cpu", 2, 30000.0, "INVALID", 40.0),
]


def perf_rows(weights="demo") -> pd.DataFrame:
    """perf.csv as the plots stage reads it (numbers as numbers, every column of the spec)."""
    rows = [
        {
            "model": model,
            "chip": chip,
            "batch_size": bs,
            "weights": weights,
            "throughput_fps": fps,
            "timing": "end-to-end" if chip == "cpu" else "device-only",
            "valid": valid,
            "percent_of_peak": pct,
            "achieved_gflops": 1.0 if pct else None,
            "gemm_peak_gflops": 200.0 if chip == "cpu" else None,
        }
        for model, chip, bs, fps, valid, pct in ROWS
    ]
    return pd.DataFrame(rows, columns=names(PERF)).astype({c.name: c.dtype for c in PERF})


def perf_records(iterations=200):
    """Records as the harness writes them: latencies around 1000 * bs / fps ms."""
    rng = np.random.default_rng(0)
    settings = bench.BenchSettings(min_iterations=1, min_seconds=0)
    recs = []
    for model, chip, bs, fps, valid, _pct in ROWS:
        lat = list(1000.0 * bs / fps * (1 + rng.gamma(2.0, 0.02, iterations)))
        rec = bench.record(lat, bs, settings, elapsed=sum(lat) / 1000, warmup_runs=1)
        recs.append({"model": model, "chip": chip, "timing": "end-to-end", **rec, "valid": valid == "VALID"})
    return recs


def test_throughput_plot_marks_invalid_points_and_labels_axes():
    fig = plots.throughput_figure("dcgan", perf_rows())
    (ax,) = fig.axes
    assert "dcgan" in ax.get_title() and "demo weights" in ax.get_title()
    assert "batch size" in ax.get_xlabel() and "images/s" in ax.get_ylabel()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    lines = {a.get_gid(): a for a in ax.lines if a.get_gid().startswith("line:")}
    assert set(lines) == {"line:cpu", "line:Ascend310P3"}  # one line per chip
    assert list(lines["line:cpu"].get_xdata()) == [1, 4, 16]
    invalid = [a for a in ax.lines if a.get_gid() == "invalid"]
    valid = [a for a in ax.lines if a.get_gid() == "valid"]
    points = sorted((x, y) for a in invalid for x, y in zip(a.get_xdata(), a.get_ydata(), strict=True))
    assert points == [(4, 1200.0), (16, 20000.0)]
    assert sorted(x for a in valid for x in a.get_xdata()) == [1, 1, 16]
    # drawn differently: another marker and colour than the VALID points
    assert {a.get_marker() for a in invalid} == {"X"} and {a.get_marker() for a in valid} == {"o"}
    assert {a.get_markerfacecolor() for a in invalid}.isdisjoint({a.get_markerfacecolor() for a in valid})
    assert any("INVALID" in t.get_text() for t in ax.get_legend().get_texts())


def test_roofline_plot_takes_each_models_best_batch():
    fig = plots.roofline_figure("cpu", perf_rows())
    (ax,) = fig.axes
    assert "cpu" in ax.get_title() and "demo weights" in ax.get_title()
    assert "% of the measured fp32 GEMM peak" in ax.get_xlabel()
    bars = {t.get_text(): p for t, p in zip(ax.get_yticklabels(), ax.patches, strict=True)}
    # dcgan: bs16 is the best VALID row (85 %), not the faster-looking INVALID bs4; gan: only an INVALID row
    assert bars["dcgan"].get_width() == 85.0 and bars["dcgan"].get_gid() == "valid"
    assert bars["gan"].get_width() == 40.0 and bars["gan"].get_gid() == "invalid"
    assert bars["gan"].get_hatch() and not bars["dcgan"].get_hatch()
    assert any("200.0 GFLOP/s" in t.get_text() for t in ax.get_legend().get_texts())


def test_latency_plot_shows_the_percentiles_per_batch_size():
    recs = perf_records()
    fig = plots.latency_figure("dcgan", "cpu", recs, perf_rows(weights="real"))
    title = fig.get_suptitle()
    assert "real weights" in title and "dcgan on cpu" in title
    assert "latency per batch (ms" in fig.get_supylabel()
    assert [ax.get_xticklabels()[0].get_text() for ax in fig.axes] == ["n = 200"] * 3
    mine = [r for r in recs if r["model"] == "dcgan" and r["chip"] == "cpu"]
    assert len(fig.axes) == len(mine) == 3  # a panel per batch size
    for ax, rec in zip(fig.axes, mine, strict=True):
        for name in ("p50", "p90", "p99"):
            (mark,) = [a for a in ax.lines if a.get_gid() == name]
            assert mark.get_ydata()[0] == rec["latency_ms"][name]
            assert ax.get_ylim()[0] < rec["latency_ms"][name] < ax.get_ylim()[1]
    bodies = [a.get_gid() for ax in fig.axes for a in ax.collections if a.get_gid() in ("valid", "invalid")]
    assert bodies == ["valid", "invalid", "valid"]
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["bs1", "bs4 INVALID", "bs16"]
    assert {t.get_text() for t in fig.legends[0].get_texts()} >= {"p50", "p90", "p99"}


def test_latency_plot_of_a_long_run_uses_the_stored_quantiles():
    (rec,) = perf_records(iterations=bench.MAX_STORED_LATENCIES + 1)[:1]
    assert "latencies_ms" not in rec and len(rec["latency_quantiles_ms"]) == bench.QUANTILES
    fig = plots.latency_figure("dcgan", "cpu", [rec], perf_rows())
    assert [a for a in fig.axes[0].collections if a.get_gid() == "valid"]
    assert "1001 quantiles" in fig.axes[0].get_xticklabels()[0].get_text()


def test_titles_name_mixed_weights():
    rows = perf_rows()
    rows.loc[0, "weights"] = "real"
    assert weights_label(rows) == "demo and real weights"


def test_png_is_readme_width_and_the_same_bytes_twice(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    plots.save(plots.throughput_figure("dcgan", perf_rows()), a)
    plots.save(plots.throughput_figure("dcgan", perf_rows()), b)
    assert a.read_bytes() == b.read_bytes()
    with Image.open(a) as im:
        assert im.format == "PNG" and im.size[0] == 800 and 300 <= im.size[1] <= 600
        assert not {k for k in im.info if k.lower() in ("software", "creation time", "date")}


def test_plots_script_by_hand_skips_chips_without_a_peak(tmp_path):
    table = tmp_path / "perf.csv"
    write_csv(perf_rows(), PERF, table)
    records = []
    for i, rec in enumerate(perf_records(iterations=20)):
        records.append(tmp_path / f"rec{i}.json")
        write_json(rec, records[-1])
    out = tmp_path / "plots"
    run_script("draw-plots", "--table", table, "--records", *records, "--outdir", out)
    names = {p.name for p in out.glob("*.png")}
    assert names == {
        "throughput_dcgan.png",
        "throughput_gan.png",
        "roofline_cpu.png",  # none for Ascend310P3: no measured peak
        "latency_dcgan_cpu.png",
        "latency_dcgan_Ascend310P3.png",
        "latency_gan_cpu.png",
        "latency_gan_Ascend310P3.png",
    }
    md = (out / "plots.md").read_text()
    assert md.index("roofline_cpu.png") < md.index("throughput_dcgan.png") < md.index("latency_dcgan_cpu.png")
    assert "(docs/images/throughput_gan.png)" in md and "demo weights" in md
    tsv = [line.split("\t") for line in (out / "plots.tsv").read_text().splitlines()]
    assert len(tsv) == 7 and all(t == f"docs/images/{s.rsplit('/', 1)[1]}" for s, t in tsv)


def test_the_plot_list_imports_neither_pandas_nor_matplotlib():
    """rules/common.smk reads the plot list while the DAG is built: a fresh interpreter that imports it has
    no pandas, matplotlib or numpy loaded."""
    code = "import sys, ganinfer.report.plotlist; print(sorted({'pandas', 'matplotlib', 'numpy'} & set(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, check=True)
    assert proc.stdout == "[]\n"
    paths = plot_paths("p", ["dcgan", "gan"], ["cpu", "openvino"], ["cpu"])
    assert paths["roofline"] == [("cpu", "p/roofline_cpu.png")]
    assert [p for _, p in paths["latency"]][1:3] == ["p/latency_dcgan_openvino.png", "p/latency_gan_cpu.png"]
    assert report_flags("latency", ("gan", "cpu"))["labels"] == {"model": "gan", "chip": "cpu"}
