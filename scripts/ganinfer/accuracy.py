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
    a = a.ravel().astype(np.float64)
    b = b.ravel().astype(np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 or nb == 0.0:
        return 1.0 if na == nb else 0.0
    return float(a @ b / (na * nb))


def compare_folders(outputs: str | Path, reference: str | Path, threshold: float) -> dict:
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
        per_sample.append((name, cosine(out, ref), float(diff.mean()), float(diff.max())))
    cos = np.array([s[1] for s in per_sample])
    mean_abs = np.array([s[2] for s in per_sample])
    worst = int(np.argmin(cos))
    return {
        "samples": len(per_sample),
        "mean_cosine": float(cos.mean()),
        "min_cosine": float(cos.min()),
        "worst_sample": per_sample[worst][0],
        "mean_abs_diff": float(mean_abs.mean()),
        "max_abs_diff": float(max(s[3] for s in per_sample)),
        "acc_percent": float(100.0 * (cos.mean() + 1.0) / 2.0),
        "threshold": threshold,
        "passed": bool(cos.min() >= threshold),
        "per_sample": [{"name": n, "cosine": c, "mean_abs_diff": m} for n, c, m, _ in per_sample],
    }
