"""The plots of a run and their report flags: what rules/common.smk and rules/plots.smk read while the DAG is
built. Plain Python: importing it imports neither pandas nor matplotlib (tests/test_plots.py checks)."""

from __future__ import annotations

from collections.abc import Iterable


def plot_paths(outdir: str, models: Iterable[str], chips: Iterable[str], peak_chips: Iterable[str]) -> dict:
    """The plots of a run, by kind: ``{"throughput": [(model, path)], "roofline": [(chip, path)],
    "latency": [((model, chip), path)]}``, in the given orders."""
    models, chips = list(models), list(chips)
    return {
        "throughput": [(m, f"{outdir}/throughput_{m}.png") for m in models],
        "roofline": [(c, f"{outdir}/roofline_{c}.png") for c in peak_chips],
        "latency": [((m, c), f"{outdir}/latency_{m}_{c}.png") for m in models for c in chips],
    }


# per kind: the report caption (relative to rules/), its subcategory, and the label names of its keys
REPORT = {
    "throughput": ("../report/plot_throughput.rst", "Throughput", ("model",)),
    "roofline": ("../report/plot_roofline.rst", "Roofline", ("chip",)),
    "latency": ("../report/plot_latency.rst", "Latency", ("model", "chip")),
}


def report_flags(kind: str, key) -> dict:
    """``report()`` keywords of one plot: caption, category, subcategory and its own labels."""
    caption, subcategory, names = REPORT[kind]
    keys = key if isinstance(key, tuple) else (key,)
    return {
        "caption": caption,
        "category": "Plots",
        "subcategory": subcategory,
        "labels": dict(zip(names, keys, strict=True)),
    }
