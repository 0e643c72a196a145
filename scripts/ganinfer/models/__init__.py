"""Generator networks, one module per architecture (the ``NetworkModule`` protocol of ``ganinfer.networks``).

The package itself holds only what the network modules share.
"""

import contextlib


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
