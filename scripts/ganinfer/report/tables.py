"""The README's result tables (Markdown) from the result frames: per model the guides' performance pivot,
with the chips' provenance under them; the accuracy table; the quality table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ganinfer.report.columns import ACCURACY, FAIL, PASS, PERF, QUALITY, VALID, column
from ganinfer.report.frames import best_rows, cell, text
from ganinfer.report.markdown import markdown
from ganinfer.rounds import paired_ratio

PERCENT = column(PERF, "percent_of_peak")


def _fps(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _fps_cell(row: pd.Series) -> str:
    """The throughput, ± half its 95 % interval where the row has one."""
    fps = _fps(row["throughput_fps"])
    if pd.notna(row["throughput_ci_low"]):
        fps += f" ± {_fps((row['throughput_ci_high'] - row['throughput_ci_low']) / 2)}"
    return fps if row["valid"] == VALID else f"{fps} (invalid)"


def _paired_cell(a, b) -> str:
    """The ratio of two rows from their paired rounds, with its 95 % interval where there is one."""
    if not isinstance(a, list) or not isinstance(b, list):
        return ""
    q, low, high = paired_ratio(a, b)
    return f"{q:.2f}" if low != low else f"{q:.2f} ({low:.2f}–{high:.2f})"


def perf_pivot(perf: pd.DataFrame, ratios=(), check: dict | None = None) -> pd.DataFrame:
    """The guides' performance table for one model (``perf``: its rows): a row per batch size and a best-batch
    row; a throughput column per chip; ratio columns for the configured chip pairs that both have rows (from
    their paired rounds); the check column (``chip`` >= min_ratio x ``baseline``) when both chips ran; % of the
    chip's GEMM peak where it was measured."""
    sizes = perf.sort_values("batch_size", kind="stable")
    sizes = sizes.assign(line="bs" + sizes["batch_size"].astype(str), cell=sizes.apply(_fps_cell, axis=1))
    best = best_rows(perf)
    best = best.assign(line="best", cell=best.apply(_fps_cell, axis=1) + " (bs" + best["batch_size"].astype(str) + ")")
    lines = pd.concat([sizes, best])
    order = list(dict.fromkeys(lines["line"]))
    values = ["cell", "throughput_fps", "round_fps", "percent_of_peak"]
    wide = lines.pivot(index="line", columns="chip", values=values).reindex(order)
    chips = sorted(best["chip"])
    table = pd.DataFrame({"batch size": order}, index=order)
    for c in chips:
        table[f"{c} (img/s)"] = wide["cell", c]
    for a, b in ratios:
        if a in chips and b in chips:
            table[f"{a}/{b}"] = [
                _paired_cell(x, y) for x, y in zip(wide["round_fps", a], wide["round_fps", b], strict=True)
            ]
    if check and check["chip"] in chips and check["baseline"] in chips:
        chip, baseline, least = check["chip"], check["baseline"], check["min_ratio"]
        base = wide["throughput_fps", baseline]
        q = wide["throughput_fps", chip] / base.where(base > 0)
        table[f"{chip} ≥ {least:g}× {baseline}"] = q.map(lambda v: "" if pd.isna(v) else PASS if v >= least else FAIL)
    for c in sorted(perf.loc[perf["percent_of_peak"].notna(), "chip"].unique()):
        table[f"% of GEMM peak ({c})"] = wide["percent_of_peak", c].map(
            lambda p: "" if pd.isna(p) else f"{cell(PERCENT, p)} %"
        )
    return table.fillna("").reset_index(drop=True)


def perf_markdown(perf: pd.DataFrame, ratios=(), check: dict | None = None) -> str:
    """Per model: the pivot (see ``perf_pivot``) and where the figures were measured."""
    out = []
    for model, rows in perf.groupby("model", sort=True):
        first = rows.iloc[0]
        macs = "" if pd.isna(first["macs_per_image"]) else f", {first['macs_per_image'] / 1e6:,.1f} M MACs per image"
        out.append(f"**{model}** ({first['weights']} weights{macs}), throughput in images/s:\n\n")
        out.append(markdown(perf_pivot(rows, ratios, check)) + "\n")
    out.append(perf_footnote(perf))
    return "".join(out)


def perf_footnote(perf: pd.DataFrame) -> str:
    """One line per chip: the device, runtime, threads and GEMM peak the figures came from."""
    lines = []
    for chip, rows in perf.groupby("chip", sort=True):
        r = rows.iloc[0]
        peak = "" if pd.isna(r["gemm_peak_gflops"]) else f"; fp32 GEMM peak {r['gemm_peak_gflops']:,.1f} GFLOP/s"
        threads = "" if pd.isna(r["threads"]) else f", {r['threads']} threads"
        lines.append(
            f"- {chip}: {r['device']}{threads}, {r['runtime_version']} ({r['timing'] or 'timed'}){peak}; "
            f"commit {r['git_commit'] or '?'}, config {r['config_hash'] or '?'}"
        )
    return "\n".join(lines) + "\n"


def accuracy_markdown(accuracy: pd.DataFrame) -> str:
    """The columns of accuracy.csv with a README header, under that header."""
    shown = tuple(c for c in ACCURACY if c.header)
    table = text(accuracy, shown)
    table["batch_size"] = "bs" + table["batch_size"]
    table["channel_cosine"] = table["channel_cosine"].replace("", "-")
    return markdown(table.rename(columns={c.name: c.header for c in shown}))


INCEPTION_NAMES = {"torchvision": "torchvision Inception-v3", "fid": "pytorch-fid FID Inception"}


def quality_markdown(quality: pd.DataFrame) -> str:
    if quality.empty:
        return "No model of this run has a quality metric (IS / FID).\n"
    body = []
    for (_, q), (_, r) in zip(quality.iterrows(), text(quality, QUALITY).iterrows(), strict=True):
        source = f"pth ({r['generator']})" if r["source"] == "pth" else f"{r['source']} bs{r['batch_size']}"
        is_cell = r["is_mean"]
        if pd.notna(q["is_splits"]):
            is_cell += " (1 split)" if q["is_splits"] == 1 else f" ± {r['is_std']}"
        inception = INCEPTION_NAMES.get(r["inception"], r["inception"]) + (
            f" `{r['inception_weights']}` ({r['inception_sha256'][:8]})" if r["inception_sha256"] else ""
        )
        ref = Path(r["reference_source"] or r["reference_stats"]).name or "-"
        if r["reference_images"]:
            ref += f" (N={r['reference_images']})"
        body.append(
            [r["model"], source, r["weights"], r["images"], is_cell, r["fid"], inception, ref, r["note"] or "-"]
        )
    header = ["model", "source", "weights", "images", "IS (mean ± std)", "FID", "Inception", "FID reference", "note"]
    return markdown(pd.DataFrame(body, columns=header))
