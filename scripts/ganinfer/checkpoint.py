"""Checkpoint files: verify a configured one, read it, take the generator's state_dict out of its layout.

The checkpoint layout (``ckpt['G']``, bare state_dict, ``module.`` prefixes, several files) comes from
the registry spec. Building a network from the state is ``ganinfer.networks``'; this module runs no
network code, so stages that only read a checkpoint (BigGAN's class embedding) do not depend on one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ganinfer.errors import CONFIG_HINT, InputError
from ganinfer.fileio import atomic_path, sha256_of
from ganinfer.spec import ModelSpec


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


def load_tensors(path: str | os.PathLike, where: str, what: str = "a .pth file saved by torch.save"):
    """``torch.load`` of tensors only (nothing in the file runs); a refusal is one line naming the config key
    ``where`` and ``what`` it should point at."""
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling errors come in many types
        text = str(exc).strip()
        pickled = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        if pickled:
            raise InputError(
                f"{path}: holds a pickled Python object ({pickled.group(1)}), not only tensors: a whole module "
                f"saved with torch.save(model), or objects beside the weights, which are not loaded (that would run "
                f"code from the file); save the weights alone with torch.save(model.state_dict(), "
                f"'{Path(path).name}') and point {where} at that file"
            ) from None
        first = text.splitlines()[0].split(". ")[0][:160] if text and not isinstance(exc, KeyError) else ""
        raise InputError(
            f"{path}: cannot be read as a PyTorch checkpoint ({type(exc).__name__}{': ' + first if first else ''}); "
            f"point {where} at {what}"
        ) from None


def state_mismatch(expected: dict, found: dict, shown: int = 3) -> str:
    """How a checkpoint's state_dict (``found``) differs from the network's (``expected``): its missing and
    unexpected keys and its tensors of another shape, the first ``shown`` of each with how many there are;
    '' when they match."""

    def listed(names: list[str], one: str, many: str) -> str:
        more = f" and {len(names) - shown} more" if len(names) > shown else ""
        return f"{len(names)} {one if len(names) == 1 else many}: {', '.join(names[:shown])}{more}"

    def dims(tensor) -> str:
        return "x".join(map(str, tensor.shape)) or "scalar"

    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    reshaped = [
        f"{k} {dims(found[k])} in the file, {dims(expected[k])} in the network"
        for k in sorted(set(expected) & set(found))
        if tuple(expected[k].shape) != tuple(found[k].shape)
    ]
    parts = [
        listed(missing, "missing key", "missing keys") if missing else "",
        listed(unexpected, "unexpected key", "unexpected keys") if unexpected else "",
        listed(reshaped, "tensor of another shape", "tensors of another shape") if reshaped else "",
    ]
    return "; ".join(p for p in parts if p)


def read_checkpoint(spec: ModelSpec, weights: str | os.PathLike | dict):
    """The checkpoint object: one file, or ``{part: file}`` for several-file models.

    For several-file models a single path is the resolved file the weights stage
    writes, which holds ``{part: part checkpoint}``.
    """
    where = f"weights.{spec.name}.path"
    if isinstance(weights, dict):
        return {part: load_tensors(path, f"{where}.{part}") for part, path in weights.items()}
    return load_tensors(str(weights), where)


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


def save_atomic(obj, path: str | os.PathLike) -> None:
    import torch

    with atomic_path(Path(path)) as tmp:
        torch.save(obj, tmp)
