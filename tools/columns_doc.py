"""`make columns-doc`: write docs/columns.md from the column spec (scripts/ganinfer/report/columns.py).

The spec is the one source of every result table's columns: their names, where each value comes from, how
it is written and what it means; this script renders it as a page, a table per CSV file. ``--check`` writes
nothing and exits 1 when docs/columns.md differs from the output (tests/test_docs.py runs the same comparison).

By hand:  python tools/columns_doc.py [--check]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tools"))

import pandas as pd  # noqa: E402
from config_doc import write_generated  # noqa: E402

from ganinfer.report.columns import TABLES, Column  # noqa: E402
from ganinfer.report.markdown import markdown  # noqa: E402

OUTPUT = ROOT / "docs" / "columns.md"

HEADER = """\
# Result table columns

<!-- Generated from scripts/ganinfer/report/columns.py by `make columns-doc` (tools/columns_doc.py): edit the
column spec, not this file. -->

Every column of the CSV files the workflow writes under `results/tables/`, in file order. *written as*: how a
value is written (a blank cell where a row has none); *from*: the field of the row's record it is read from
(`a.b`: field `b` of `a`; `weights.`, `macs.` and `gemm.`: the model's weights file
resources/weights/{model}.json, its MAC count results/{model}/onnx/{model}_macs.json and the chip's GEMM peak
results/roofline/gemm_{chip}.json), or what it is computed from. The same spec writes the rows and the
README's tables. How the figures are measured: [benchmarking.md](benchmarking.md), [quality.md](quality.md).
"""


def written_as(column: Column) -> str:
    """How ``column`` writes a value: text, an integer, or a number with its digits."""
    if not column.fmt:
        return "text"
    if column.fmt == "d":
        return "integer"
    digits, kind = re.fullmatch(r"\.?(\d*)([efg])", column.fmt).groups()
    how = {
        "f": f"{digits} decimal{'s' if digits != '1' else ''}",
        "e": f"{digits} decimals, exponent",
        "g": f"{digits or 6} significant digits",
    }
    if column.sep:
        return f"numbers ({how[kind]}), `{column.sep}`-separated"
    number = f"number ({how[kind]})"
    return f"{number}, or {column.words}" if column.words else number


def source(column: Column) -> str:
    """Where ``column``'s value comes from: a record field (or the first of two present), or what computes it."""
    if callable(column.source):
        return column.source.__doc__
    return ", else ".join(f"`{path}`" for path in column.source.split("|"))


def render() -> str:
    parts = [HEADER]
    for name, (rows, columns) in TABLES.items():
        table = pd.DataFrame(
            [[f"`{c.name}`", written_as(c), source(c), c.description] for c in columns],
            columns=["column", "written as", "from", "meaning"],
        )
        parts.append(f"## {name}\n\n{rows}\n\n{markdown(table)}")
    return "\n".join(parts)


def main(argv=None) -> int:
    return write_generated(OUTPUT, render(), "the column spec", "columns-doc", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
