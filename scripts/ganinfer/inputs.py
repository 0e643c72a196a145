"""The model's input samples: ``<root>/<input name>/<stem>.bin``, one sample per file.

Batches are packed as ais_bench packs them: files in natural order, ``bs`` files per
batch, a short last batch padded by repeating its first file (no outputs are kept
for the padding).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ganinfer.errors import InputError
from ganinfer.fileio import list_bins, read_bin
from ganinfer.spec import ModelSpec


class InputSet:
    def __init__(self, spec: ModelSpec, root: str | Path):
        self.spec = spec
        self.root = Path(root)
        self.files = {t.name: list_bins(self.root / t.name) for t in spec.inputs}
        first = spec.inputs[0].name
        self.stems = [p.stem for p in self.files[first]]
        for name, files in self.files.items():
            if [p.stem for p in files] != self.stems:
                raise InputError(
                    f"{self.root / name}: file names differ from {self.root / first}; "
                    "every input folder needs the same sample names (re-run preprocess)"
                )

    def __len__(self) -> int:
        return len(self.stems)

    def read(self, index: int) -> dict[str, np.ndarray]:
        return {t.name: read_bin(self.files[t.name][index], t.shape) for t in self.spec.inputs}

    def batches(self, bs: int, pad: bool = True) -> Iterator[tuple[list[str], dict[str, np.ndarray]]]:
        """Yield ``(stems of the real samples, feeds)``; with ``pad`` every batch has exactly
        ``bs`` rows (what a fixed-batch device model needs), else the last one may be short."""
        for start in range(0, len(self), bs):
            idx = list(range(start, min(start + bs, len(self))))
            padded = idx + [idx[0]] * (bs - len(idx)) if pad else idx
            samples = [self.read(i) for i in padded]
            feeds = {t.name: np.stack([s[t.name] for s in samples]) for t in self.spec.inputs}
            yield [self.stems[i] for i in idx], feeds

    def first_batch(self, bs: int) -> dict[str, np.ndarray]:
        return next(self.batches(bs))[1]
