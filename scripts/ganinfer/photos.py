"""Source images for the image-input models.

With a configured dataset folder the images are read from it; without one, demo
images are cut from the photographs shipped inside scikit-image's ``data`` module
(seeded crops, so any number of distinct samples comes from a few photos). Nothing
is downloaded.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ganinfer.errors import CONFIG_HINT, InputError
from ganinfer.fileio import natural_key

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
DEMO_PHOTOS = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "ihc.png",
)


def demo_folder() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "scikit-image is not installed: demo images come from its data module "
            f"(pip install -r requirements.txt, or configure datasets.<model> in {CONFIG_HINT})"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def demo_images(count: int, seed: int, aspect: float = 1.0) -> list[tuple[str, object]]:
    """``count`` seeded crops (height/width = ``aspect``) of the demo photographs, as
    ``(photo stem, PIL RGB image)``."""
    from PIL import Image

    folder = demo_folder()
    photos = [Image.open(folder / name).convert("RGB") for name in DEMO_PHOTOS]
    out = []
    for i in range(count):
        photo = photos[i % len(photos)]
        rng = np.random.default_rng([seed, i])
        w, h = photo.size
        crop_w = min(w, h / aspect) * rng.uniform(0.6, 1.0)
        crop_h = crop_w * aspect
        x0 = rng.uniform(0, w - crop_w)
        y0 = rng.uniform(0, h - crop_h)
        box = tuple(int(round(v)) for v in (x0, y0, x0 + crop_w, y0 + crop_h))
        out.append((Path(DEMO_PHOTOS[i % len(DEMO_PHOTOS)]).stem, photo.crop(box)))
    return out


def list_images(folder: str | Path, what: str) -> list[Path]:
    """Image files directly in ``folder``, natural order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: dataset folder not found; it should hold {what} (fix datasets in {CONFIG_HINT})")
    files = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=lambda p: natural_key(p.name)
    )
    if not files:
        raise InputError(f"{folder}: no .jpg/.png images; it should hold {what} (fix datasets in {CONFIG_HINT})")
    return files


def list_classes(folder: str | Path, what: str) -> list[tuple[int, Path]]:
    """``(class index, file)`` for an ImageFolder layout (one sub-folder per class, sorted)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: dataset folder not found; it should hold {what} (fix datasets in {CONFIG_HINT})")
    classes = sorted(p for p in folder.iterdir() if p.is_dir())
    items = [
        (k, f)
        for k, sub in enumerate(classes)
        for f in sorted(sub.iterdir(), key=lambda p: natural_key(p.name))
        if f.suffix.lower() in IMAGE_SUFFIXES
    ]
    if not items:
        raise InputError(
            f"{folder}: no class sub-folders with images; it should hold {what} (fix datasets in {CONFIG_HINT})"
        )
    return items


def skipped_files(folder: str | Path, classes: bool = False) -> dict[str, str]:
    """Every entry of a dataset folder that ``list_images`` (or, with ``classes``, ``list_classes``) leaves
    out, by its path relative to ``folder``, with the reason."""
    folder = Path(folder)
    kinds = "/".join(sorted(IMAGE_SUFFIXES))
    out = {}

    def scan(sub: Path, depth: int) -> None:
        for p in sorted(sub.iterdir(), key=lambda p: natural_key(p.name)):
            rel = p.relative_to(folder).as_posix()
            if p.is_dir() and depth == 0:
                scan(p, 1)
            elif p.is_dir():
                out[rel] = "a folder inside an identity folder (only the images directly in it are read)"
            elif depth == 0 and classes:
                out[rel] = "a file beside the identity sub-folders (only the images inside them are read)"
            elif p.suffix.lower() not in IMAGE_SUFFIXES:
                out[rel] = f"not one of the image types read ({kinds})"

    if classes:
        scan(folder, 0)
    else:
        for p in sorted(folder.iterdir(), key=lambda p: natural_key(p.name)):
            if p.is_dir():
                out[p.name] = "a sub-folder (the images directly in the dataset folder are read)"
            elif p.suffix.lower() not in IMAGE_SUFFIXES:
                out[p.name] = f"not one of the image types read ({kinds})"
    return out


def to_chw(image, size: tuple[int, int], resample: str, shorter_side: bool = False) -> np.ndarray:
    """PIL RGB image -> float32 3 x H x W in [0, 1].

    ``shorter_side``: resize the shorter side to ``size`` (then centre-crop), as
    torchvision's ``Resize(int)``; otherwise resize to exactly ``size`` (H, W).
    """
    from PIL import Image

    mode = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}[resample]
    h, w = size
    if shorter_side:
        scale = max(h / image.height, w / image.width)
        image = image.resize((max(w, round(image.width * scale)), max(h, round(image.height * scale))), mode)
        left, top = (image.width - w) // 2, (image.height - h) // 2
        image = image.crop((left, top, left + w, top + h))
    else:
        image = image.resize((w, h), mode)
    return np.asarray(image, dtype=np.float32).transpose(2, 0, 1) / 255.0
