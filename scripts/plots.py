"""Stage `plots`: the performance plots (results/plots/*.png) from perf.csv and the perf records,
and the README fragment that shows them (plots.md) with the list of files the readme stage
copies into docs/images/ (plots.tsv).

By hand:  python scripts/plots.py --table results/tables/perf.csv --records results/*/perf/*/*.json \
              --outdir results/plots
"""

import argparse
import csv
from pathlib import Path

from ganinfer import cli
from ganinfer.fileio import read_json
from ganinfer.plots import copy_list, markdown, plot_paths, readme_order, write_plots
from ganinfer.tables import write_text


def run(table, records, outdir, models=None, chips=None, peak_chips=None):
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


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", required=True, help="perf.csv")
    p.add_argument("--records", nargs="+", required=True, help="the perf records (results/*/perf/*/bs*.json)")
    p.add_argument("--outdir", required=True)
    return cli.add_log(p)


def from_snakemake(smk):
    return dict(
        table=smk.input.perf,
        records=smk.input.records,
        outdir=str(Path(smk.output.md).parent),
        models=smk.params.models,
        chips=smk.params.chips,
        peak_chips=smk.params.peak_chips,
    )


if __name__ == "__main__":
    cli.main(run, parser, globals().get("snakemake"), from_snakemake)
