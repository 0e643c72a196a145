"""Input generation, one function per registry ``preprocess`` kind.

Seeds are explicit: sample ``i`` is drawn from ``numpy.random.default_rng([seed, i])``,
so the same seed gives the same files, and asking for more samples keeps the first
ones unchanged. Every kind writes ``<out>/<input name>/<stem>.bin`` (float32, one
sample per file) and returns its manifest (``{stem: {"file": source, ...}}``, written to
``<out>/manifest.json``) and extra facts for ``<out>/inputs.json``. Stems are unique and
tool-safe (``ganinfer.samples``). A dataset folder must hold at least ``samples`` images
(or ``samples`` is ``"all"``); an unreadable image is a one-line error naming it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganinfer import images
from ganinfer.errors import InputError
from ganinfer.fileio import atomic_dir, read_bin, write_bin, write_json
from ganinfer.samples import MANIFEST, count, unique_stems
from ganinfer.spec import ModelSpec

IMAGENET_MEAN = np.array(images.IMAGENET_MEAN, dtype=np.float32)[:, None, None]
IMAGENET_STD = np.array(images.IMAGENET_STD, dtype=np.float32)[:, None, None]
DEMO_SOURCE = "demo: crops of the photographs in scikit-image's data module"


def _folders(spec: ModelSpec, out: Path) -> None:
    for t in spec.inputs:
        (out / t.name).mkdir()


def load_rgb(path: Path):
    """An image file as a PIL RGB image; an unreadable one is a one-line error naming it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise InputError(
            f"{path}: cannot be read as an image ({exc}); replace the file or remove it from the dataset folder"
        ) from None


def _generated(seed: int, i: int) -> dict:
    return {"file": None, "source": f"numpy.random.default_rng([{seed}, {i}])"}


def noise(spec: ModelSpec, samples, seed: int, out: Path, weights=None, dataset=None):
    """Standard-normal latent vectors (DCGAN, GAN)."""
    _folders(spec, out)
    manifest = {}
    for i in range(count(spec, samples, None)):
        rng = np.random.default_rng([seed, i])
        name = spec.sample_name(i)
        for t in spec.inputs:
            write_bin(rng.standard_normal(t.shape, dtype=np.float32), out / t.name / f"{name}.bin")
        manifest[name] = _generated(seed, i)
    return manifest, {}


def biggan_inputs(shared_weight, z, y, num_slots: int = 6):
    """The guide's split: ``noise`` = z chunk 0 as N x 1 x c, ``label[:, i]`` = [shared[y], chunk i+1]
    (float32, C-contiguous). ``num_slots`` is the number of GBlocks + 1 (6 at resolution 128); the chunk
    size is ``z.shape[1] // num_slots``."""
    chunk = z.shape[1] // num_slots
    if chunk < 1:
        raise ValueError(f"z has {z.shape[1]} columns, fewer than {num_slots} slots")
    z = np.asarray(z, dtype=np.float32)
    emb = np.asarray(shared_weight, dtype=np.float32)[np.asarray(y, dtype=np.int64)]
    noise = z[:, :chunk].reshape(-1, 1, chunk)
    label = np.stack(
        [np.concatenate([emb, z[:, chunk * (i + 1) : chunk * (i + 2)]], 1) for i in range(num_slots - 1)], 1
    )
    return np.ascontiguousarray(noise), np.ascontiguousarray(label)


def biggan_split(spec: ModelSpec, samples, seed: int, out: Path, weights=None, dataset=None):
    """BigGAN guide: z ~ N(0, 1) split in chunks; noise = chunk 0, label[k] = [shared(y), chunk k+1].

    The class y is uniform over the checkpoint's classes; all y go to ``gen_y.npz`` (key ``y``).
    """
    from ganinfer.checkpoint import generator_state, read_checkpoint

    n_samples = count(spec, samples, None)
    shared = generator_state(spec, read_checkpoint(spec, weights), str(weights))["shared.weight"].numpy()
    noise_t, label_t = spec.inputs
    slots = label_t.shape[0] + 1
    dim_z = noise_t.shape[-1] * slots
    _folders(spec, out)
    ys, manifest = [], {}
    for i in range(n_samples):
        rng = np.random.default_rng([seed, i])
        z = rng.standard_normal((1, dim_z), dtype=np.float32)
        y = np.array([rng.integers(shared.shape[0])])
        n, lab = biggan_inputs(shared, z, y, num_slots=slots)
        name = spec.sample_name(i)
        write_bin(n[0], out / noise_t.name / f"{name}.bin")
        write_bin(lab[0], out / label_t.name / f"{name}.bin")
        ys.append(int(y[0]))
        manifest[name] = {**_generated(seed, i), "class": int(y[0])}
    np.savez(out / "gen_y.npz", y=np.array(ys, dtype=np.int64))
    return manifest, {"classes": ys}


def image_folder(spec: ModelSpec, samples, seed: int, out: Path, weights=None, dataset=None):
    """CycleGAN guide: RGB, shorter side resized to the input size, centre crop, [-1, 1].

    Every image file is its own sample (``img1.jpg`` and ``img1.png`` are two)."""
    from ganinfer.photos import demo_images, list_images, to_chw

    (t,) = spec.inputs
    if dataset:
        files = list_images(dataset, spec.dataset)
        stems = unique_stems([f.stem for f in files], [f.name for f in files])
        n = count(spec, samples, len(files), dataset)
        items = [(stem, f, {"file": f.name}) for stem, f in zip(stems[:n], files[:n], strict=True)]
    else:
        demo = demo_images(count(spec, samples, None), seed)
        items = [
            (spec.sample_name(i), img, {"file": None, "source": f"demo crop of {photo}"})
            for i, (photo, img) in enumerate(demo)
        ]
    _folders(spec, out)
    for stem, source, _ in items:
        image = load_rgb(source) if isinstance(source, Path) else source
        x = to_chw(image, t.shape[1:], "bilinear", shorter_side=True)
        write_bin((x - 0.5) / 0.5, out / t.name / f"{stem}.bin")
    manifest = {stem: entry for stem, _, entry in items}
    return manifest, {"source": str(dataset) if dataset else DEMO_SOURCE, "images": len(items)}


def dgnet_pair(spec: ModelSpec, samples, seed: int, out: Path, weights=None, dataset=None):
    """DG-Net guide: pairs of (structure, identity) images, Resize bicubic, ImageNet-normalised.

    ``image2`` is the identity image in order; ``image1`` the grey (channel mean of the
    normalised image) of a structure image from a seeded shuffle. File names follow the
    guide: ``<structure class>_<identity class>_gan<stem>`` (classes as 3 digits); every
    image of an identity folder is its own sample (``0001/p.jpg`` and ``0001/p.png`` are two).
    """
    from ganinfer.photos import DEMO_PHOTOS, demo_images, list_classes, to_chw

    grey_t, rgb_t = spec.inputs
    size = rgb_t.shape[1:]
    if dataset:
        classes = list_classes(dataset, spec.dataset)
        rel = [f.relative_to(dataset).as_posix() for _, f in classes]
        tails = unique_stems([f"{k:03d}_gan{f.stem}" for k, f in classes], rel)
        items = [(k, tail, f, r) for (k, f), tail, r in zip(classes, tails, rel, strict=True)]
        n = count(spec, samples, len(items), dataset)
    else:
        n = count(spec, samples, None)
        crops = demo_images(n, seed, aspect=size[0] / size[1])
        items = [
            (i % len(DEMO_PHOTOS), f"{i % len(DEMO_PHOTOS):03d}_gan{spec.sample_name(i)}", img, None)
            for i, (_, img) in enumerate(crops)
        ]
    order = np.random.default_rng([seed, 1 << 20]).permutation(len(items))[:n]

    def tensor(source):
        image = load_rgb(source) if isinstance(source, Path) else source
        return (to_chw(image, size, "bicubic") - IMAGENET_MEAN) / IMAGENET_STD

    _folders(spec, out)
    names = [f"{items[order[i]][0]:03d}_{items[i][1]}" for i in range(n)]
    # every image is resized once: first each sample's identity image, then its structure image's grey from
    # that image's identity tensor when it is a sample too (the resize is most of the stage's time)
    for i in range(n):
        write_bin(tensor(items[i][2]), out / rgb_t.name / f"{names[i]}.bin")
    manifest = {}
    for i in range(n):
        j = int(order[i])
        rgb = read_bin(out / rgb_t.name / f"{names[j]}.bin", rgb_t.shape) if j < n else tensor(items[j][2])
        write_bin(rgb.mean(axis=0, keepdims=True), out / grey_t.name / f"{names[i]}.bin")
        manifest[names[i]] = {"file": items[i][3], "structure": items[j][3]}
    return manifest, {"source": str(dataset) if dataset else DEMO_SOURCE, "images": n}


RANGES = {
    "tanh": lambda x: x * 2.0 - 1.0,
    "unit": lambda x: x,
    "imagenet": lambda x: (x - IMAGENET_MEAN[: len(x)]) / IMAGENET_STD[: len(x)],
}


def _image_tensor(image, t) -> np.ndarray:
    """A PIL RGB image as input ``t`` wants it: shorter side resized (bilinear), centre crop, grey
    (ITU-R 601 luma, as PIL's ``L``) for one channel, values in ``t.range``."""
    from ganinfer.photos import to_chw

    x = to_chw(image, t.shape[1:], "bilinear", shorter_side=True)
    if t.shape[0] == 1:
        x = np.tensordot(np.array([0.299, 0.587, 0.114], dtype=np.float32), x, axes=1)[None]
    return RANGES[t.range](x).astype(np.float32)


def declared(spec: ModelSpec, samples, seed: int, out: Path, weights=None, dataset=None):
    """A model declared in the config: each input by its own kind. ``normal``: N(0, 1); ``onehot``: a
    uniform class, one-hot; ``images``: image i of the input's folder (natural order) or a demo crop.
    The random inputs of sample ``i`` are drawn in input order from ``default_rng([seed, i])``."""
    from ganinfer.photos import demo_images, list_images

    images = [t for t in spec.inputs if t.kind == "images"]
    files = {t.name: list_images(t.folder, "images") for t in images if t.folder}
    smallest = min(files, key=lambda name: len(files[name]), default=None)
    folder = next((t.folder for t in images if t.name == smallest), None)
    n = count(spec, samples, len(files[smallest]) if smallest else None, folder)
    demo = {
        t.name: demo_images(n, seed + k, aspect=t.shape[1] / t.shape[2]) for k, t in enumerate(images) if not t.folder
    }
    _folders(spec, out)
    manifest = {}
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        name, entry = spec.sample_name(i), {"file": None, "source": f"numpy.random.default_rng([{seed}, {i}])"}
        for t in spec.inputs:
            if t.kind == "normal":
                x = rng.standard_normal(t.shape, dtype=np.float32)
            elif t.kind == "onehot":
                label = int(rng.integers(t.shape[0]))
                x = np.zeros(t.shape, dtype=np.float32)
                x[label] = 1.0
                entry.setdefault("class", {})[t.name] = label
            elif t.name in files:
                x = _image_tensor(load_rgb(files[t.name][i]), t)
                entry.setdefault("images", {})[t.name] = files[t.name][i].name
                entry["file"] = entry["file"] or files[t.name][i].name
            else:
                photo, image = demo[t.name][i]
                x = _image_tensor(image, t)
                entry.setdefault("images", {})[t.name] = f"demo crop of {photo}"
            write_bin(x, out / t.name / f"{name}.bin")
        manifest[name] = entry
    folders = {t.name: t.folder for t in images if t.folder}
    return manifest, {"kinds": {t.name: t.kind for t in spec.inputs}, "folders": folders}


KINDS = {
    "declared": declared,
    "noise": noise,
    "biggan_split": biggan_split,
    "image_folder": image_folder,
    "dgnet_pair": dgnet_pair,
}


# the kinds that read a dataset folder: True where its images lie in one sub-folder per class
DATASET_LAYOUT = {"image_folder": False, "dgnet_pair": True}


def skipped(spec: ModelSpec, dataset=None) -> dict[str, str]:
    """Every file of the model's configured image folders that its kind does not read, with the reason."""
    from ganinfer.photos import skipped_files

    folders = {str(t.folder): False for t in spec.inputs if t.kind == "images" and t.folder}
    if dataset and spec.preprocess in DATASET_LAYOUT:
        folders[str(dataset)] = DATASET_LAYOUT[spec.preprocess]
    return {
        f"{folder}/{rel}": why
        for folder, classes in folders.items()
        for rel, why in skipped_files(folder, classes).items()
    }


def make_inputs(spec: ModelSpec, samples, seed: int, out: str | Path, weights=None, dataset=None) -> int:
    """Write the input samples for ``spec`` into the folder ``out`` (atomically); return their number.

    ``samples``: a number, or ``"all"`` (every image of ``dataset``). Files of the image folders that are not
    read are printed (the job's log) and listed in the manifest's ``skipped``."""
    with atomic_dir(Path(out)) as tmp:
        manifest, extra = KINDS[spec.preprocess](spec, samples, seed, tmp, weights, dataset)
        left_out = skipped(spec, dataset)
        for path, why in left_out.items():
            print(f"{spec.name}: skipped {path}: {why}")
        facts = {"model": spec.name, "kind": spec.preprocess, "samples": len(manifest), "seed": seed}
        facts["inputs"] = {t.name: list(t.shape) for t in spec.inputs}
        write_json({**facts, **extra, "skipped": len(left_out)}, tmp / "inputs.json")
        record = {"dataset": str(dataset) if dataset else None, "samples": manifest, "skipped": left_out}
        write_json(record, tmp / MANIFEST)
    return len(manifest)
