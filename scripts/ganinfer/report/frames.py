"""Result tables as pandas DataFrames, made by the column spec (``ganinfer.report.columns``).

Numbers stay numbers (nullable integers, floats, lists of floats) until a table is written: ``write_csv``
formats each column as the spec says, and ``read_csv`` gives the numbers back from such a file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ganinfer.fileio import atomic_path
from ganinfer.report.columns import ACCURACY, PERF, QUALITY, VALID, Column, names

KEY = ["model", "chip", "batch_size"]  # a perf or accuracy row's identity, and their order


def frame(rows: Iterable[dict], columns: tuple[Column, ...]) -> pd.DataFrame:
    """A table of ``columns`` with a row per input of ``rows`` (see ``Column.value``); an empty text stands
    for a missing number."""
    rows = list(rows)

    def values(column: Column) -> list:
        got = [column.value(r) for r in rows]
        return got if column.dtype == "object" else [None if v == "" else v for v in got]

    return pd.DataFrame({c.name: pd.Series(values(c), dtype=c.dtype) for c in columns}, columns=names(columns))


def _joined(record: dict, weights: dict, macs: dict | None = None, gemm: dict | None = None) -> dict:
    """``record`` with its model's weights file and MAC count and its chip's GEMM peak (the files, by model
    and by chip), under the names the column spec reads them by."""
    model, chip = record["model"], record.get("chip")
    return {
        **record,
        "weights": weights.get(model, {}),
        "macs": (macs or {}).get(model, {}),
        "gemm": (gemm or {}).get(chip, {}),
    }


def perf_frame(records: Iterable[dict], weights: dict, macs: dict, gemm: dict) -> pd.DataFrame:
    """perf.csv's rows from the perf records, the weights files and MAC counts (by model) and the GEMM peaks
    (by chip); sorted by model, chip and batch size."""
    table = frame((_joined(r, weights, macs, gemm) for r in records), PERF)
    return table.sort_values(KEY, ignore_index=True)


def accuracy_frame(records: Iterable[dict], weights: dict) -> pd.DataFrame:
    return frame((_joined(r, weights) for r in records), ACCURACY).sort_values(KEY, ignore_index=True)


def quality_frame(records: Iterable[dict], weights: dict) -> pd.DataFrame:
    """quality.csv's rows; per model pth (the PyTorch reference) first, then the chips."""
    table = frame((_joined(r, weights) for r in records), QUALITY)
    order = table.assign(chip=table["source"] != "pth").sort_values(["model", "chip", "source", "batch_size"])
    return table.loc[order.index].reset_index(drop=True)


def cell(column: Column, value) -> str:
    """``value`` as the tables write it: a number in the column's format, a list joined by its separator, text
    as it is, blank where missing."""
    if isinstance(value, list):
        return column.sep.join(cell(column, v) for v in value)
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, str) or not column.fmt:
        return str(value)
    return format(value, column.fmt)


def text(table: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    """``table``'s ``columns`` as the text the tables write."""
    return pd.DataFrame({c.name: [cell(c, v) for v in table[c.name]] for c in columns}, columns=names(columns))


def write_csv(table: pd.DataFrame, columns: tuple[Column, ...], path: str | Path) -> None:
    with atomic_path(Path(path)) as tmp:
        text(table, columns).to_csv(tmp, index=False, lineterminator="\n")


def read_csv(path: str | Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    """A table ``write_csv`` wrote, its numbers and lists as numbers again; the columns of the spec that the
    file lacks are left out."""
    numbers = [c for c in columns if c.dtype != "object"]
    table = pd.read_csv(
        path,
        dtype={c.name: str if c.dtype == "object" else c.dtype for c in columns},
        keep_default_na=False,
        na_values={c.name: [""] for c in numbers},
    )
    for c in columns:
        if c.sep and c.name in table:
            table[c.name] = [[float(x) for x in s.split(c.sep)] if s else [] for s in table[c.name]]
    return table


def best_rows(perf: pd.DataFrame, by: str = "chip") -> pd.DataFrame:
    """Per value of ``by``, the row of the highest throughput: VALID rows before INVALID ones, then by
    throughput; of equal rows the first."""
    ranked = perf.assign(ok=perf["valid"] == VALID).sort_values(
        ["ok", "throughput_fps"], ascending=False, kind="stable"
    )
    return ranked.drop_duplicates(by).drop(columns="ok")


def weights_label(table: pd.DataFrame) -> str:
    """The weights kinds of ``table``'s rows: demo, real, or "demo and real weights" for a mix."""
    kinds = sorted(set(table["weights"]))
    return f"{' and '.join(kinds) or 'unknown'} weights"
