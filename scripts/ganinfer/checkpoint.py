"""Checkpoints: verify a configured file, build demo weights, load a generator.

The checkpoint layout (``ckpt['G']``, bare state_dict, ``module.`` prefixes) comes
from the registry; the architecture's hyper-parameters come from the tensor shapes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ganinfer.errors import InputError
from ganinfer.registry import ModelSpec

CONFIG_HINT = "config/config.yaml"


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_file(spec: ModelSpec, path: str, sha256: str | None) -> str:
    """Check that the configured weights exist and match their checksum; return the digest."""
    if not os.path.isfile(path):
        raise InputError(
            f"{path}: weights file for model '{spec.name}' not found "
            f"(fix weights.{spec.name}.path in {CONFIG_HINT}, or remove it to use demo weights)"
        )
    digest = sha256_of(path)
    if sha256 and digest != sha256.lower():
        raise InputError(
            f"{path}: sha256 is {digest}, but weights.{spec.name}.sha256 says {sha256} "
            f"(point weights.{spec.name}.path at the right file or correct the checksum in {CONFIG_HINT})"
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


def generator_state(spec: ModelSpec, path: str) -> dict:
    """The generator's state_dict from a checkpoint file, ``module.`` prefixes removed."""
    ckpt = _torch_load(path)
    if spec.checkpoint_key is not None:
        if not isinstance(ckpt, dict) or spec.checkpoint_key not in ckpt:
            keys = ", ".join(map(str, list(ckpt)[:6])) if isinstance(ckpt, dict) else type(ckpt).__name__
            raise InputError(
                f"{path}: expected the {spec.name} generator under key '{spec.checkpoint_key}', "
                f"found {keys}; point weights.{spec.name}.path at the {spec.guide} checkpoint"
            )
        ckpt = ckpt[spec.checkpoint_key]
    if not isinstance(ckpt, dict) or not ckpt:
        raise InputError(f"{path}: no state_dict inside; point weights.{spec.name}.path at a {spec.name} checkpoint")
    return {k.removeprefix("module."): v for k, v in ckpt.items()}


def load_generator(spec: ModelSpec, path: str):
    """Build the network from the checkpoint's shapes and load it strictly, in eval mode.

    Returns ``(module, hparams)``.
    """
    from ganinfer.models import network_module

    net = network_module(spec.network)
    sd = generator_state(spec, path)
    if hasattr(net, "clean_state_dict"):
        sd = net.clean_state_dict(sd)
    try:
        hparams = net.hparams_from_state_dict(sd)
        model = net.build(**hparams)
        model.load_state_dict(sd, strict=True)
    except (KeyError, ValueError, RuntimeError) as exc:
        detail = str(exc).strip().splitlines()[0][:160]
        raise InputError(
            f"{path}: not a {spec.title} checkpoint ({detail}); "
            f"point weights.{spec.name}.path at the {spec.guide} weights"
        ) from None
    if hasattr(net, "finalize"):
        net.finalize(model)
    return model.eval(), hparams


def demo_checkpoint(spec: ModelSpec, seed: int) -> dict:
    """Seeded random weights with the upstream structure, in the real checkpoint layout."""
    import torch

    from ganinfer.models import network_module

    net = network_module(spec.network)
    torch.manual_seed(seed)
    model = net.build(**net.DEMO_HPARAMS)
    net.demo_init(model)
    sd = model.state_dict()
    return {spec.checkpoint_key: sd} if spec.checkpoint_key else sd


def save_atomic(obj, path: str | os.PathLike) -> None:
    import torch

    from ganinfer.fileio import atomic_path

    with atomic_path(Path(path)) as tmp:
        torch.save(obj, tmp)
