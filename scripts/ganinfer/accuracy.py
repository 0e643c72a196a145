"""Accuracy of device outputs against the PyTorch reference on the same inputs.

Per sample (both arrays flattened, float64): cosine similarity and mean |a - b|.
ModelZoo's figure is ``acc = 100 * (mean cosine + 1) / 2``; it has no threshold, so
the minimum cosine and a pass threshold are reported as well.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ganinfer.errors import InputError
from ganinfer.fileio import natural_key, read_bin


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the flattened arrays in float64; 1 when both are all zero, 0 when one is.

    A vector whose largest magnitude is extreme is first divided by it, so squares of tiny (or huge)
    entries neither underflow to a zero norm nor overflow (float32 data never needs it)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    sa, sb = np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0)
    if sa == 0.0 or sb == 0.0:
        return 1.0 if sa == sb else 0.0
    if not (_SAFE[0] < sa < _SAFE[1] and _SAFE[0] < sb < _SAFE[1]):
        a, b = a / sa, b / sb
    return float(_dot(a, b) / (np.sqrt(_dot(a, a)) * np.sqrt(_dot(b, b))))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """a · b in one thread: einsum, not BLAS, whose threads hand one short vector back and forth
    (docs/benchmarking.md#figures-behind-design-choices)."""
    return float(np.einsum("i,i->", a, b))


# magnitudes whose squares, summed over any array that fits in memory, stay normal float64 numbers
_SAFE = (1e-140, 1e140)


def channel_cosine(a: np.ndarray, b: np.ndarray, shape: tuple[int, ...]) -> float:
    """CycleGAN guide's score: cosine over the channel axis at every pixel (C x H x W), averaged."""
    a = np.asarray(a, dtype=np.float64).reshape(shape)
    b = np.asarray(b, dtype=np.float64).reshape(shape)
    den = np.maximum(np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0), 1e-8)
    return float(((a * b).sum(axis=0) / den).mean())


def compare_folders(
    outputs: str | Path,
    reference: str | Path,
    threshold: float,
    channel_shape: tuple[int, ...] | None = None,
    workers: int = 1,
) -> dict:
    """Per-sample comparison; with ``channel_shape`` (C x H x W) also the per-pixel channel cosine. ``workers``
    threads read and compare the samples (file reads and NumPy release the GIL), in the samples' order."""
    outputs, reference = Path(outputs), Path(reference)
    names = sorted((p.name for p in reference.glob("*.bin")), key=natural_key)
    if not names:
        raise InputError(f"{reference}: no reference outputs; run the reference stage first")

    def compare(name: str) -> tuple:
        if not (outputs / name).is_file():
            raise InputError(f"{outputs / name}: output missing for reference {name}; re-run the inference stage")
        ref, out = read_bin(reference / name), read_bin(outputs / name)
        if out.size != ref.size:
            raise InputError(
                f"{outputs / name}: {out.size} values but the reference has {ref.size}; "
                "re-run inference and reference on the same model"
            )
        a, b = out.astype(np.float64), ref.astype(np.float64)
        diff = np.abs(a - b)
        chan = channel_cosine(a, b, channel_shape) if channel_shape else None
        return name, cosine(a, b), float(diff.mean()), float(diff.max()), chan

    with ThreadPoolExecutor(max(1, workers)) as pool:
        per_sample = list(pool.map(compare, names))
    cos = np.array([s[1] for s in per_sample])
    mean_abs = np.array([s[2] for s in per_sample])
    worst = int(np.argmin(cos))
    chans = [s[4] for s in per_sample if s[4] is not None]
    return {
        "samples": len(per_sample),
        "channel_cosine": float(np.mean(chans)) if chans else None,
        "mean_cosine": float(cos.mean()),
        "min_cosine": float(cos.min()),
        "worst_sample": per_sample[worst][0],
        "mean_abs_diff": float(mean_abs.mean()),
        "max_abs_diff": float(max(s[3] for s in per_sample)),
        "acc_percent": float(100.0 * (cos.mean() + 1.0) / 2.0),
        "threshold": threshold,
        "passed": bool(cos.min() >= threshold),
        "per_sample": [
            {"name": n, "cosine": c, "mean_abs_diff": m, "channel_cosine": ch} for n, c, m, _, ch in per_sample
        ],
    }
