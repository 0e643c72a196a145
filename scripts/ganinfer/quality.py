"""Inception Score and Fréchet Inception Distance (numpy, float64).

- IS (Salimans et al.; BigGAN's ``calculate_inception_score``): the N softmax rows are
  cut in ``splits`` consecutive chunks of N // splits (the remainder is dropped); per
  chunk ``exp(mean_x KL(p(y|x) || p(y)))``; the result is mean ± std (ddof 0) over chunks.
- FID (Heusel et al.): ``|mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^1/2)``. The trace
  of the matrix square root is the sum of the square roots of the eigenvalues of the
  symmetric PSD matrix ``S1^1/2 S2 S1^1/2`` (same eigenvalues as S1 S2), so no
  ``scipy.linalg.sqrtm``: no complex results, no NaN from rank-deficient covariances.
  Non-finite inputs, or matrices that are not covariances, raise ``ValueError``.

With N <= 2048 samples the 2048 x 2048 covariance is rank-deficient; the value is then
defined but not comparable with published FIDs (TTUR asks for more than 2048, better 10k+).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import linalg, special

from ganinfer.errors import CONFIG_HINT, InputError

FID_MIN_SAMPLES = 2049  # TTUR: more than 2048 samples (the feature dimension)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def inception_score(probs: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """Mean and std over ``splits`` chunks of ``exp(E_x KL(p(y|x) || p(y)))``; zero probabilities are allowed."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("inception_score: probabilities must be a finite, non-negative N x classes array")
    size = p.shape[0] // max(splits, 1)
    if splits < 1 or size < 1:
        raise ValueError(f"inception_score: {p.shape[0]} samples cannot fill {splits} splits")
    scores = []
    for k in range(splits):
        chunk = p[k * size : (k + 1) * size]
        marginal = chunk.mean(axis=0, keepdims=True)
        kl = special.rel_entr(chunk, marginal).sum(axis=1)  # p log(p / q), 0 where p = 0
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (``np.cov``, ddof 1) of N x D features, float64; N >= 2."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"gaussian_stats: need an N x D array with N >= 2, got shape {f.shape}")
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False))  # np.cov gives a 0-d array for D = 1


def _psd_sqrt(s: np.ndarray, name: str) -> np.ndarray:
    """Symmetric square root of a covariance matrix (eigenvalues below zero by rounding are cut to 0)."""
    w, v = linalg.eigh(s, check_finite=False)
    _check_psd(w, name)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def _check_psd(w: np.ndarray, name: str) -> None:
    scale = max(float(np.abs(w).max()), 1e-300)
    if w.min() < -1e-6 * scale:
        raise ValueError(f"{name} is not a covariance matrix (eigenvalue {w.min():.3g}, largest {scale:.3g})")


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64)), np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(
            f"frechet_distance: shapes differ: mu {mu1.shape} / {mu2.shape}, sigma {s1.shape} / {s2.shape}"
        )
    for name, a in (("mu1", mu1), ("mu2", mu2), ("sigma1", s1), ("sigma2", s2)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"frechet_distance: {name} has NaN or infinite values")
    s1, s2 = (s1 + s1.T) / 2, (s2 + s2.T) / 2
    root1 = _psd_sqrt(s1, "sigma1")
    _check_psd(linalg.eigvalsh(s2, check_finite=False), "sigma2")
    m = root1 @ s2 @ root1
    ev = linalg.eigvalsh((m + m.T) / 2, check_finite=False)
    tr_covmean = float(np.sqrt(np.clip(ev, 0.0, None)).sum())
    diff = mu1 - mu2
    fid = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    if not np.isfinite(fid):
        raise ValueError("frechet_distance: the result is not finite")
    return max(fid, 0.0)  # >= 0 exactly; rounding can give -1e-12


def write_stats(path: str | Path, mu: np.ndarray, sigma: np.ndarray, count: int, source: str) -> None:
    """``mu``, ``sigma`` (the TTUR / BigGAN moments layout), ``count`` and ``source``, written atomically."""
    from ganinfer.fileio import atomic_path

    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as f:
        np.savez(f, mu=mu, sigma=sigma, count=np.int64(count), source=np.str_(source))


def read_stats(path: str | Path, dim: int, fix: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """Reference moments from an ``.npz`` with ``mu`` (D) and ``sigma`` (D x D), plus ``count`` and
    ``source`` when the file has them (statistics this workflow computed); ``fix`` ends the error line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: reference statistics not found; {fix}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zip and pickle errors come in many types
        raise InputError(f"{path}: cannot be read as an .npz ({type(exc).__name__}); {fix}") from None
    if "mu" not in arrays or "sigma" not in arrays:
        found = ", ".join(sorted(arrays)) or "nothing"
        raise InputError(f"{path}: needs arrays 'mu' and 'sigma' (found {found}); {fix}")
    mu, sigma = arrays["mu"].astype(np.float64), arrays["sigma"].astype(np.float64)
    if mu.shape != (dim,) or sigma.shape != (dim, dim):
        raise InputError(
            f"{path}: mu {mu.shape} and sigma {sigma.shape}, but pool3 features need ({dim},) and ({dim}, {dim}); {fix}"
        )
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise InputError(f"{path}: mu or sigma has NaN or infinite values; {fix}")
    extra = {"count": int(arrays["count"]) if "count" in arrays else None}
    extra["source"] = str(arrays["source"]) if "source" in arrays else None
    return mu, sigma, extra


def unit_image(chw: np.ndarray, images: str, postprocess: str) -> np.ndarray:
    """A generator output (C x H x W) as a 3 x H x W float32 image in [0, 1] for the Inception.

    ``images`` (``QualitySpec.images``): ``tanh`` = ``(x + 1) / 2`` on the raw output (BigGAN's
    npz route, no clipping or quantisation); ``postprocess`` = the model's 8-bit image / 255.
    """
    if images == "tanh":
        x = (np.asarray(chw, dtype=np.float32) + 1.0) / 2.0
    else:
        from ganinfer.images import to_uint8

        px = to_uint8(chw, postprocess)
        x = (px.transpose(2, 0, 1) if px.ndim == 3 else px[None]).astype(np.float32) / 255.0
    return np.repeat(x, 3, axis=0) if x.shape[0] == 1 else x


def image_files(folder: str | Path) -> list[Path]:
    """Image files under ``folder``, sub-folders included (Market-1501 has one per identity), natural order."""
    from ganinfer.fileio import natural_key
    from ganinfer.photos import IMAGE_SUFFIXES

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            f"{folder}: reference image folder not found; fix quality.reference or datasets in {CONFIG_HINT}"
        )
    files = [p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    if len(files) < 2:
        raise InputError(
            f"{folder}: {len(files)} images (.jpg/.png) found, FID statistics need at least 2; "
            f"fix quality.reference or datasets in {CONFIG_HINT}"
        )
    return sorted(files, key=lambda p: natural_key(p.relative_to(folder).as_posix()))


def skipped_reference_files(folder: str | Path) -> list[str]:
    """The files under a reference folder that ``image_files`` leaves out (not an image type it reads)."""
    from ganinfer.photos import IMAGE_SUFFIXES

    folder = Path(folder)
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() not in IMAGE_SUFFIXES
    )


def read_image(path: Path) -> np.ndarray:
    """An image file as 3 x H x W float32 RGB in [0, 1]."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            pixels = np.asarray(im.convert("RGB"), dtype=np.float32)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read as an image ({exc}); remove it from the reference folder") from None
    return pixels.transpose(2, 0, 1) / 255.0


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
