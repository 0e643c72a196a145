"""Rewrite the generated sections of README.md between their markers.

A section named ``perf`` lies between ``<!-- BEGIN GENERATED: perf -->`` and
``<!-- END GENERATED: perf -->``. Rewriting is idempotent and atomic; the file is
left untouched when nothing changed.
"""

from __future__ import annotations

import re
from pathlib import Path

from ganinfer.errors import InputError
from ganinfer.fileio import atomic_path

IMAGES_DIR = "docs/images"  # where the readme stage copies the README's grids and plots


def markers(name: str) -> tuple[str, str]:
    return f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"


def replace_sections(text: str, sections: dict[str, str], source: str = "README.md") -> str:
    for name, body in sections.items():
        begin, end = markers(name)
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if len(pattern.findall(text)) != 1:
            raise InputError(f"{source}: needs exactly one '{begin}' ... '{end}' pair; add the two marker lines")
        block = f"{begin}\n{body.strip()}\n{end}"
        text = pattern.sub(lambda _m, block=block: block, text)
    return text


def update_readme(path: str | Path, sections: dict[str, str]) -> bool:
    """Rewrite ``path``; return whether it changed."""
    path = Path(path)
    old = path.read_text()
    new = replace_sections(old, sections, str(path))
    if new == old:
        return False
    with atomic_path(path) as tmp:
        tmp.write_text(new)
    return True
