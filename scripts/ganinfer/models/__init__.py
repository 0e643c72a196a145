"""Generator networks, one module per architecture.

Each module defines the network with the upstream module structure, so that the
upstream ``state_dict`` keys and shapes load with ``strict=True``, and provides:

- ``build(**hparams) -> torch.nn.Module``
- ``hparams_from_state_dict(state_dict) -> dict`` (raises ``KeyError``/``ValueError``
  when the tensors do not describe this architecture)
- ``DEMO_HPARAMS``: the architecture the demo weights use
- ``demo_init(module)``: the upstream initialisation, applied after seeding

and optionally:

- ``clean_state_dict(state_dict) -> dict``: drop keys old checkpoints carry that the
  upstream loader also drops, before the strict load
- ``finalize(module)``: after the strict load, turn training-time constructs into their
  inference form (e.g. fold spectral norm into the weights)
"""

import contextlib
import importlib


def network_module(name: str):
    """The network module registered under ``name`` (``ModelSpec.network``)."""
    return importlib.import_module(f"ganinfer.models.{name}")


@contextlib.contextmanager
def uninitialized():
    """Modules built inside skip ``torch.nn.init``: their tensors are allocated, never filled.

    For a network whose every tensor is then loaded (a strict ``load_state_dict``) or that only
    serves its shapes. Hand-written: torch has no switch to skip a composite module's initializers
    (BigGAN's default init is 1.3 s of CPU), and the meta device runs factory functions through
    Python references (BigGAN's meta build imports torch._dynamo and sympy: 2.6 s on the 2-core EPYC VM).
    """
    from torch.overrides import TorchFunctionMode

    class SkipInit(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if getattr(func, "__module__", None) == "torch.nn.init":
                return args[0] if args else kwargs["tensor"]
            return func(*args, **kwargs)

    with SkipInit():
        yield
