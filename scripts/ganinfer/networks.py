"""Generator networks: the module of each built-in model, a generator loaded from its checkpoint, demo weights.

A network module (``ganinfer/models/<name>.py``, named by ``ModelSpec.network``) defines the network with
the upstream module structure, so that the upstream ``state_dict`` keys and shapes load with
``strict=True``, and satisfies ``NetworkModule``. Only the stages that run a network import this module
(weights, export, the PyTorch reference); a job's code inputs hold its own model's network module alone
(``ganinfer.workflow.sources``).
"""

from __future__ import annotations

import dataclasses
import importlib
import zlib
from typing import Any, Protocol, runtime_checkable

from ganinfer.checkpoint import generator_state, read_checkpoint, state_mismatch
from ganinfer.errors import InputError
from ganinfer.models import uninitialized
from ganinfer.spec import ModelSpec


@runtime_checkable
class NetworkModule(Protocol):
    """What a network module provides. Optional: ``clean_state_dict(sd) -> sd`` drops keys old
    checkpoints carry that the upstream loader also drops, before the strict load;
    ``finalize(module)`` turns training-time constructs into their inference form after it (e.g.
    folds spectral norm into the weights)."""

    HParams: type  # a dataclass of the hyper-parameters; its defaults are the released architecture (the demo's)

    def build(self, **hparams) -> Any: ...  # the torch.nn.Module of HParams(**hparams)

    def hparams_from_state_dict(self, sd: dict) -> dict: ...  # KeyError / ValueError: not this network

    def demo_init(self, module) -> None: ...  # the upstream initialisation, applied after seeding


def network_module(name: str) -> NetworkModule:
    """The network module registered under ``name`` (``ModelSpec.network``)."""
    module = importlib.import_module(f"ganinfer.models.{name}")
    if not isinstance(module, NetworkModule):
        raise TypeError(f"{module.__name__} lacks part of the NetworkModule protocol (ganinfer.networks)")
    return module


def load_generator(spec: ModelSpec, weights):
    """Build the network from the checkpoint's shapes and load it strictly, in eval mode.

    ``weights``: a checkpoint file, or ``{part: file}`` for several-file models.
    Returns ``(module, hparams)``.
    """
    source = ", ".join(map(str, weights.values())) if isinstance(weights, dict) else str(weights)
    net = network_module(spec.network)
    sd = generator_state(spec, read_checkpoint(spec, weights), source)
    if hasattr(net, "clean_state_dict"):
        sd = net.clean_state_dict(sd)
    try:
        hparams = net.hparams_from_state_dict(sd)
        with uninitialized():  # every tensor comes from the checkpoint: initializers' draws are wasted
            model = net.build(**hparams)
        detail = state_mismatch(model.state_dict(), sd)
        if not detail:
            model.load_state_dict(sd, strict=True)
    except KeyError as exc:  # a tensor the architecture is read from
        detail = f"1 missing key: {exc.args[0]}" if exc.args else "a missing key"
    except (ValueError, RuntimeError) as exc:
        detail = str(exc).strip().splitlines()[0][:200]
    if detail:
        raise InputError(
            f"{source}: not a {spec.title} checkpoint ({detail}); "
            f"point weights.{spec.name}.path at the {spec.guide} weights"
        )
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

    net = network_module(spec.network)
    architecture = architecture or {}
    known = [f.name for f in dataclasses.fields(net.HParams)]
    unknown = set(architecture) - set(known)
    if unknown:
        raise InputError(
            f"demo_architecture.{spec.name}: unknown keys {', '.join(sorted(unknown))}; known: {', '.join(known)}"
        )
    torch.manual_seed(demo_seed(spec, seed))
    model = net.build(**architecture)
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
