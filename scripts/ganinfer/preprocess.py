"""Input generation, one function per registry ``preprocess`` kind.

Seeds are explicit: sample ``i`` is drawn from ``numpy.random.default_rng([seed, i])``,
so the same seed gives the same files, and asking for more samples keeps the first
ones unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganinfer.fileio import atomic_dir, write_bin, write_json
from ganinfer.registry import ModelSpec


def noise(spec: ModelSpec, samples: int, seed: int, out: Path, weights: str | None = None) -> dict:
    """Standard-normal latent vectors, one float32 file per sample and input."""
    for t in spec.inputs:
        (out / t.name).mkdir()
    for i in range(samples):
        rng = np.random.default_rng([seed, i])
        for t in spec.inputs:
            write_bin(rng.standard_normal(t.shape, dtype=np.float32), out / t.name / f"{spec.sample_name(i)}.bin")
    return {}


KINDS = {"noise": noise}


def make_inputs(spec: ModelSpec, samples: int, seed: int, out: str | Path, weights: str | None = None) -> None:
    """Write ``samples`` input samples for ``spec`` into the folder ``out`` (atomically)."""
    with atomic_dir(Path(out)) as tmp:
        extra = KINDS[spec.preprocess](spec, samples, seed, tmp, weights)
        write_json(
            {
                "model": spec.name,
                "kind": spec.preprocess,
                "samples": samples,
                "seed": seed,
                "inputs": {t.name: list(t.shape) for t in spec.inputs},
                **extra,
            },
            tmp / "inputs.json",
        )
