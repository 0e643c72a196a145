"""Stage `compare`: this run's perf.csv against a baseline perf.csv of another run (ganinfer.report.compare):
compare.csv (ratio this/baseline, its 95 % interval, verdict per row present in both) and compare.md (the
provenance differences, then the rows).

By hand:  python scripts/compare-runs.py --perf results/tables/perf.csv --baseline old/perf.csv \
              --csv compare.csv --md compare.md [--min-effect 0.05]
"""

from typing import Annotated

from ganinfer import cli
from ganinfer.fileio import write_text
from ganinfer.report.columns import COMPARE
from ganinfer.report.compare import compare, compare_markdown, provenance_differences, read_perf_csv
from ganinfer.report.frames import write_csv


def run(
    perf: str,
    baseline: Annotated[str, cli.Setting("baseline")],
    csv: str,
    md: str,
    min_effect: Annotated[float, cli.Setting("perf_table.min_effect")],
):
    current, base = read_perf_csv(perf, "the perf table"), read_perf_csv(baseline)
    table, only = compare(current, base, min_effect)
    write_csv(table, COMPARE, csv)
    differences = provenance_differences(current, base)
    write_text(compare_markdown(table, only, differences, baseline, min_effect), md)
    counts = table["verdict"].value_counts().to_dict()
    print(
        f"{len(table)} rows against {baseline}: "
        + ", ".join(f"{counts.get(v, 0)} {v}" for v in ("faster", "slower", "same"))
        + (f"; differs: {', '.join(differences)}" if differences else "")
    )


if __name__ == "__main__":
    cli.main(run)
