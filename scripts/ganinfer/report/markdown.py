"""The one Markdown table writer of the report (README sections, compare.md)."""

from __future__ import annotations

import pandas as pd


def markdown(table: pd.DataFrame) -> str:
    """``table`` (its columns, not its index) as a GitHub pipe table as the README has them: a header row, one
    ``---`` rule per column, every cell as ``str`` gives it, unpadded, a ``|`` in it escaped."""
    rows = [list(table.columns), *table.values.tolist()]
    lines = ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(table.columns))
    return "\n".join(lines) + "\n"
