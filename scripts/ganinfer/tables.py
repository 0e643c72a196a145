"""Long-format result tables (CSV) and the Markdown fragments the README shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from ganinfer.fileio import atomic_path

PERF_COLUMNS = [
    "model",
    "chip",
    "batch_size",
    "backend",
    "weights",
    "throughput_fps",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_std_ms",
    "latency_cov",
    "iterations",
    "duration_s",
    "warmup",
    "threads",
    "valid",
    "invalid_reason",
    "device",
    "runtime_version",
    "git_commit",
    "timestamp",
]
ACCURACY_COLUMNS = [
    "model",
    "chip",
    "batch_size",
    "backend",
    "weights",
    "samples",
    "mean_cosine",
    "min_cosine",
    "mean_abs_diff",
    "max_abs_diff",
    "acc_percent",
    "channel_cosine",
    "threshold",
    "passed",
    "worst_sample",
]
QUALITY_COLUMNS = [
    "model",
    "source",
    "batch_size",
    "weights",
    "images",
    "is_mean",
    "is_std",
    "is_splits",
    "fid",
    "inception",
    "inception_weights",
    "inception_sha256",
    "reference_stats",
    "reference_sha256",
    "reference_source",
    "reference_images",
    "resize",
    "note",
    "seconds",
]
NOT_CONFIGURED = "not configured"


def _sort_key(row: dict):
    return (row["model"], row["chip"], int(row["batch_size"]))


def perf_row(rec: dict, weights: dict) -> dict:
    lat = rec["latency_ms"]
    prov = rec.get("provenance", {})
    return {
        "model": rec["model"],
        "chip": rec["chip"],
        "batch_size": rec["batch_size"],
        "backend": rec["backend"],
        "weights": weights.get(rec["model"], "unknown"),
        "throughput_fps": f"{rec['throughput_fps']:.1f}",
        "latency_mean_ms": f"{lat['mean']:.4f}",
        "latency_p50_ms": f"{lat['p50']:.4f}",
        "latency_p90_ms": f"{lat['p90']:.4f}",
        "latency_p99_ms": f"{lat['p99']:.4f}",
        "latency_std_ms": f"{lat['std']:.4f}",
        "latency_cov": f"{lat['cov']:.4f}",
        "iterations": lat["count"],
        "duration_s": f"{rec['duration_s']:.2f}",
        "warmup": rec["settings"]["warmup"],
        "threads": rec.get("threads", ""),
        "valid": "VALID" if rec["valid"] else "INVALID",
        "invalid_reason": rec["invalid_reason"],
        "device": prov.get("device", prov.get("cpu", "")),
        "runtime_version": rec.get("runtime_version", ""),
        "git_commit": prov.get("git_commit", ""),
        "timestamp": prov.get("timestamp", ""),
    }


def accuracy_row(rec: dict, weights: dict) -> dict:
    return {
        "model": rec["model"],
        "chip": rec["chip"],
        "batch_size": rec["batch_size"],
        "backend": rec.get("backend", ""),
        "weights": weights.get(rec["model"], "unknown"),
        "samples": rec["samples"],
        "mean_cosine": f"{rec['mean_cosine']:.6f}",
        "min_cosine": f"{rec['min_cosine']:.6f}",
        "mean_abs_diff": f"{rec['mean_abs_diff']:.3e}",
        "max_abs_diff": f"{rec['max_abs_diff']:.3e}",
        "acc_percent": f"{rec['acc_percent']:.2f}",
        "channel_cosine": "" if rec.get("channel_cosine") is None else f"{rec['channel_cosine']:.6f}",
        "threshold": rec["threshold"],
        "passed": "PASS" if rec["passed"] else "FAIL",
        "worst_sample": rec["worst_sample"],
    }


def quality_sort_key(row: dict):
    """pth (the PyTorch reference) first, then the chips."""
    return (row["model"], row["source"] != "pth", row["source"], int(row["batch_size"] or 0))


def _metric_cell(status: str, value: float | None, digits: int) -> str:
    """A number, "not configured", "n/a" (could not be computed) or "-" (not part of the procedure)."""
    if status == "ok":
        return f"{value:.{digits}f}"
    return {"not measured": "-"}.get(status, status)


def quality_row(rec: dict, weights: dict) -> dict:
    inc, ref = rec["inception"], rec.get("reference") or {}
    notes = list(rec["notes"])
    if rec["not_configured"]:
        notes.insert(0, f"{NOT_CONFIGURED}: set {', '.join(rec['not_configured'])}")
    return {
        "model": rec["model"],
        "source": rec["source"],
        "batch_size": "" if rec["batch_size"] is None else rec["batch_size"],
        "weights": weights.get(rec["model"], "unknown"),
        "images": rec["images"],
        "is_mean": _metric_cell(rec["is_status"], rec["is_mean"], 3),
        "is_std": _metric_cell(rec["is_status"], rec["is_std"], 3),
        "is_splits": rec["is_splits"] or "",
        "fid": _metric_cell(rec["fid_status"], rec["fid"], 4),
        "inception": inc["variant"],
        "inception_weights": Path(inc["file"]).name if inc["file"] else "",
        "inception_sha256": inc["sha256"] or "",
        "reference_stats": ref.get("file", ""),
        "reference_sha256": ref.get("sha256", ""),
        "reference_source": ref.get("source") or "",
        "reference_images": "" if ref.get("count") is None else ref["count"],
        "resize": rec["resize"],
        "note": "; ".join(notes),
        "seconds": f"{rec['seconds']:.1f}",
    }


def write_csv(rows: Iterable[dict], columns: list[str], path: str | Path, key=_sort_key) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows, key=key))
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(buf.getvalue())


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _fps_cell(row: dict) -> str:
    value = float(row["throughput_fps"])
    fps = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    return fps if row["valid"] == "VALID" else f"{fps} (invalid)"


def perf_markdown(rows: list[dict]) -> str:
    """Per model: throughput (img/s) with batch sizes as rows and chips as columns."""
    out = []
    for model in sorted({r["model"] for r in rows}):
        mine = [r for r in rows if r["model"] == model]
        chips = sorted({r["chip"] for r in mine})
        sizes = sorted({int(r["batch_size"]) for r in mine})
        cell = {(int(r["batch_size"]), r["chip"]): r for r in mine}
        body = []
        for bs in sizes:
            line = [f"bs{bs}"]
            for chip in chips:
                r = cell.get((bs, chip))
                line.append("" if r is None else _fps_cell(r))
            lat = cell.get((bs, chips[0]))
            line.append("" if lat is None else lat["latency_mean_ms"])
            body.append(line)
        weights = mine[0]["weights"]
        out.append(f"**{model}** ({weights} weights), throughput in images/s:\n\n")
        out.append(markdown_table(["batch size", *chips, f"mean latency ms ({chips[0]})"], body) + "\n")
    return "".join(out)


def accuracy_markdown(rows: list[dict]) -> str:
    body = [
        [
            r["model"],
            r["chip"],
            f"bs{r['batch_size']}",
            r["weights"],
            r["samples"],
            r["mean_cosine"],
            r["min_cosine"],
            r["mean_abs_diff"],
            r["acc_percent"],
            r["channel_cosine"] or "-",
            r["passed"],
        ]
        for r in sorted(rows, key=_sort_key)
    ]
    header = [
        "model",
        "chip",
        "batch",
        "weights",
        "samples",
        "mean cos",
        "min cos",
        "mean abs diff",
        "acc %",
        "pixel channel cos",
        "check",
    ]
    return markdown_table(header, body)


INCEPTION_NAMES = {"torchvision": "torchvision Inception-v3", "fid": "pytorch-fid FID Inception"}


def quality_markdown(rows: list[dict]) -> str:
    if not rows:
        return "No model of this run has a quality metric (IS / FID).\n"
    body = []
    for r in sorted(rows, key=quality_sort_key):
        source = "pth (PyTorch)" if r["source"] == "pth" else f"{r['source']} bs{r['batch_size']}"
        is_cell = r["is_mean"]
        if r["is_splits"] == 1:
            is_cell += " (1 split)"
        elif r["is_splits"]:
            is_cell += f" ± {r['is_std']}"
        inception = INCEPTION_NAMES.get(r["inception"], r["inception"]) + (
            f" `{r['inception_weights']}` ({r['inception_sha256'][:8]})" if r["inception_sha256"] else ""
        )
        ref = Path(r["reference_source"] or r["reference_stats"]).name or "-"
        if r["reference_images"] != "":
            ref += f" (N={r['reference_images']})"
        body.append(
            [r["model"], source, r["weights"], r["images"], is_cell, r["fid"], inception, ref, r["note"] or "-"]
        )
    header = ["model", "source", "weights", "images", "IS (mean ± std)", "FID", "Inception", "FID reference", "note"]
    return markdown_table(header, body)


def images_markdown(grids: list[dict]) -> str:
    """``grids``: dicts with model, chip, batch_size, weights and the README-relative ``path``."""
    out = []
    for g in grids:
        out.append(
            f"![{g['model']} {g['chip']} bs{g['batch_size']}]({g['path']})\n\n"
            f"*{g['model']}: first images of the {g['chip']} outputs at batch size {g['batch_size']} "
            f"({g['weights']} weights).*\n\n"
        )
    return "".join(out)


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text)
