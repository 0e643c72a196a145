"""Stage `plots`: the performance plots (results/plots/*.png) from perf.csv and the perf records,
and the README fragment that shows them (plots.md) with the list of files the readme stage
copies into docs/images/ (plots.tsv).

By hand:  python scripts/plots.py --table results/tables/perf.csv --records results/*/perf/*/*.json \
              --outdir results/plots
"""

import csv
from pathlib import Path
from typing import Annotated

from ganinfer import cli
from ganinfer.fileio import read_json, write_text
from ganinfer.plots import copy_list, markdown, plot_paths, readme_order, write_plots


def run(
    table: Annotated[str, cli.Arg(help="perf.csv")],
    records: Annotated[list[str], cli.Arg(help="the perf records (results/*/perf/*/bs*.json)")],
    outdir: str,
    models: list[str] | None = None,
    chips: list[str] | None = None,
    peak_chips: list[str] | None = None,
):
    with open(table) as f:
        rows = list(csv.DictReader(f))
    recs = [read_json(p) for p in records]
    # by hand: every model and chip of the table, the roofline view where a peak was measured
    models = models or sorted({r["model"] for r in rows})
    chips = chips or sorted({r["chip"] for r in rows})
    if peak_chips is None:
        peak_chips = sorted({r["chip"] for r in rows if r["gemm_peak_gflops"]})
    paths = plot_paths(str(outdir), models, chips, peak_chips)
    shown = readme_order(write_plots(rows, recs, paths), paths)
    write_text(markdown(shown), Path(outdir) / "plots.md")
    write_text(copy_list(shown), Path(outdir) / "plots.tsv")
    print(f"{len(shown)} plots ({len(rows)} perf rows, {len(recs)} perf records) -> {outdir}")


if __name__ == "__main__":
    cli.main(run)
