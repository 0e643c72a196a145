"""Atomic outputs and the raw float32 ``.bin`` format of the ModelZoo guides."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ganinfer.errors import InputError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove ``.<name>.tmp<pid>`` siblings of ``path`` whose process is gone (a killed run)."""
    removed = []
    prefix = f".{path.name}.tmp"
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return removed
    for tmp in siblings:
        pid = tmp.name[len(prefix) :]
        if tmp.name.startswith(prefix) and pid.isdigit() and not _alive(int(pid)):
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def final_name(path: Path) -> Path:
    """``path`` with the temporary folders of ``atomic_dir`` replaced by the names they become."""
    return Path(*(re.sub(r"^\.(.+)\.tmp\d+$", r"\1", part) for part in path.parts))


def _no_space(path: Path, exc: OSError) -> InputError:
    free = shutil.disk_usage(path.parent).free if path.parent.exists() else 0
    path = final_name(path)
    return InputError(
        f"{path}: no space left on the device while writing it ({free / 1e6:.1f} MB free in {path.parent}); "
        "free some space there (or run the workflow in a folder on a larger disk) and re-run"
    )


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it onto ``path`` only on success.

    Temporaries of killed runs beside ``path`` are removed first; a full disk is a one-line
    error naming ``path`` and the free space (nothing partial is left).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _no_space(path, exc) from None
        raise
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
    """Raw little-endian float32, no header (what numpy ``tofile`` writes), as the guides write.

    Written through a Python file: ``tofile`` reports a full disk without its errno."""
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(array, dtype="<f4").data)


def read_bin(path: str | os.PathLike, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Read a raw float32 file; with ``shape``, its size must match exactly."""
    data = np.fromfile(path, dtype="<f4")
    if shape is not None:
        expected = int(np.prod(shape))
        size = os.path.getsize(path)
        if size != expected * 4:
            raise InputError(
                f"{path}: {size} bytes, expected {expected * 4} "
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


# files the workflow builds itself: (path pattern, rule)
INTERMEDIATES = (
    (r"results/(?P<m>\w+)/onnx/(?P=m)_bs\d+\.onnx", "simplify_onnx"),
    (r"results/(?P<m>\w+)/onnx/(?P=m)\.onnx", "export_onnx"),
    (r"results/(?P<m>\w+)/export/(?P=m)_bs\d+\.onnx", "export_onnx_fixed"),
    (r"results/(?P<m>\w+)/om/.*\.om", "compile_atc"),
    (r"resources/weights/\w+\.pth", "weights"),
)


def unreadable(path: str | os.PathLike, what: str, exc: BaseException) -> InputError:
    """A file that cannot be read: for one the workflow built, say how to rebuild it."""
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    for marker in ("INVALID_PROTOBUF", "INVALID_GRAPH", "NO_SUCHFILE"):
        if marker in detail:
            detail = marker
    detail = detail[:120]
    posix = Path(path).as_posix()
    for pattern, rule in INTERMEDIATES:
        if re.search(rf"(^|/){pattern}$", posix):
            return InputError(
                f"{path}: not a readable {what} ({detail}); it is built by rule {rule} (corrupt or truncated): "
                f"delete it and re-run to rebuild it, or add '-R {rule}' to the snakemake command"
            )
    return InputError(f"{path}: not a readable {what} ({detail}); point the workflow at a valid file")


def sha256_of(path: str | os.PathLike) -> str:
    """The file's sha256 as hex, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_text(text: str, path: str | Path) -> None:
    """``text`` written to ``path`` atomically."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text)
