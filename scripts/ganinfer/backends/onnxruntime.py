"""ONNX Runtime sessions for the chips it serves (CPU, CUDA and TensorRT EPs, or the CANN EP for
Ascend chips)."""

from __future__ import annotations

import numpy as np

from ganinfer.backends import backend_of, ort_providers
from ganinfer.cli import Arg
from ganinfer.errors import InputError
from ganinfer.fileio import unreadable

GPU_INSTALL = (
    "on a node with an NVIDIA GPU and driver: pip uninstall -y onnxruntime && pip install -r requirements-gpu.txt"
)
INSTALL_HINT = {
    "CANNExecutionProvider": "pip install onnxruntime-cann==1.24.4 on the NPU node and source CANN's set_env.sh",
    "CUDAExecutionProvider": GPU_INSTALL,
    "TensorrtExecutionProvider": GPU_INSTALL,
}
# providers whose tensors live in GPU memory (device-only timing binds inputs and outputs there)
DEVICE_MEMORY = {"CUDAExecutionProvider": "cuda", "TensorrtExecutionProvider": "cuda"}
# the session config entry that makes idle intra-op threads sleep instead of spinning
NO_SPINNING = ("session.intra_op.allow_spinning", "0")


def preload_gpu_libraries(ort) -> None:
    """Load CUDA / cuDNN (ONNX Runtime's own helper) and TensorRT from their pip wheels when
    they were installed that way, so no LD_LIBRARY_PATH is needed; system libraries are
    found by the loader as usual."""
    import ctypes
    import glob
    import os

    if hasattr(ort, "preload_dlls"):
        ort.preload_dlls()
    try:
        import tensorrt_libs
    except ImportError:
        return
    folder = os.path.dirname(tensorrt_libs.__file__)
    for pattern in ("libnvinfer.so.*", "libnvinfer_plugin.so.*", "libnvonnxparser.so.*"):
        for lib in sorted(glob.glob(os.path.join(folder, pattern))):
            ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)


class OrtSession:
    """A session on one simplified ONNX file; ``run(feeds)`` returns the first output."""

    def __init__(
        self,
        onnx_path: str | bytes,
        chip: str,
        threads: int,
        provider_options: dict | None = None,
        shared: bool = False,
    ):
        """``shared``: the run shares the cores with other jobs (the untimed accuracy runs), so idle intra-op
        threads sleep instead of spinning: two such runs side by side finish sooner
        (docs/benchmarking.md#figures-behind-design-choices)."""
        import onnxruntime as ort

        providers = ort_providers(chip, provider_options)
        wanted = providers[0][0] if isinstance(providers[0], tuple) else providers[0]
        hint = INSTALL_HINT.get(wanted, "install an onnxruntime build with it")
        if wanted not in ort.get_available_providers():
            raise InputError(
                f"chip '{chip}' needs ONNX Runtime's {wanted}, which onnxruntime {ort.__version__} here lacks ({hint})"
            )
        if wanted in DEVICE_MEMORY:
            preload_gpu_libraries(ort)
        opts = self.session_options(threads, shared)
        model = onnx_path if isinstance(onnx_path, bytes) else str(onnx_path)
        try:
            self.session = ort.InferenceSession(model, sess_options=opts, providers=providers)
        except (ort.capi.onnxruntime_pybind11_state.InvalidProtobuf, ort.capi.onnxruntime_pybind11_state.Fail) as exc:
            if isinstance(onnx_path, bytes):
                raise
            raise unreadable(onnx_path, "ONNX model", exc) from None
        self.output_name = self.session.get_outputs()[0].name
        self.threads = opts.intra_op_num_threads
        self.providers = self.session.get_providers()
        if wanted not in self.providers:  # ONNX Runtime falls back to the CPU silently
            raise InputError(
                f"chip '{chip}': ONNX Runtime could not start {wanted} "
                f"(no GPU visible, or its CUDA / cuDNN / TensorRT libraries are missing: {hint})"
            )
        self.device = DEVICE_MEMORY.get(wanted)
        self.backend = backend_of(chip, "ort-cann")
        self.device_id = int(dict(providers[0][1]).get("device_id", 0)) if isinstance(providers[0], tuple) else 0

    def session_options(self, threads: int, shared: bool):
        """The ``SessionOptions`` the session is made with; a subclass that runs the graph differently adds its
        own settings to these."""
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if shared:
            opts.add_session_config_entry(*NO_SPINNING)
        return opts

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run([self.output_name], feeds)[0]

    def perf_modes(self, feeds: dict[str, np.ndarray]) -> dict:
        """The ways to time a batch: ONNX Runtime has one (synchronous ``run``), so no probe."""
        return {"sync": {"call": lambda: self.run(feeds), "batches_per_call": 1}}

    def device_bound(self, feeds: dict[str, np.ndarray]):
        """For providers with device memory: a call that runs on inputs already copied to
        the device and leaves the output there (device-only timing); None otherwise."""
        if self.device is None:
            return None
        import onnxruntime as ort

        binding = self.session.io_binding()
        for name, array in feeds.items():
            binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(array, self.device, self.device_id))
        binding.bind_output(self.output_name, self.device, self.device_id)

        def call():
            self.session.run_with_iobinding(binding)
            binding.synchronize_outputs()

        return call


Session = OrtSession


# the session's options by hand: --provider-option KEY=VALUE, repeated
PROVIDER_OPTIONS = Arg(
    "--provider-option",
    action="append",
    type=lambda s: s.split("=", 1),
    convert=lambda pairs: dict(pairs) if pairs else None,
    help="CANN EP option KEY=VALUE (device_id, precision_mode, ...), repeated",
)


def versions() -> dict:
    import onnxruntime as ort

    return {"onnxruntime": ort.__version__}
