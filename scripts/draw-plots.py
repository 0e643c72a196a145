"""Stage `plots`: the performance plots (results/plots/*.png) from perf.csv and the perf records,
and the README fragment that shows them (plots.md) with the list of files the readme stage
copies into docs/images/ (plots.tsv).

By hand:  python scripts/draw-plots.py --table results/tables/perf.csv --records results/*/perf/*/*.json \
              --outdir results/plots
"""

from pathlib import Path
from typing import Annotated

from ganinfer import cli
from ganinfer.fileio import read_json, write_text
from ganinfer.report import readme
from ganinfer.report.columns import PERF
from ganinfer.report.frames import read_csv
from ganinfer.report.plotlist import plot_paths
from ganinfer.report.plots import draw


def run(
    table: Annotated[str, cli.Arg(help="perf.csv")],
    records: Annotated[list[str], cli.Arg(help="the perf records (results/*/perf/*/bs*.json)")],
    outdir: str,
    models: list[str] | None = None,
    chips: list[str] | None = None,
    peak_chips: list[str] | None = None,
):
    perf = read_csv(table, PERF)
    recs = [read_json(p) for p in records]
    # by hand: every model and chip of the table, the roofline view where a peak was measured
    models = models or sorted(set(perf["model"]))
    chips = chips or sorted(set(perf["chip"]))
    if peak_chips is None:
        peak_chips = sorted(set(perf.loc[perf["gemm_peak_gflops"].notna(), "chip"]))
    paths = plot_paths(str(outdir), models, chips, peak_chips)
    draw(perf, recs, paths)
    shown = readme.plots(perf, paths)
    write_text(readme.gallery(shown, "plot") if shown else "No plots in this run.\n", Path(outdir) / "plots.md")
    write_text(readme.copy_list(shown), Path(outdir) / "plots.tsv")
    print(f"{len(shown)} plots ({len(perf)} perf rows, {len(recs)} perf records) -> {outdir}")


if __name__ == "__main__":
    cli.main(run)
