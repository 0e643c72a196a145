"""Generator networks, one module per architecture (the ``NetworkModule`` protocol of ``ganinfer.networks``).

The package itself holds only what the network modules share.
"""

import contextlib


@contextlib.contextmanager
def uninitialized():
    """Modules built inside skip ``torch.nn.init``: their tensors are allocated, never filled.

    For a network whose every tensor is then loaded (a strict ``load_state_dict``) or that only
    serves its shapes. Hand-written: torch has no switch to skip a composite module's initializers (BigGAN's
    are a large part of its load), and the meta device runs factory functions through Python references
    (BigGAN's meta build imports torch._dynamo and sympy, which cost more); the figures:
    docs/benchmarking.md#figures-behind-design-choices.
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
