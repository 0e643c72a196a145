"""The README's generated sections: rewriting them between their markers, and the galleries of image grids
and plots with the list of files the readme stage copies next to it.

A section named ``perf`` lies between ``<!-- BEGIN GENERATED: perf -->`` and
``<!-- END GENERATED: perf -->``. Rewriting is idempotent and atomic; the file is
left untouched when nothing changed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ganinfer.errors import InputError
from ganinfer.fileio import atomic_path
from ganinfer.report.columns import VALID
from ganinfer.report.frames import weights_label
from ganinfer.report.markdown import markdown

IMAGES_DIR = "docs/images"  # where the readme stage copies the README's grids and plots
GRID = re.compile(r"results/(?P<model>[^/]+)/images/(?P<chip>[^/]+)/bs(?P<bs>\d+)_grid\.png$")


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


# A gallery item: the file (``source``), where the README shows it (``target``), its alt text and caption.


def grids(paths: list[str], weights: dict[str, str]) -> list[dict]:
    """The image grids the README shows: per model and chip, the largest batch size's; ``weights``: model ->
    demo or real."""
    best = {}
    for path in paths:
        m = GRID.search(Path(path).as_posix())
        if m and ((m["model"], m["chip"]) not in best or int(m["bs"]) > best[m["model"], m["chip"]][0]):
            best[m["model"], m["chip"]] = (int(m["bs"]), str(path))
    out = []
    for (model, chip), (bs, path) in sorted(best.items()):
        out.append(
            {
                "source": path,
                "target": f"{IMAGES_DIR}/{model}_{chip}.png",
                "alt": f"{model} {chip} bs{bs}",
                "what": f"{model}: first images of the {chip} outputs at batch size {bs} "
                f"({weights.get(model, 'unknown')} weights).",
            }
        )
    return out


def plots(perf: pd.DataFrame, paths: dict) -> list[dict]:
    """The plots of ``paths`` (``plotlist.plot_paths``) in the README's order: each chip's roofline view, then
    per model its throughput and latencies."""
    out = []

    def item(path: str, alt: str, what: str) -> None:
        out.append({"source": path, "target": f"{IMAGES_DIR}/{Path(path).name}", "alt": alt, "what": what})

    for chip, path in paths["roofline"]:
        mine = perf[perf["chip"] == chip]
        what = f"{chip}: % of the measured fp32 GEMM peak per model at its best batch size ({weights_label(mine)})."
        item(path, f"{chip} percent of fp32 GEMM peak", what)
    for model, path in paths["throughput"]:
        mine = perf[perf["model"] == model]
        invalid = int((mine["valid"] != VALID).sum())
        note = f"; {invalid} INVALID run{'s' if invalid != 1 else ''} marked ×" if invalid else ""
        what = f"{model}: throughput vs batch size, one line per chip ({weights_label(mine)}{note})."
        item(path, f"{model} throughput vs batch size", what)
        for (m, chip), latency in paths["latency"]:
            if m == model:
                rows = mine[mine["chip"] == chip]
                what = (
                    f"{model} on {chip}: per-iteration latency, a panel per batch size (own linear scale), "
                    f"p50 / p90 / p99 marked ({weights_label(rows)})."
                )
                item(latency, f"{model} {chip} latency distribution", what)
    return out


def gallery(items: list[dict], kind: str) -> str:
    """A README table of ``items``: a row per image (``kind``: grid or plot) with its caption."""
    cells = [[f"![{i['alt']}]({i['target']})", i["what"]] for i in items]
    return markdown(pd.DataFrame(cells, columns=[kind, "what it shows"]))


def copy_list(items: list[dict]) -> str:
    """``source<TAB>target`` lines: what the readme stage copies where."""
    return "".join(f"{i['source']}\t{i['target']}\n" for i in items)
