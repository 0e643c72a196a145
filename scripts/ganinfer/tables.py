"""Long-format result tables (CSV) and the Markdown fragments the README shows."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from tabulate import DataRow, TableFormat

from ganinfer.errors import NOT_CONFIGURED
from ganinfer.fileio import atomic_path
from ganinfer.rounds import paired_ratio
from ganinfer.stats import gflops

PERF_COLUMNS = [
    "model",
    "chip",
    "batch_size",
    "backend",
    "weights",
    "throughput_fps",
    "throughput_ci_low",
    "throughput_ci_high",
    "rounds",
    "round_fps",
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
    "reference",
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
    "generator",
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
VALID, INVALID = "VALID", "INVALID"  # perf.csv's valid column


def _sort_key(row: dict):
    return (row["model"], row["chip"], int(row["batch_size"]))


def _num(value, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _finite(value):
    """``value``, or None where it is missing or NaN (an interval of one round)."""
    return None if value is None or value != value else value


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
        "throughput_ci_low": _num(_finite(rec.get("throughput_ci_low")), ".1f"),
        "throughput_ci_high": _num(_finite(rec.get("throughput_ci_high")), ".1f"),
        "rounds": rec.get("rounds", 1),
        "round_fps": ";".join(f"{x:.2f}" for x in rec.get("round_fps", [rec["throughput_fps"]])),
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
        "valid": VALID if rec["valid"] else INVALID,
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
        "reference": rec.get("reference", ""),
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
        "generator": rec.get("generator", rec["source"]),
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


def frame(rows: Iterable[dict], columns: list[str], key=_sort_key) -> pd.DataFrame:
    """``rows`` sorted by ``key`` as a DataFrame of ``columns``; the cells keep their Python values
    (object dtype: no int column turns float for a blank cell)."""
    return pd.DataFrame(sorted(rows, key=key), columns=columns, dtype=object)


def write_csv(rows: Iterable[dict], columns: list[str], path: str | Path, key=_sort_key) -> None:
    with atomic_path(Path(path)) as tmp:
        frame(rows, columns, key).to_csv(tmp, index=False, lineterminator="\n")


# GitHub pipe tables as the README has them: cells unpadded and unaligned, one "---" rule per column.
PIPE = TableFormat(
    lineabove=None,
    linebelowheader=lambda widths, _aligns: "|" + "---|" * len(widths),
    linebetweenrows=None,
    linebelow=None,
    headerrow=DataRow("|", "|", "|"),
    datarow=DataRow("|", "|", "|"),
    padding=1,
    with_header_hide=None,
)


def markdown(table: pd.DataFrame) -> str:
    """``table`` (its columns, not its index) as a pipe table; every cell as ``str`` gives it."""
    text = table.map(str).to_markdown(index=False, tablefmt=PIPE, stralign=None, numalign=None, disable_numparse=True)
    return text + "\n"


def markdown_table(header: list[str], rows: list[list]) -> str:
    return markdown(pd.DataFrame(rows, columns=header, dtype=object))


def _fps(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _fps_cell(row: dict) -> str:
    """The throughput, ± half its 95 % interval where the row has one."""
    fps = _fps(float(row["throughput_fps"]))
    if row.get("throughput_ci_low") not in (None, ""):
        fps += f" ± {_fps((float(row['throughput_ci_high']) - float(row['throughput_ci_low'])) / 2)}"
    return fps if row["valid"] == VALID else f"{fps} (invalid)"


def round_list(row: dict) -> list[float]:
    """A perf.csv row's round throughputs."""
    return [float(x) for x in str(row.get("round_fps") or row["throughput_fps"]).split(";")]


def _ranked(rows: list[dict]) -> pd.DataFrame:
    """``rows`` (index: their position) with ``fps``, ``ok`` (VALID) and ``bs`` as numbers, the best
    first: VALID rows before INVALID ones, then by throughput; ties keep their order."""
    table = pd.DataFrame(rows, dtype=object).reset_index(drop=True)
    table = table.assign(
        fps=table["throughput_fps"].astype(float), ok=table["valid"] == VALID, bs=table["batch_size"].astype(int)
    )
    return table.sort_values(["ok", "fps"], ascending=False, kind="stable")


def best_rows(rows: list[dict]) -> dict[str, dict]:
    """Per chip, the row of the batch size with the highest throughput (VALID rows first)."""
    if not rows:
        return {}
    best = _ranked(rows).drop_duplicates("chip")
    return {chip: rows[i] for chip, i in zip(best["chip"], best.index, strict=True)}


def perf_pivot(rows: list[dict], ratios=(), check: dict | None = None) -> tuple[list[str], list[list[str]]]:
    """The guides' performance table for one model: a row per batch size and a best-batch
    row; a throughput column per chip; ratio columns for the configured chip pairs that
    both have rows; the check column (``chip`` >= min_ratio x ``baseline``) when both chips
    ran; % of the chip's GEMM peak where it was measured."""
    ranked = _ranked(rows)
    ranked["cell"] = [_fps_cell(r) for r in ranked.to_dict("records")]
    values = ["cell", "fps", "percent_of_peak"]
    wide = ranked.sort_index().pivot_table(index="bs", columns="chip", values=values, aggfunc="last")
    wide.index = [f"bs{bs}" for bs in wide.index]
    best = ranked.drop_duplicates("chip").set_index("chip")
    best["cell"] += " (bs" + best["bs"].astype(str) + ")"
    lines = pd.concat([wide, best[values].unstack().to_frame("best").T])
    chips = sorted(best.index)
    pairs = [(a, b) for a, b in ratios if a in chips and b in chips]
    checked = check if check and check["chip"] in chips and check["baseline"] in chips else None
    peak_chips = sorted(ranked.loc[ranked["percent_of_peak"].astype(bool), "chip"].unique())

    def ratio(num: str, den: str) -> pd.Series:
        return lines["fps", num] / lines["fps", den].where(lines["fps", den] > 0)

    # the ratio columns pair the two rows' rounds (round i of both ran close in time)
    rounds = {(f"bs{r['bs']}", r["chip"]): round_list(r) for r in ranked.to_dict("records")}
    rounds |= {("best", chip): round_list(r) for chip, r in best.iterrows()}

    def paired(num: str, den: str) -> pd.Series:
        cells = {}
        for line in lines.index:
            if (line, num) in rounds and (line, den) in rounds:
                q, low, high = paired_ratio(rounds[line, num], rounds[line, den])
                cells[line] = f"{q:.2f}" if low != low else f"{q:.2f} ({low:.2f}–{high:.2f})"
        return pd.Series(cells, index=lines.index, dtype=object)

    def text(name: str, values: pd.Series, fmt) -> pd.Series:
        """``values`` formatted by ``fmt``, blank where missing, as the column ``name``."""
        return values.map(lambda v: "" if pd.isna(v) or v == "" else fmt(v)).rename(name)

    columns = [pd.Series(lines.index, index=lines.index, name="batch size")]
    columns += [text(f"{c} (img/s)", lines["cell", c], str) for c in chips]
    columns += [text(f"{a}/{b}", paired(a, b), str) for a, b in pairs]
    if checked:
        chip, baseline, least = checked["chip"], checked["baseline"], checked["min_ratio"]
        verdict = ratio(chip, baseline)
        columns.append(text(f"{chip} ≥ {least:g}× {baseline}", verdict, lambda q: "PASS" if q >= least else "FAIL"))
    columns += [text(f"% of GEMM peak ({c})", lines["percent_of_peak", c], lambda p: f"{p} %") for c in peak_chips]
    table = pd.concat(columns, axis=1)
    return list(table.columns), table.values.tolist()


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


# accuracy.csv column -> the README table's header
ACCURACY_MARKDOWN = {
    "model": "model",
    "chip": "chip",
    "batch_size": "batch",
    "weights": "weights",
    "reference": "reference",
    "samples": "samples",
    "mean_cosine": "mean cos",
    "min_cosine": "min cos",
    "mean_abs_diff": "mean abs diff",
    "acc_percent": "acc %",
    "channel_cosine": "pixel channel cos",
    "passed": "check",
}


def accuracy_markdown(rows: list[dict]) -> str:
    table = frame(rows, list(ACCURACY_MARKDOWN))
    table["batch_size"] = "bs" + table["batch_size"].map(str)
    table["channel_cosine"] = table["channel_cosine"].map(lambda c: c or "-")
    return markdown(table.rename(columns=ACCURACY_MARKDOWN))


INCEPTION_NAMES = {"torchvision": "torchvision Inception-v3", "fid": "pytorch-fid FID Inception"}


def quality_markdown(rows: list[dict]) -> str:
    if not rows:
        return "No model of this run has a quality metric (IS / FID).\n"
    body = []
    for r in sorted(rows, key=quality_sort_key):
        source = f"pth ({r['generator']})" if r["source"] == "pth" else f"{r['source']} bs{r['batch_size']}"
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
