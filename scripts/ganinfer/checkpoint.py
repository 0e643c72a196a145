"""Checkpoints: verify a configured file, build demo weights, load a generator.

The checkpoint layout (``ckpt['G']``, bare state_dict, ``module.`` prefixes) comes
from the registry; the architecture's hyper-parameters come from the tensor shapes.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

from ganinfer.errors import CONFIG_HINT, InputError
from ganinfer.registry import ModelSpec


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_file(spec: ModelSpec, path: str, sha256: str | None, key: str = "") -> str:
    """Check that a configured weights file exists and matches its checksum; return the digest.

    ``key`` names the part for models whose checkpoint is several files.
    """
    where = f"weights.{spec.name}.path" + (f".{key}" if key else "")
    if not os.path.isfile(path):
        raise InputError(
            f"{path}: weights file for model '{spec.name}' not found "
            f"(fix {where} in {CONFIG_HINT}, or remove it to use demo weights)"
        )
    digest = sha256_of(path)
    if sha256 and digest != sha256.lower():
        sha_key = f"weights.{spec.name}.sha256" + (f".{key}" if key else "")
        raise InputError(
            f"{path}: sha256 is {digest}, but {sha_key} says {sha256} "
            f"(point {where} at the right file or correct the checksum in {CONFIG_HINT})"
        )
    return digest


def _torch_load(path: str):
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling errors come in many types
        raise InputError(
            f"{path}: cannot be read as a PyTorch checkpoint ({type(exc).__name__}); "
            "point the weights path at a .pth file saved by torch.save"
        ) from None


def read_checkpoint(spec: ModelSpec, weights: str | os.PathLike | dict):
    """The checkpoint object: one file, or ``{part: file}`` for several-file models.

    For several-file models a single path is the resolved file the weights stage
    writes, which holds ``{part: part checkpoint}``.
    """
    if isinstance(weights, dict):
        return {part: _torch_load(path) for part, path in weights.items()}
    return _torch_load(str(weights))


def _unwrap(spec: ModelSpec, ckpt, source: str) -> dict:
    if spec.checkpoint_key is not None:
        if not isinstance(ckpt, dict) or spec.checkpoint_key not in ckpt:
            keys = ", ".join(map(str, list(ckpt)[:6])) if isinstance(ckpt, dict) else type(ckpt).__name__
            raise InputError(
                f"{source}: expected the {spec.name} generator under key '{spec.checkpoint_key}', "
                f"found {keys}; point weights.{spec.name}.path at the {spec.guide} checkpoint"
            )
        ckpt = ckpt[spec.checkpoint_key]
    if not isinstance(ckpt, dict) or not ckpt:
        raise InputError(f"{source}: no state_dict inside; point weights.{spec.name}.path at a {spec.name} checkpoint")
    return {k.removeprefix("module."): v for k, v in ckpt.items()}


def generator_state(spec: ModelSpec, ckpt, source: str) -> dict:
    """The generator's state_dict, ``module.`` prefixes removed, parts merged under their prefix."""
    if not spec.checkpoint_parts:
        return _unwrap(spec, ckpt, source)
    missing = [p for p in spec.checkpoint_parts if not isinstance(ckpt, dict) or p not in ckpt]
    if missing:
        raise InputError(
            f"{source}: the {spec.name} checkpoint needs the parts {', '.join(spec.checkpoint_parts)}; "
            f"set weights.{spec.name}.path to a mapping with {', '.join(missing)} in {CONFIG_HINT}"
        )
    merged = {}
    for part in spec.checkpoint_parts:
        merged.update({f"{part}.{k}": v for k, v in _unwrap(spec, ckpt[part], f"{source} [{part}]").items()})
    return merged


def load_generator(spec: ModelSpec, weights):
    """Build the network from the checkpoint's shapes and load it strictly, in eval mode.

    ``weights``: a checkpoint file, or ``{part: file}`` for several-file models.
    Returns ``(module, hparams)``.
    """
    from ganinfer.models import network_module, uninitialized

    source = ", ".join(map(str, weights.values())) if isinstance(weights, dict) else str(weights)
    net = network_module(spec.network)
    sd = generator_state(spec, read_checkpoint(spec, weights), source)
    if hasattr(net, "clean_state_dict"):
        sd = net.clean_state_dict(sd)
    try:
        hparams = net.hparams_from_state_dict(sd)
        with uninitialized():  # every tensor comes from the checkpoint: initializers' draws are wasted
            model = net.build(**hparams)
        model.load_state_dict(sd, strict=True)
    except (KeyError, ValueError, RuntimeError) as exc:
        detail = str(exc).strip().splitlines()[0][:160]
        raise InputError(
            f"{source}: not a {spec.title} checkpoint ({detail}); "
            f"point weights.{spec.name}.path at the {spec.guide} weights"
        ) from None
    if hasattr(net, "finalize"):
        net.finalize(model)
    return model.eval(), hparams


def demo_seed(spec: ModelSpec, seed: int) -> int:
    """Each model draws its own stream (the two CycleGAN directions must differ)."""
    return zlib.crc32(f"{spec.name}:{seed}".encode())


def demo_checkpoint(spec: ModelSpec, seed: int, architecture: dict | None = None) -> dict:
    """Seeded random weights with the upstream structure, in the real checkpoint layout
    (for several-file models: ``{part: that part's checkpoint}``).

    ``architecture`` overrides hyper-parameters of the demo network (smaller widths for
    quick test runs); the default is the released architecture.
    """
    import torch

    from ganinfer.models import network_module

    net = network_module(spec.network)
    hparams = {**net.DEMO_HPARAMS, **(architecture or {})}
    unknown = set(hparams) - set(net.DEMO_HPARAMS)
    if unknown:
        raise InputError(
            f"demo_architecture.{spec.name}: unknown keys {', '.join(sorted(unknown))}; "
            f"known: {', '.join(net.DEMO_HPARAMS)}"
        )
    torch.manual_seed(demo_seed(spec, seed))
    model = net.build(**hparams)
    net.demo_init(model)
    sd = model.state_dict()

    def layout(state):
        return {spec.checkpoint_key: state} if spec.checkpoint_key else state

    if not spec.checkpoint_parts:
        return layout(sd)
    return {
        part: layout({k.removeprefix(f"{part}."): v for k, v in sd.items() if k.startswith(f"{part}.")})
        for part in spec.checkpoint_parts
    }


def save_atomic(obj, path: str | os.PathLike) -> None:
    import torch

    from ganinfer.fileio import atomic_path

    with atomic_path(Path(path)) as tmp:
        torch.save(obj, tmp)
