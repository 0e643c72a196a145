"""Postprocess: generator outputs (C x H x W float32) to 8-bit images.

Kinds (registry ``postprocess``):
- ``minmax``: torchvision ``save_image(normalize=True)`` as the DCGAN/GAN/BigGAN guides
  use it per image: rescale the image's own min..max to 0..1, then ``x * 255 + 0.5``.
- ``tanh``: ``(x + 1) / 2`` clamped to 0..1 (CycleGAN).
- ``imagenet``: undo the ImageNet normalisation, ``* 255``, clip (DG-Net).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

# ImageNet's per-channel RGB mean and std (pixels in [0, 1]), as torchvision normalises
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_MEAN = np.array(IMAGENET_MEAN, dtype=np.float32)[:, None, None]
_STD = np.array(IMAGENET_STD, dtype=np.float32)[:, None, None]


def _unit_minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / max(hi - lo, 1e-5)


def _unit_tanh(x: np.ndarray) -> np.ndarray:
    return np.clip((x + 1.0) / 2.0, 0.0, 1.0)


def _unit_imagenet(x: np.ndarray) -> np.ndarray:
    c = x.shape[0]
    return np.clip(x * _STD[:c] + _MEAN[:c], 0.0, 1.0)


KINDS = {"minmax": _unit_minmax, "tanh": _unit_tanh, "imagenet": _unit_imagenet}


def to_uint8(chw: np.ndarray, kind: str) -> np.ndarray:
    """One C x H x W output to an H x W (grey) or H x W x 3 uint8 array."""
    unit = KINDS[kind](chw.astype(np.float32))
    pixels = np.clip(unit * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return pixels[0] if pixels.shape[0] == 1 else pixels.transpose(1, 2, 0)


def save_png(pixels: np.ndarray, path: str | Path) -> None:
    """A PNG at zlib level 1: a third of the default level's time for files about 17 % larger
    (docs/benchmarking.md#figures-behind-design-choices)."""
    from PIL import Image

    Image.fromarray(pixels).save(path, format="PNG", compress_level=1)


def thumbnail(pixels: np.ndarray, max_side: int = 128) -> np.ndarray:
    """Downscale (area filter) so the longer side is at most ``max_side``; smaller images stay."""
    from PIL import Image

    h, w = pixels.shape[:2]
    if max(h, w) <= max_side:
        return pixels
    scale = max_side / max(h, w)
    return np.asarray(Image.fromarray(pixels).resize((round(w * scale), round(h * scale)), Image.BOX))


def grid(images: list[np.ndarray], ncol: int = 8, pad: int = 2) -> np.ndarray:
    """Tile equally sized uint8 images (grey or RGB) with ``pad`` black pixels around each."""
    h, w = images[0].shape[:2]
    rgb = images[0].ndim == 3
    ncol = min(ncol, len(images))
    nrow = math.ceil(len(images) / ncol)
    shape = (pad + nrow * (h + pad), pad + ncol * (w + pad)) + ((3,) if rgb else ())
    canvas = np.zeros(shape, dtype=np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, ncol)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        canvas[y : y + h, x : x + w] = img
    return canvas


def captioned(pixels: np.ndarray, caption: str, min_width: int = 240) -> np.ndarray:
    """Add a white strip with ``caption`` under the image (RGB result)."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(pixels).convert("RGB")
    scale = max(1, math.ceil(min_width / img.width))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    out = Image.new("RGB", (img.width, img.height + 14), "white")
    out.paste(img, (0, 0))
    ImageDraw.Draw(out).text((3, img.height + 2), caption, fill="black")
    return np.asarray(out)
