"""Accuracy of device outputs against the PyTorch reference on the same inputs.

Per sample (both arrays flattened, float64): cosine similarity and mean |a - b|.
ModelZoo's figure is ``acc = 100 * (mean cosine + 1) / 2``; it has no threshold, so
the minimum cosine and a pass threshold are reported as well.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganinfer.errors import InputError
from ganinfer.fileio import natural_key, read_bin


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the flattened arrays in float64; 1 when both are all zero, 0 when one is.

    Each vector is first divided by its largest magnitude, so squares of tiny (or huge) entries
    neither underflow to a zero norm nor overflow."""
    a = a.ravel().astype(np.float64)
    b = b.ravel().astype(np.float64)
    sa, sb = np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0)
    if sa == 0.0 or sb == 0.0:
        return 1.0 if sa == sb else 0.0
    a, b = a / sa, b / sb
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def channel_cosine(a: np.ndarray, b: np.ndarray, shape: tuple[int, ...]) -> float:
    """CycleGAN guide's score: cosine over the channel axis at every pixel (C x H x W), averaged."""
    a = a.reshape(shape).astype(np.float64)
    b = b.reshape(shape).astype(np.float64)
    den = np.maximum(np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0), 1e-8)
    return float(((a * b).sum(axis=0) / den).mean())


def compare_folders(
    outputs: str | Path, reference: str | Path, threshold: float, channel_shape: tuple[int, ...] | None = None
) -> dict:
    """Per-sample comparison; with ``channel_shape`` (C x H x W) also the per-pixel channel cosine."""
    outputs, reference = Path(outputs), Path(reference)
    names = sorted((p.name for p in reference.glob("*.bin")), key=natural_key)
    if not names:
        raise InputError(f"{reference}: no reference outputs; run the reference stage first")
    per_sample = []
    for name in names:
        if not (outputs / name).is_file():
            raise InputError(f"{outputs / name}: output missing for reference {name}; re-run the inference stage")
        ref = read_bin(reference / name)
        out = read_bin(outputs / name)
        if out.size != ref.size:
            raise InputError(
                f"{outputs / name}: {out.size} values but the reference has {ref.size}; "
                "re-run inference and reference on the same model"
            )
        diff = np.abs(out.astype(np.float64) - ref.astype(np.float64))
        chan = channel_cosine(out, ref, channel_shape) if channel_shape else None
        per_sample.append((name, cosine(out, ref), float(diff.mean()), float(diff.max()), chan))
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
