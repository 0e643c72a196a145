"""Sample stems: unique, dot-free and safe for the tools, with a manifest back to the sources.

ais_bench names each output after its input cut at the first dot and takes ``--input``
as a comma-separated list of folders; shells split on spaces. So a sample's stem holds
only ``[A-Za-z0-9_-]`` (anything else becomes ``_``, no leading ``-``). Sources whose
stems collide (``img1.jpg`` and ``img1.png``, ``a.b.png`` and ``a_b.png``) get their
extension appended, then, if still equal, a short hash of their relative path: the
same folder always gives the same stems. ``manifest.json`` in the inputs folder maps
each stem to its source, so tables, captions and image names can show the user's names.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

from ganinfer.errors import CONFIG_HINT, InputError

MANIFEST = "manifest.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe(name: str) -> str:
    """``name`` with every run of unsafe characters replaced by ``_`` (never empty, no leading ``-``)."""
    out = _UNSAFE.sub("_", name)
    if out.startswith("-"):
        out = "_" + out[1:]
    return out or "_"


def unique_stems(names: list[str], sources: list[str]) -> list[str]:
    """Safe, unique stems for ``names`` (wanted stems) of ``sources`` (relative paths, unique)."""
    stems = [safe(n) for n in names]
    for rename in (
        lambda stem, src: f"{stem}_{safe(Path(src).suffix.lstrip('.').lower())}",
        lambda stem, src: f"{stem}_{hashlib.sha1(src.encode()).hexdigest()[:8]}",
    ):
        counts = Counter(stems)
        if max(counts.values(), default=1) == 1:
            break
        stems = [rename(s, src) if counts[s] > 1 else s for s, src in zip(stems, sources, strict=True)]
    counts = Counter(stems)
    if counts and max(counts.values()) > 1:  # a hash collision of two different paths
        raise ValueError(f"sample names collide: {[s for s, c in counts.items() if c > 1][:3]}")
    return stems


def read_manifest(inputs: str | Path | None) -> dict:
    """``{stem: source}`` from an inputs folder's manifest ({} when there is none)."""
    from ganinfer.fileio import read_json

    if not inputs or not (Path(inputs) / MANIFEST).is_file():
        return {}
    return read_json(Path(inputs) / MANIFEST)["samples"]


def display_name(stem: str, manifest: dict) -> str:
    """The user's name of a sample: its source file (relative path), or the stem itself."""
    return manifest.get(stem, {}).get("file") or stem


def count(spec, samples, available: int | None, folder=None) -> int:
    """The number of samples to make: ``samples``, or every image for ``"all"``; more than
    the folder holds is an error naming the folder, both counts and the fix."""
    if samples == "all":
        if available is None and not spec.dataset:
            raise InputError(
                f"samples 'all' for model '{spec.name}': its inputs are drawn from seeded noise, not read from a "
                f"folder; give a number instead (fix samples in {CONFIG_HINT})"
            )
        if available is None:
            raise InputError(
                f"samples 'all' for model '{spec.name}' needs a dataset folder (datasets.{spec.name}); "
                f"give a number instead (fix samples in {CONFIG_HINT})"
            )
        return available
    samples = int(samples)
    if available is not None and samples > available:
        raise InputError(
            f"{folder}: {available} usable images, but samples asks for {samples} for model '{spec.name}'; "
            f"add images, lower samples.{spec.name} to {available} or set it to 'all' (in {CONFIG_HINT})"
        )
    return samples


def available(spec, folder) -> int:
    """How many samples a dataset folder gives: its images (image_folder) or the images of its
    identity sub-folders (dgnet_pair)."""
    from ganinfer.photos import list_classes, list_images

    if spec.preprocess == "dgnet_pair":
        return len(list_classes(folder, spec.dataset))
    return len(list_images(folder, spec.dataset))
