"""Atomic outputs and the raw float32 ``.bin`` format of the ModelZoo guides."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ganinfer.errors import InputError


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield an empty temporary folder that replaces ``path`` (a folder) on success."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.mkdir()
        yield tmp
        if path.exists():
            shutil.rmtree(path)


def write_json(obj, path: str | os.PathLike) -> None:
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def read_json(path: str | os.PathLike):
    return json.loads(Path(path).read_text())


def write_bin(array: np.ndarray, path: str | os.PathLike) -> None:
    """Raw little-endian float32, no header (numpy ``tofile``), as the guides write."""
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def read_bin(path: str | os.PathLike, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Read a raw float32 file; with ``shape``, its size must match exactly."""
    data = np.fromfile(path, dtype="<f4")
    if shape is not None:
        expected = int(np.prod(shape))
        if data.size != expected:
            raise InputError(
                f"{path}: {data.size * 4} bytes, expected {expected * 4} "
                f"(float32 {'x'.join(map(str, shape))}); delete the file and re-run preprocess"
            )
        data = data.reshape(shape)
    return data


def natural_key(name: str):
    """Sort key that orders ``2.bin`` before ``10.bin`` (ais_bench sorts inputs this way)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def ais_sort_key(name: str):
    """ais_bench's order of an input folder (utils.py: get_fileslist_from_dir, natural_sort): digit runs
    as numbers, text lower-cased; names equal under that key keep plain string order."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)], name


def list_bins(folder: str | os.PathLike) -> list[Path]:
    """The ``.bin`` samples of an input folder, in the order ais_bench batches them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: input folder not found; run the preprocess stage first")
    files = sorted((p for p in folder.iterdir() if p.suffix == ".bin"), key=lambda p: ais_sort_key(p.name))
    if not files:
        raise InputError(f"{folder}: no .bin files; run the preprocess stage first")
    return files


def output_name(input_file: str | os.PathLike, index: int = 0, fmt: str = "bin") -> str:
    """ais_bench naming (io_oprations.py: save_tensors_to_file): the input file's basename cut at its
    FIRST '.', then ``_<output index>.<fmt>`` (``a.b.bin`` and ``a.c.bin`` both give ``a_0.bin``)."""
    return f"{Path(input_file).name.split('.')[0]}_{index}.{fmt.lower()}"
