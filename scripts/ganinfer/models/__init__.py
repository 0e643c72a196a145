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

import importlib


def network_module(name: str):
    """The network module registered under ``name`` (``ModelSpec.network``)."""
    return importlib.import_module(f"ganinfer.models.{name}")
