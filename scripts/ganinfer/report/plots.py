"""Performance plots (matplotlib, Agg backend) from perf.csv (a frame, ``report.frames.read_csv``) and the
perf records.

- ``throughput_<model>.png``: throughput against batch size, one line per chip, both axes
  logarithmic; INVALID runs are red crosses instead of filled circles.
- ``roofline_<chip>.png``: per model, the % of the chip's measured fp32 GEMM peak at the
  model's best batch size (``frames.best_rows``: VALID rows first); chips without a measured
  peak get none.
- ``latency_<model>_<chip>.png``: per batch size (a panel each, its own linear scale), the
  distribution of per-iteration latencies (a violin of the record's latencies, or of its stored
  quantiles for long runs) with the record's p50, p90 and p99 marked.

Figures are 800 px wide (the README's width); every title says demo or real weights. PNGs
carry no metadata (no matplotlib version, no time), so the same inputs give the same bytes.
Which plots a run has: ``report.plotlist``; what the README says of them: ``report.readme``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ganinfer.bench import QUANTILES, latency_sample
from ganinfer.fileio import atomic_path
from ganinfer.report.columns import VALID
from ganinfer.report.frames import best_rows, weights_label

WIDTH_IN, DPI = 8.0, 100  # 800 px
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
INVALID_COLOR = "#d62728"
INVALID_MARK = {"marker": "X", "markersize": 10, "markerfacecolor": INVALID_COLOR, "markeredgecolor": "white"}
PERCENTILES = (("p50", "#000000"), ("p90", "#ff7f0e"), ("p99", INVALID_COLOR))
STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs everywhere
    "svg.hashsalt": "ganinfer",
}


def _matplotlib():
    """matplotlib with the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib


def _figure(height_in: float):
    """An 800 px wide figure and its axes (call inside ``rc_context(STYLE)``)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def plain_log_axis(axis) -> None:
    """Label a log axis with plain numbers (250, 1,000, 0.08) instead of 2.5 x 10^2; minor ticks
    get labels only where the axis spans little more than a decade (matplotlib's rule)."""
    from matplotlib.ticker import LogFormatter

    class Plain(LogFormatter):
        def _num_to_string(self, x, vmin, vmax):
            return f"{x:,.0f}" if x >= 100 else f"{x:g}"

    axis.set_major_formatter(Plain(labelOnlyBase=False))
    axis.set_minor_formatter(Plain(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def _chip_color(chips: list[str]) -> dict[str, str]:
    return {c: COLORS[i % len(COLORS)] for i, c in enumerate(chips)}


def throughput_figure(model: str, perf: pd.DataFrame):
    """Images/s against batch size for ``model``'s perf.csv rows, one line per chip with the rows' 95 %
    intervals as error bars (gid ``ci:<chip>``); INVALID points are red crosses (gid ``invalid``), VALID ones
    filled circles (gid ``valid``)."""
    matplotlib = _matplotlib()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import NullLocator

    with matplotlib.rc_context(STYLE):
        fig, ax = _figure(4.5)
        rows = perf[perf["model"] == model]
        chips = sorted(set(rows["chip"]))
        color = _chip_color(chips)
        sizes = sorted(set(rows["batch_size"].tolist()))
        for chip in chips:
            mine = rows[rows["chip"] == chip].sort_values("batch_size", kind="stable")
            x, y = mine["batch_size"], mine["throughput_fps"]
            timing = mine["timing"].iloc[0] or "timed"
            ax.plot(
                x.tolist(),
                y.tolist(),
                "-",
                color=color[chip],
                linewidth=1.8,
                label=f"{chip} ({timing})",
                gid=f"line:{chip}",
            )
            # the 95 % interval over the rounds, where the row has one
            bars = mine["throughput_ci_low"].notna()
            if bars.any():
                low = (y - mine["throughput_ci_low"])[bars].tolist()
                high = (mine["throughput_ci_high"] - y)[bars].tolist()
                ax.errorbar(
                    x[bars].tolist(),
                    y[bars].tolist(),
                    yerr=[low, high],
                    fmt="none",
                    ecolor=color[chip],
                    capsize=3,
                    gid=f"ci:{chip}",
                )
            ok = mine["valid"] == VALID
            if ok.any():
                ax.plot(x[ok].tolist(), y[ok].tolist(), "o", color=color[chip], markersize=6, gid="valid")
            if not ok.all():
                ax.plot(x[~ok].tolist(), y[~ok].tolist(), linestyle="none", gid="invalid", **INVALID_MARK)
        any_invalid = (rows["valid"] != VALID).any()
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        plain_log_axis(ax.yaxis)
        ax.set_xticks(sizes, [str(s) for s in sizes])
        ax.xaxis.set_minor_locator(NullLocator())
        if len(sizes) == 1:
            ax.set_xlim(sizes[0] / 1.6, sizes[0] * 1.6)
        ax.set_xlabel("batch size (images per inference call)")
        ax.set_ylabel("throughput (images/s, log scale)")
        ax.set_title(f"{model}: throughput vs batch size ({weights_label(rows)})")
        ax.grid(True, which="major", alpha=0.3)
        handles, _ = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], linestyle="none", marker="o", color="#555555", label="VALID run"))
        if any_invalid:
            handles.append(
                Line2D([], [], linestyle="none", label="INVALID run (perf.csv invalid_reason)", **INVALID_MARK)
            )
        ax.legend(handles=handles, loc="best")
    return fig


def roofline_figure(chip: str, perf: pd.DataFrame):
    """Per model, % of the chip's measured fp32 GEMM peak at its best batch size (horizontal bars;
    a best row that is INVALID is hatched and red-edged, gid ``invalid``)."""
    matplotlib = _matplotlib()

    rows = perf[perf["chip"] == chip]
    best = best_rows(rows, "model").sort_values("model")
    shown = best[best["percent_of_peak"].notna()].iloc[::-1]  # the first model at the top
    with matplotlib.rc_context(STYLE):
        fig, ax = _figure(1.6 + 0.45 * max(1, len(shown)))
        peaks = rows["gemm_peak_gflops"].dropna()
        peak = peaks.iloc[0] if len(peaks) else None
        mixed = rows["weights"].nunique() > 1
        top = 100.0
        for i, (_, r) in enumerate(shown.iterrows()):
            pct = r["percent_of_peak"]
            top = max(top, pct)
            valid = r["valid"] == VALID
            (bar,) = ax.barh(
                i,
                pct,
                height=0.6,
                color=COLORS[0] if valid else "#f4c7c3",
                edgecolor=COLORS[0] if valid else INVALID_COLOR,
                hatch=None if valid else "//",
                linewidth=1.2,
            )
            bar.set_gid("valid" if valid else "invalid")
            note = f"{pct:.1f} %  bs{r['batch_size']}, {r['achieved_gflops']:,.1f} GFLOP/s"
            ax.text(pct + 1.0, i, note + ("" if valid else "  INVALID"), va="center", fontsize=9)
        labels = [f"{m} ({w})" if mixed else m for m, w in zip(shown["model"], shown["weights"], strict=True)]
        ax.set_yticks(range(len(shown)), labels)
        peak_text = f"{peak:,.1f} GFLOP/s" if peak else "not measured"
        ax.axvline(
            100.0, color="#555555", linestyle="--", linewidth=1.2, label=f"measured fp32 GEMM peak ({peak_text})"
        )
        ax.set_xlim(0, top * 1.45)
        ax.set_ylim(-0.6, max(1, len(shown)) - 0.4)
        ax.set_xlabel("% of the measured fp32 GEMM peak (2 · MACs/image · images/s ÷ peak)")
        ax.set_title(f"{chip}: share of the fp32 GEMM peak at each model's best batch size ({weights_label(rows)})")
        ax.grid(True, axis="x", alpha=0.3)
        ax.legend(loc="lower right")
        if shown.empty:
            ax.text(0.5, 0.5, "no model with a measured % of peak", transform=ax.transAxes, ha="center")
    return fig


def latency_view(lat: dict) -> tuple[float, float]:
    """A panel's latency range (ms): from the minimum to a little past p99, so that a few
    preempted iterations do not flatten the distribution (the maximum is then written at the top)."""
    lo, hi = lat["min"], lat["p99"]
    span = max(hi - lo, 1e-3 * hi, 1e-9)
    top = lat["max"] if lat["max"] <= hi + 0.3 * span else hi + 0.3 * span
    return lo - 0.08 * span, top + 0.08 * span


def latency_figure(model: str, chip: str, records: list[dict], perf: pd.DataFrame):
    """Per batch size of ``model`` on ``chip`` (one panel each, its own linear ms scale), the
    per-iteration latency distribution (violin; gid ``invalid`` on an INVALID run's body) with
    p50, p90 and p99 marked (lines with gids ``p50`` ...)."""
    matplotlib = _matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    recs = sorted((r for r in records if r["model"] == model and r["chip"] == chip), key=lambda r: r["batch_size"])
    rows = perf[(perf["model"] == model) & (perf["chip"] == chip)]
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 4.5), dpi=DPI, layout="constrained")
        axes = fig.subplots(1, max(1, len(recs)), squeeze=False)[0]
        for ax, rec in zip(axes, recs, strict=False):
            sample = latency_sample(rec)
            valid, lat = rec["valid"], rec["latency_ms"]
            lo, hi = latency_view(lat)
            if len(set(sample)) > 1:
                parts = ax.violinplot([sample], positions=[0], widths=0.8, showextrema=True, points=400)
                for body in parts["bodies"]:
                    body.set_facecolor(COLORS[0] if valid else "#bbbbbb")
                    body.set_edgecolor(COLORS[0] if valid else INVALID_COLOR)
                    body.set_alpha(0.45)
                    body.set_gid("valid" if valid else "invalid")
                for key in ("cmins", "cmaxes", "cbars"):
                    parts[key].set_color("#777777")
                    parts[key].set_linewidth(0.8)
            for name, color in PERCENTILES:
                ax.plot([-0.45, 0.45], [lat[name]] * 2, color=color, linewidth=2.2, gid=name)
            if lat["max"] > hi:
                ax.text(0, hi, f"max {lat['max']:.3g} ↑", ha="center", va="top", fontsize=7, color="#555555")
            ax.set_ylim(lo, hi)
            ax.set_xlim(-0.6, 0.6)
            stored = f"\n{QUANTILES} quantiles" if "latency_quantiles_ms" in rec else ""
            ax.set_xticks([0], [f"n = {lat['count']:,}{stored}"])
            ax.tick_params(labelsize=8)
            ax.set_title(f"bs{rec['batch_size']}" + ("" if valid else " INVALID"), fontsize=10)
            if not valid:
                ax.title.set_color(INVALID_COLOR)
            ax.grid(True, axis="y", alpha=0.3)
        timing = recs[0].get("timing", "") if recs else ""
        fig.suptitle(
            f"{model} on {chip}: per-iteration latency{f', {timing}' if timing else ''} ({weights_label(rows)})",
            fontsize=11,
        )
        fig.supylabel("latency per batch (ms)", fontsize=10)
        handles = [Line2D([], [], color=c, linewidth=2.2, label=n) for n, c in PERCENTILES]
        handles.append(Line2D([], [], color="#777777", linewidth=0.8, label="min / max"))
        fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)
    return fig


def save(fig, path: str | Path) -> None:
    """Write ``fig`` as a PNG with no metadata (same inputs, same bytes), atomically."""
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})


def draw(perf: pd.DataFrame, records: list[dict], paths: dict) -> None:
    """Draw every plot of ``paths`` (``plotlist.plot_paths``)."""
    for model, path in paths["throughput"]:
        save(throughput_figure(model, perf), path)
    for chip, path in paths["roofline"]:
        save(roofline_figure(chip, perf), path)
    for (model, chip), path in paths["latency"]:
        save(latency_figure(model, chip, records, perf), path)
