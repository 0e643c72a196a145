"""Stage `tables`: perf.csv and accuracy.csv (long format, one row per model, chip and
batch size), quality.csv (one row per model and source) and the Markdown fragments the
README shows.

By hand:  python scripts/tables.py --perf results/*/perf/*/*.json --accuracy results/*/accuracy/*/*.json \
              --quality results/*/quality/*.json --weights resources/weights/*.json \
              --grids results/*/images/*/bs*_grid.png \
              --macs results/*/onnx/*_macs.json --gemm results/roofline/gemm_*.json --outdir results/tables \
              [--ratio Ascend310P3 Ascend310 --check Ascend310P3 Ascend310 0.5]
"""

import re
from pathlib import Path
from typing import Annotated

from ganinfer import cli
from ganinfer.fileio import read_json, write_text
from ganinfer.readme import IMAGES_DIR
from ganinfer.tables import (
    ACCURACY_COLUMNS,
    PERF_COLUMNS,
    QUALITY_COLUMNS,
    accuracy_markdown,
    accuracy_row,
    images_markdown,
    perf_markdown,
    perf_row,
    quality_markdown,
    quality_row,
    quality_sort_key,
    write_csv,
)

GRID = re.compile(r"results/(?P<model>[^/]+)/images/(?P<chip>[^/]+)/bs(?P<bs>\d+)_grid\.png$")


def readme_grids(grids, weights):
    """One grid per (model, chip) for the README: the largest batch size's."""
    best = {}
    for g in grids:
        m = GRID.search(Path(g).as_posix())
        if m:
            key = (m["model"], m["chip"])
            if key not in best or int(m["bs"]) > int(best[key]["batch_size"]):
                best[key] = {
                    "model": m["model"],
                    "chip": m["chip"],
                    "batch_size": m["bs"],
                    "source": str(g),
                    "weights": weights.get(m["model"], "unknown"),
                    "path": f"{IMAGES_DIR}/{m['model']}_{m['chip']}.png",
                }
    return [best[k] for k in sorted(best)]


def check_option(values):
    if not values:
        return None
    chip, baseline, ratio = values
    return {"chip": chip, "baseline": baseline, "min_ratio": float(ratio)}


def run(
    perf: list[str],
    outdir: str,
    ratios: Annotated[
        list,
        cli.Setting("perf_table.ratios"),
        cli.Arg("--ratio", nargs=2, action="append", metavar=("CHIP", "BASELINE")),
    ],
    check: Annotated[
        dict | None,
        cli.Setting("perf_table.check"),
        cli.Arg(nargs=3, type=str, metavar=("CHIP", "BASELINE", "MIN_RATIO"), convert=check_option),
    ],
    accuracy: list[str] = (),
    weights: list[str] = (),
    grids: list[str] = (),
    quality: list[str] = (),
    macs: list[str] = (),
    gemm: list[str] = (),
):
    wkind = {w["model"]: w["weights"] for w in map(read_json, weights)}
    model_macs = {m["model"]: m["macs_per_image"] for m in map(read_json, macs)}
    peaks = {g["chip"]: g["peak_gflops"] for g in map(read_json, gemm)}
    out = Path(outdir)
    perf_rows = [perf_row(read_json(p), wkind, model_macs, peaks) for p in perf]
    acc_rows = [accuracy_row(read_json(p), wkind) for p in accuracy]
    write_csv(perf_rows, PERF_COLUMNS, out / "perf.csv")
    write_csv(acc_rows, ACCURACY_COLUMNS, out / "accuracy.csv")
    quality_rows = [quality_row(read_json(p), wkind) for p in quality]
    write_csv(quality_rows, QUALITY_COLUMNS, out / "quality.csv", key=quality_sort_key)
    write_text(perf_markdown(perf_rows, ratios, check), out / "perf.md")
    write_text(accuracy_markdown(acc_rows), out / "accuracy.md")
    write_text(quality_markdown(quality_rows), out / "quality.md")
    shown = readme_grids(grids, wkind)
    write_text(images_markdown(shown), out / "images.md")
    write_text("".join(f"{g['source']}\t{g['path']}\n" for g in shown), out / "images.tsv")
    print(
        f"{len(perf_rows)} perf rows, {len(acc_rows)} accuracy rows, {len(quality_rows)} quality rows, "
        f"{len(shown)} README grids -> {out}"
    )


if __name__ == "__main__":
    cli.main(run)
