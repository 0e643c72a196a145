"""Long-format result tables (CSV) and the Markdown fragments the README shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from ganinfer.fileio import atomic_path
from ganinfer.roofline import gflops

PERF_COLUMNS = [
    "model",
    "chip",
    "batch_size",
    "backend",
    "weights",
    "throughput_fps",
    "timing",
    "throughput_e2e_fps",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "latency_std_ms",
    "latency_cov",
    "latency_robust_cov",
    "iterations",
    "duration_s",
    "warmup",
    "calibration",
    "threads",
    "valid",
    "invalid_reason",
    "macs_per_image",
    "achieved_gflops",
    "gemm_peak_gflops",
    "percent_of_peak",
    "device",
    "host",
    "runtime_version",
    "packages",
    "git_commit",
    "config_hash",
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


def _num(value, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _calibration(cal: dict | None) -> str:
    """How a self-timed run's loop count was chosen (ais_bench), '' for the harness."""
    if not cal:
        return ""
    return (
        f"probe {cal['probe_executions']} x {cal['probe_mean_ms']:.4f} ms -> loop {cal['loop']} "
        f"(warmup {cal['warmup_count']})"
    )


def perf_row(rec: dict, weights: dict, macs: dict | None = None, peaks: dict | None = None) -> dict:
    """One perf.csv row; ``macs`` maps model -> MACs per image, ``peaks`` chip -> GEMM GFLOP/s."""
    lat = rec["latency_ms"]
    prov = rec.get("provenance", {})
    model_macs = (macs or {}).get(rec["model"])
    achieved = None if model_macs is None else gflops(model_macs, rec["throughput_fps"])
    peak = (peaks or {}).get(rec["chip"])
    packages = prov.get("packages", {})
    return {
        "model": rec["model"],
        "chip": rec["chip"],
        "batch_size": rec["batch_size"],
        "backend": rec["backend"],
        "weights": weights.get(rec["model"], "unknown"),
        "throughput_fps": f"{rec['throughput_fps']:.1f}",
        "timing": rec.get("timing", ""),
        "throughput_e2e_fps": _num(rec.get("throughput_e2e_fps", rec["throughput_fps"]), ".1f"),
        "latency_mean_ms": f"{lat['mean']:.4f}",
        "latency_p50_ms": f"{lat['p50']:.4f}",
        "latency_p90_ms": f"{lat['p90']:.4f}",
        "latency_p95_ms": _num(lat.get("p95"), ".4f"),
        "latency_p99_ms": f"{lat['p99']:.4f}",
        "latency_std_ms": f"{lat['std']:.4f}",
        "latency_cov": f"{lat['cov']:.4f}",
        "latency_robust_cov": _num(lat.get("robust_cov"), ".4f"),
        "iterations": lat["count"],
        "duration_s": f"{rec['duration_s']:.2f}",
        "warmup": rec["settings"]["warmup"],
        "calibration": _calibration(rec.get("calibration")),
        "threads": rec.get("threads", ""),
        "valid": "VALID" if rec["valid"] else "INVALID",
        "invalid_reason": rec["invalid_reason"],
        "macs_per_image": "" if model_macs is None else model_macs,
        "achieved_gflops": _num(achieved, ".1f"),
        "gemm_peak_gflops": _num(peak, ".1f"),
        "percent_of_peak": "" if achieved is None or not peak else f"{100.0 * achieved / peak:.1f}",
        "device": prov.get("device", prov.get("cpu", "")),
        "host": prov.get("host", ""),
        "runtime_version": rec.get("runtime_version", ""),
        "packages": " ".join(f"{k}={v}" for k, v in sorted(packages.items())),
        "git_commit": prov.get("git_commit", ""),
        "config_hash": prov.get("config_hash", ""),
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


def _fps(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _fps_cell(row: dict) -> str:
    fps = _fps(float(row["throughput_fps"]))
    return fps if row["valid"] == "VALID" else f"{fps} (invalid)"


def _ratio(num: dict | None, den: dict | None) -> float | None:
    if num is None or den is None or float(den["throughput_fps"]) <= 0:
        return None
    return float(num["throughput_fps"]) / float(den["throughput_fps"])


def best_rows(rows: list[dict]) -> dict[str, dict]:
    """Per chip, the row of the batch size with the highest throughput (VALID rows first)."""
    best: dict[str, dict] = {}
    for r in rows:
        key = (r["valid"] == "VALID", float(r["throughput_fps"]))
        cur = best.get(r["chip"])
        if cur is None or key > (cur["valid"] == "VALID", float(cur["throughput_fps"])):
            best[r["chip"]] = r
    return best


def perf_pivot(rows: list[dict], ratios=(), check: dict | None = None) -> tuple[list[str], list[list[str]]]:
    """The guides' performance table for one model: a row per batch size and a best-batch
    row; a throughput column per chip; ratio columns for the configured chip pairs that
    both have rows; the check column (``chip`` >= min_ratio x ``baseline``) when both chips
    ran; % of the chip's GEMM peak where it was measured."""
    chips = sorted({r["chip"] for r in rows})
    sizes = sorted({int(r["batch_size"]) for r in rows})
    cell = {(int(r["batch_size"]), r["chip"]): r for r in rows}
    pairs = [(a, b) for a, b in ratios if a in chips and b in chips]
    checked = check if check and check["chip"] in chips and check["baseline"] in chips else None
    peak_chips = [c for c in chips if any(r["percent_of_peak"] for r in rows if r["chip"] == c)]
    header = ["batch size", *(f"{c} (img/s)" for c in chips), *(f"{a}/{b}" for a, b in pairs)]
    if checked:
        header.append(f"{checked['chip']} ≥ {checked['min_ratio']:g}× {checked['baseline']}")
    header += [f"% of GEMM peak ({c})" for c in peak_chips]

    def line(label: str, pick) -> list[str]:
        out = [label]
        for c in chips:
            r = pick(c)
            at = "" if r is None or label.startswith("bs") else f" (bs{r['batch_size']})"
            out.append("" if r is None else _fps_cell(r) + at)
        for a, b in pairs:
            q = _ratio(pick(a), pick(b))
            out.append("" if q is None else f"{q:.2f}")
        if checked:
            q = _ratio(pick(checked["chip"]), pick(checked["baseline"]))
            out.append("" if q is None else ("PASS" if q >= checked["min_ratio"] else "FAIL"))
        for c in peak_chips:
            r = pick(c)
            out.append("" if r is None or not r["percent_of_peak"] else f"{r['percent_of_peak']} %")
        return out

    body = [line(f"bs{bs}", lambda c, bs=bs: cell.get((bs, c))) for bs in sizes]
    best = best_rows(rows)
    body.append(line("best", best.get))
    return header, body


def perf_markdown(rows: list[dict], ratios=(), check: dict | None = None) -> str:
    """Per model: the pivot (see ``perf_pivot``) and where the figures were measured."""
    out = []
    for model in sorted({r["model"] for r in rows}):
        mine = [r for r in rows if r["model"] == model]
        header, body = perf_pivot(mine, ratios, check)
        first = mine[0]
        macs = f", {int(first['macs_per_image']) / 1e6:,.1f} M MACs per image" if first["macs_per_image"] else ""
        out.append(f"**{model}** ({first['weights']} weights{macs}), throughput in images/s:\n\n")
        out.append(markdown_table(header, body) + "\n")
    out.append(perf_footnote(rows))
    return "".join(out)


def perf_footnote(rows: list[dict]) -> str:
    """One line per chip: the device, runtime, threads and GEMM peak the figures came from."""
    lines = []
    for chip in sorted({r["chip"] for r in rows}):
        r = next(r for r in rows if r["chip"] == chip)
        peak = f"; fp32 GEMM peak {float(r['gemm_peak_gflops']):,.1f} GFLOP/s" if r["gemm_peak_gflops"] else ""
        threads = f", {r['threads']} threads" if r["threads"] else ""
        lines.append(
            f"- {chip}: {r['device']}{threads}, {r['runtime_version']} ({r['timing'] or 'timed'}){peak}; "
            f"commit {r['git_commit'] or '?'}, config {r['config_hash'] or '?'}"
        )
    return "\n".join(lines) + "\n"


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
    if not grids:
        return ""
    out = ["| grid | what it shows |\n", "|---|---|\n"]
    for g in grids:
        out.append(
            f"| ![{g['model']} {g['chip']} bs{g['batch_size']}]({g['path']}) "
            f"| {g['model']}: first images of the {g['chip']} outputs at batch size {g['batch_size']} "
            f"({g['weights']} weights). |\n"
        )
    return "".join(out)


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text)
