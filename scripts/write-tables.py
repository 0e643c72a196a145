"""Stage `tables`: perf.csv and accuracy.csv (long format, one row per model, chip and
batch size), quality.csv (one row per model and source) and the Markdown fragments the
README shows.

By hand:  python scripts/write-tables.py --perf results/*/perf/*/*.json --accuracy results/*/accuracy/*/*.json \
              --quality results/*/quality/*.json --weights resources/weights/*.json \
              --grids results/*/images/*/bs*_grid.png \
              --macs results/*/onnx/*_macs.json --gemm results/roofline/gemm_*.json --outdir results/tables \
              [--ratio Ascend310P3 Ascend310 --check Ascend310P3 Ascend310 0.5]
"""

from pathlib import Path
from typing import Annotated

from ganinfer import cli
from ganinfer.fileio import read_json, write_text
from ganinfer.report import readme
from ganinfer.report.columns import ACCURACY, PERF, QUALITY
from ganinfer.report.frames import accuracy_frame, perf_frame, quality_frame, write_csv
from ganinfer.report.tables import accuracy_markdown, perf_markdown, quality_markdown


def by(key: str, paths: list[str]) -> dict[str, dict]:
    """The JSON files of ``paths`` by their ``key`` field (model or chip)."""
    return {r[key]: r for r in map(read_json, paths)}


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
    weights_files = by("model", weights)
    out = Path(outdir)
    perf_table = perf_frame(map(read_json, perf), weights_files, by("model", macs), by("chip", gemm))
    acc_table = accuracy_frame(map(read_json, accuracy), weights_files)
    quality_table = quality_frame(map(read_json, quality), weights_files)
    write_csv(perf_table, PERF, out / "perf.csv")
    write_csv(acc_table, ACCURACY, out / "accuracy.csv")
    write_csv(quality_table, QUALITY, out / "quality.csv")
    write_text(perf_markdown(perf_table, ratios, check), out / "perf.md")
    write_text(accuracy_markdown(acc_table), out / "accuracy.md")
    write_text(quality_markdown(quality_table), out / "quality.md")
    shown = readme.grids(grids, {m: w["weights"] for m, w in weights_files.items()})
    write_text(readme.gallery(shown, "grid") if shown else "", out / "images.md")
    write_text(readme.copy_list(shown), out / "images.tsv")
    print(
        f"{len(perf_table)} perf rows, {len(acc_table)} accuracy rows, {len(quality_table)} quality rows, "
        f"{len(shown)} README grids -> {out}"
    )


if __name__ == "__main__":
    cli.main(run)
