"""Stage `readme`: copy the README's image grids and plots into docs/images/ and rewrite the
generated README sections (perf, accuracy, quality, images) from results/tables/*.md and
(plots) from results/plots/plots.md.

By hand:  python scripts/update-readme.py --tables results/tables [--plots results/plots] --readme README.md \
              --stamp results/tables/readme.done
"""

import shutil
from pathlib import Path
from typing import Annotated

from ganinfer import cli
from ganinfer.fileio import atomic_path
from ganinfer.report.readme import update_readme

SECTIONS = ("perf", "accuracy", "quality", "images")


def run(
    tables: str,
    stamp: str,
    readme: str = "README.md",
    plots: Annotated[str | None, cli.Arg(help="results/plots: also copy the plots and their section")] = None,
):
    tables, root = Path(tables), Path(readme).parent
    copies = [tables / "images.tsv", *([Path(plots) / "plots.tsv"] if plots else [])]
    for line in (ln for tsv in copies for ln in tsv.read_text().splitlines()):
        source, target = line.split("\t")
        with atomic_path(root / target) as tmp:
            shutil.copyfile(source, tmp)
    sections = {name: (tables / f"{name}.md").read_text() for name in SECTIONS}
    if plots:
        sections["plots"] = (Path(plots) / "plots.md").read_text()
    changed = update_readme(readme, sections)
    with atomic_path(Path(stamp)) as tmp:
        tmp.write_text(f"{readme} {'updated' if changed else 'unchanged'}\n")
    print(f"{readme}: {'updated' if changed else 'already up to date'}")


if __name__ == "__main__":
    cli.main(run)
