"""Input generation, one function per registry ``preprocess`` kind.

Seeds are explicit: sample ``i`` is drawn from ``numpy.random.default_rng([seed, i])``,
so the same seed gives the same files, and asking for more samples keeps the first
ones unchanged. Every kind writes ``<out>/<input name>/<stem>.bin`` (float32, one
sample per file) and returns extra facts for ``<out>/inputs.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganinfer.fileio import atomic_dir, write_bin, write_json
from ganinfer.registry import ModelSpec

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)[:, None, None]
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)[:, None, None]
DEMO_SOURCE = "demo: crops of the photographs in scikit-image's data module"


def _folders(spec: ModelSpec, out: Path) -> None:
    for t in spec.inputs:
        (out / t.name).mkdir()


def noise(spec: ModelSpec, samples: int, seed: int, out: Path, weights=None, dataset=None) -> dict:
    """Standard-normal latent vectors (DCGAN, GAN)."""
    _folders(spec, out)
    for i in range(samples):
        rng = np.random.default_rng([seed, i])
        for t in spec.inputs:
            write_bin(rng.standard_normal(t.shape, dtype=np.float32), out / t.name / f"{spec.sample_name(i)}.bin")
    return {}


def biggan_split(spec: ModelSpec, samples: int, seed: int, out: Path, weights=None, dataset=None) -> dict:
    """BigGAN guide: z ~ N(0, 1) split in chunks; noise = chunk 0, label[k] = [shared(y), chunk k+1].

    The class y is uniform over the checkpoint's classes; all y go to ``gen_y.npz`` (key ``y``).
    """
    from ganinfer.checkpoint import generator_state, read_checkpoint
    from ganinfer.models.biggan import prepare_inputs

    shared = generator_state(spec, read_checkpoint(spec, weights), str(weights))["shared.weight"].numpy()
    noise_t, label_t = spec.inputs
    slots = label_t.shape[0] + 1
    dim_z = noise_t.shape[-1] * slots
    _folders(spec, out)
    ys = []
    for i in range(samples):
        rng = np.random.default_rng([seed, i])
        z = rng.standard_normal((1, dim_z), dtype=np.float32)
        y = np.array([rng.integers(shared.shape[0])])
        n, lab = prepare_inputs(shared, z, y, num_slots=slots)
        name = spec.sample_name(i)
        write_bin(n[0], out / noise_t.name / f"{name}.bin")
        write_bin(lab[0], out / label_t.name / f"{name}.bin")
        ys.append(int(y[0]))
    np.savez(out / "gen_y.npz", y=np.array(ys, dtype=np.int64))
    return {"classes": ys}


def image_folder(spec: ModelSpec, samples: int, seed: int, out: Path, weights=None, dataset=None) -> dict:
    """CycleGAN guide: RGB, shorter side resized to the input size, centre crop, [-1, 1]."""
    from PIL import Image

    from ganinfer.photos import demo_images, list_images, to_chw

    (t,) = spec.inputs
    if dataset:
        items = [(f.stem, f) for f in list_images(dataset, spec.dataset)[:samples]]
    else:
        items = [(spec.sample_name(i), img) for i, (_, img) in enumerate(demo_images(samples, seed))]
    _folders(spec, out)
    for stem, source in items:
        image = Image.open(source).convert("RGB") if isinstance(source, Path) else source
        x = to_chw(image, t.shape[1:], "bilinear", shorter_side=True)
        write_bin((x - 0.5) / 0.5, out / t.name / f"{stem}.bin")
    return {"source": str(dataset) if dataset else DEMO_SOURCE, "images": len(items)}


def dgnet_pair(spec: ModelSpec, samples: int, seed: int, out: Path, weights=None, dataset=None) -> dict:
    """DG-Net guide: pairs of (structure, identity) images, Resize bicubic, ImageNet-normalised.

    ``image2`` is the identity image in order; ``image1`` the grey (channel mean of the
    normalised image) of a structure image from a seeded shuffle. File names follow the
    guide: ``<structure class>_<identity class>_gan<stem>`` (classes as 3 digits).
    """
    from PIL import Image

    from ganinfer.photos import DEMO_PHOTOS, demo_images, list_classes, to_chw

    grey_t, rgb_t = spec.inputs
    size = rgb_t.shape[1:]
    if dataset:
        items = [(k, f.stem, f) for k, f in list_classes(dataset, spec.dataset)]
    else:
        crops = demo_images(samples, seed, aspect=size[0] / size[1])
        items = [(i % len(DEMO_PHOTOS), spec.sample_name(i), img) for i, (_, img) in enumerate(crops)]
    n = min(samples, len(items))
    order = np.random.default_rng([seed, 1 << 20]).permutation(len(items))[:n]

    def tensor(source):
        image = Image.open(source).convert("RGB") if isinstance(source, Path) else source
        return (to_chw(image, size, "bicubic") - IMAGENET_MEAN) / IMAGENET_STD

    _folders(spec, out)
    for i in range(n):
        id_class, stem, id_source = items[i]
        st_class, _, st_source = items[order[i]]
        name = f"{st_class:03d}_{id_class:03d}_gan{stem}"
        write_bin(tensor(st_source).mean(axis=0, keepdims=True), out / grey_t.name / f"{name}.bin")
        write_bin(tensor(id_source), out / rgb_t.name / f"{name}.bin")
    return {"source": str(dataset) if dataset else DEMO_SOURCE, "images": n}


KINDS = {"noise": noise, "biggan_split": biggan_split, "image_folder": image_folder, "dgnet_pair": dgnet_pair}


def make_inputs(spec: ModelSpec, samples: int, seed: int, out: str | Path, weights=None, dataset=None) -> None:
    """Write the input samples for ``spec`` into the folder ``out`` (atomically)."""
    with atomic_dir(Path(out)) as tmp:
        extra = KINDS[spec.preprocess](spec, samples, seed, tmp, weights, dataset)
        facts = {"model": spec.name, "kind": spec.preprocess, "samples": samples, "seed": seed}
        facts["inputs"] = {t.name: list(t.shape) for t in spec.inputs}
        write_json({**facts, **extra}, tmp / "inputs.json")
