"""Configured datasets and weights as tracked inputs.

Snakemake compares modification times of input files, but a dataset is a folder (its
mtime changes when a file is added or removed, not when one is replaced in place) and
a replaced checkpoint may keep an old mtime (``cp -p``, ``rsync -a``). So while the DAG
is built, each configured source gets a listing file under ``resources/tracked/``:
one line per file (path, size in bytes, mtime in ns). The file is rewritten only when
the listing differs, so its own mtime moves exactly when the data changed, and the
rules that read the data take it as an input.

Sizes and mtimes, not hashes: ``os.scandir`` returns them without opening a file (the
12,936 images of Market-1501 ``train_all`` are listed in well under a second, where
hashing them reads every byte).
"""

from __future__ import annotations

import os
from pathlib import Path

from ganinfer.photos import IMAGE_SUFFIXES

TRACKED = "resources/tracked"


def _walk(folder: str):
    """(relative path, stat) of every image file under ``folder``, sub-folders included."""
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(os.path.join(folder, rel) if rel else folder) as it:
            for entry in it:
                name = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir():
                    stack.append(name)
                elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES:
                    yield name, entry.stat()


def listing(paths: list[str]) -> str:
    """One line per tracked file: ``path<TAB>size<TAB>mtime_ns``; a folder lists its images."""
    lines = []
    for path in paths:
        if os.path.isdir(path):
            rows = sorted(_walk(path))
            lines.append(f"# {path}: {len(rows)} images")
            lines += [f"{path}/{rel}\t{st.st_size}\t{st.st_mtime_ns}" for rel, st in rows]
        elif os.path.exists(path):
            st = os.stat(path)
            lines.append(f"{path}\t{st.st_size}\t{st.st_mtime_ns}")
        else:
            lines.append(f"{path}\tmissing")
    return "\n".join(lines) + "\n"


def track(name: str, paths: list[str], root: str = TRACKED) -> str:
    """Write ``<root>/<name>.tsv`` when its listing changed; return its path."""
    return _write_if_changed(Path(root) / f"{name}.tsv", listing(paths))


def declaration_path(model: str, root: str = TRACKED) -> str:
    """The file holding a declared model's ``onnx_models`` entry (a config the scripts read by hand)."""
    return f"{root}/{model}_declaration.yaml"


def track_declaration(model: str, declaration: dict, root: str = TRACKED) -> str:
    """Write ``onnx_models: {model: declaration}`` to ``declaration_path(model)`` when it changed, so the
    jobs that read the declaration rerun exactly when it changes; return the path."""
    import yaml

    text = yaml.safe_dump({"onnx_models": {model: declaration}}, sort_keys=True)
    return _write_if_changed(Path(declaration_path(model, root)), text)


def _write_if_changed(out: Path, text: str) -> str:
    try:
        if out.read_text() == text:
            return str(out)
    except OSError:
        pass
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, out)
    return str(out)
