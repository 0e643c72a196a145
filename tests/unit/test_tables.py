"""The result tables from hand-made records: every CSV cell as the column spec writes it, the numbers read back,
the row order, the README's accuracy and quality tables, and the one Markdown writer."""

from __future__ import annotations

import pandas as pd

from ganinfer.report.columns import ACCURACY, PERF, QUALITY, names
from ganinfer.report.frames import accuracy_frame, perf_frame, quality_frame, read_csv, write_csv
from ganinfer.report.markdown import markdown
from ganinfer.report.tables import accuracy_markdown, quality_markdown

WEIGHTS = {"gan": {"weights": "demo"}, "biggan": {"weights": "real"}}


def perf_record(bs: int, **extra) -> dict:
    lat = {"mean": 2.5, "p50": 2.25, "p90": 3.0, "p95": 3.125, "p99": 4.0, "std": 0.5, "cov": 0.2, "robust_cov": 0.1}
    return {
        "model": "gan",
        "chip": "cpu",
        "batch_size": bs,
        "backend": "onnxruntime",
        "threads": 2,
        "timing": "end-to-end",
        "runtime_version": "onnxruntime 1.31.1",
        "throughput_fps": 1600.04,
        "throughput_ci_low": 1500.0,
        "throughput_ci_high": 1700.26,
        "round_fps": [1550.0, 1651.125],
        "rounds": 2,
        "latency_ms": {**lat, "count": 400},
        "duration_s": 1.005,
        "settings": {"warmup": 3},
        "valid": False,
        "invalid_reason": "round 2: robust CoV 0.2 > 0.1",
        "provenance": {
            "cpu": "Xeon",
            "host": "h",
            "packages": {"onnxruntime": "1.31.1", "numpy": "2.4.6"},
            "git_commit": "abc",
            "config_hash": "0123456789ab",
            "timestamp": "2026-01-01T00:00:00+0000",
        },
        **extra,
    }


def test_perf_csv_cells_come_from_the_spec(tmp_path):
    ais = {
        "chip": "cpu",
        "backend": "ais_bench",
        "threads": "",
        "throughput_ci_low": float("nan"),
        "throughput_ci_high": float("nan"),
        "throughput_e2e_fps": 1000.0,
        "calibration": {"probe_executions": 20, "probe_mean_ms": 0.12345, "loop": 800, "warmup_count": 5},
    }
    table = perf_frame(
        [perf_record(8, **ais), perf_record(2)],  # written in batch size order
        WEIGHTS,
        {"gan": {"macs_per_image": 1_000_000}},
        {"cpu": {"peak_gflops": 100.0}},
    )
    write_csv(table, PERF, tmp_path / "perf.csv")
    header, first, second = (tmp_path / "perf.csv").read_text().splitlines()
    assert header == ",".join(names(PERF))
    common = (
        "2.5000,2.2500,3.0000,3.1250,4.0000,0.5000,0.2000,0.1000,400,1.00,3,{cal},{threads},INVALID,"
        "round 2: robust CoV 0.2 > 0.1,1000000,3.2,100.0,3.2,Xeon,h,onnxruntime 1.31.1,"
        "numpy=2.4.6 onnxruntime=1.31.1,abc,0123456789ab,2026-01-01T00:00:00+0000"
    )
    assert first == "gan,cpu,2,onnxruntime,demo,1600.0,1500.0,1700.3,2,1550.00;1651.12,end-to-end,1600.0," + (
        common.format(cal="", threads="2")
    )
    cal = "probe 20 x 0.1235 ms -> loop 800 (warmup 5)"
    assert second == "gan,cpu,8,ais_bench,demo,1600.0,,,2,1550.00;1651.12,end-to-end,1000.0," + (
        common.format(cal=cal, threads="")
    )
    # the numbers stay numbers until written, and are numbers again when read
    assert table["threads"].tolist()[0] == 2 and pd.isna(table["threads"].tolist()[1])
    assert table["achieved_gflops"][0] == 2 * 1_000_000 * 1600.04 / 1e9
    back = read_csv(tmp_path / "perf.csv", PERF)
    assert back["batch_size"].tolist() == [2, 8] and back["throughput_fps"].tolist() == [1600.0, 1600.0]
    assert back["round_fps"][0] == [1550.0, 1651.12] and pd.isna(back["throughput_ci_low"][1])
    assert back["calibration"].tolist() == ["", cal] and back["config_hash"][0] == "0123456789ab"


def accuracy_record(model: str, bs: int, min_cosine: float, channel: float | None = None) -> dict:
    return {
        "model": model,
        "chip": "cpu",
        "batch_size": bs,
        "backend": "onnxruntime",
        "reference": "PyTorch CPU fp32",
        "samples": 7,
        "mean_cosine": 0.99999949,
        "min_cosine": min_cosine,
        "mean_abs_diff": 1.23456e-7,
        "max_abs_diff": 0.000987654,
        "acc_percent": 99.999974,
        "channel_cosine": channel,
        "threshold": 0.99,
        "passed": min_cosine >= 0.99,
        "worst_sample": "0003_0.bin",
    }


def test_accuracy_csv_and_its_readme_table(tmp_path):
    table = accuracy_frame([accuracy_record("gan", 4, 0.5), accuracy_record("biggan", 1, 0.995, 0.9999)], WEIGHTS)
    write_csv(table, ACCURACY, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text().splitlines()[1:] == [
        "biggan,cpu,1,onnxruntime,real,PyTorch CPU fp32,7,0.999999,0.995000,1.235e-07,9.877e-04,100.00,0.999900,0.99,"
        "PASS,0003_0.bin",
        "gan,cpu,4,onnxruntime,demo,PyTorch CPU fp32,7,0.999999,0.500000,1.235e-07,9.877e-04,100.00,,0.99,FAIL,"
        "0003_0.bin",
    ]
    assert accuracy_markdown(table).splitlines() == [
        "| model | chip | batch | weights | reference | samples | mean cos | min cos | mean abs diff | acc % "
        "| pixel channel cos | check |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        "| biggan | cpu | bs1 | real | PyTorch CPU fp32 | 7 | 0.999999 | 0.995000 | 1.235e-07 | 100.00 | 0.999900 "
        "| PASS |",
        "| gan | cpu | bs4 | demo | PyTorch CPU fp32 | 7 | 0.999999 | 0.500000 | 1.235e-07 | 100.00 | - | FAIL |",
    ]


def quality_record(source: str, bs: int | None, **measured) -> dict:
    record = {
        "model": "biggan",
        "source": source,
        "batch_size": bs,
        "generator": "PyTorch CPU fp32" if source == "pth" else source,
        "images": 20,
        "resize": "bilinear 299",
        "inception": {"variant": "torchvision", "file": None, "sha256": None},
        "reference": None,
        "is_status": "not configured",
        "fid_status": "not configured",
        "is_mean": None,
        "is_std": None,
        "is_splits": None,
        "fid": None,
        "not_configured": ["quality.inception_weights"],
        "notes": [],
        "seconds": 0.25,
    }
    return record | measured


def test_quality_rows_hold_a_number_or_why_there_is_none(tmp_path):
    measured = {
        "is_status": "ok",
        "is_mean": 1.23456,
        "is_std": 0.0456,
        "is_splits": 10,
        "fid_status": "n/a",
        "inception": {"variant": "torchvision", "file": "/w/inception_v3_google.pth", "sha256": "feedbeef" * 8},
        "reference": {"file": "/w/ref.npz", "sha256": "ab", "source": None, "count": 5000},
        "not_configured": [],
        "notes": ["N=1: FID needs at least 2 images"],
    }
    records = [quality_record("cpu", 1, **measured), quality_record("pth", None)]
    table = quality_frame(records, WEIGHTS)
    write_csv(table, QUALITY, tmp_path / "q.csv")
    assert (tmp_path / "q.csv").read_text().splitlines()[1:] == [  # pth first
        "biggan,pth,PyTorch CPU fp32,,real,20,not configured,not configured,,not configured,torchvision,,,,,,,"
        "bilinear 299,not configured: set quality.inception_weights,0.2",
        f"biggan,cpu,cpu,1,real,20,1.235,0.046,10,n/a,torchvision,inception_v3_google.pth,{'feedbeef' * 8},"
        "/w/ref.npz,ab,,5000,bilinear 299,N=1: FID needs at least 2 images,0.2",
    ]
    rows = quality_markdown(table).splitlines()[2:]
    assert rows[0] == (
        "| biggan | pth (PyTorch CPU fp32) | real | 20 | not configured | not configured | torchvision Inception-v3 "
        "| - | not configured: set quality.inception_weights |"
    )
    assert rows[1] == (
        "| biggan | cpu bs1 | real | 20 | 1.235 ± 0.046 | n/a | torchvision Inception-v3 `inception_v3_google.pth` "
        "(feedbeef) | ref.npz (N=5000) | N=1: FID needs at least 2 images |"
    )


def test_markdown_writes_every_cell_and_escapes_pipes():
    table = pd.DataFrame([["a|b", 1.5, ""]], columns=["x", "y", "z"])
    assert markdown(table) == "| x | y | z |\n|---|---|---|\n| a\\|b | 1.5 |  |\n"
    assert markdown(table.iloc[:0]) == "| x | y | z |\n|---|---|---|\n"
