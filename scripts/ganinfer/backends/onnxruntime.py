"""ONNX Runtime sessions for the chips it serves (CPU EP, or CANN EP for Ascend chips)."""

from __future__ import annotations

import numpy as np

from ganinfer.backends import ort_providers
from ganinfer.errors import InputError

INSTALL_HINT = {
    "CANNExecutionProvider": "pip install onnxruntime-cann==1.24.4 on the NPU node and source CANN's set_env.sh",
}


class OrtSession:
    """A session on one simplified ONNX file; ``run(feeds)`` returns the first output."""

    def __init__(self, onnx_path: str | bytes, chip: str, threads: int, provider_options: dict | None = None):
        import onnxruntime as ort

        providers = ort_providers(chip, provider_options)
        wanted = providers[0][0] if isinstance(providers[0], tuple) else providers[0]
        if wanted not in ort.get_available_providers():
            raise InputError(
                f"chip '{chip}' needs ONNX Runtime's {wanted}, which onnxruntime {ort.__version__} here lacks "
                f"({INSTALL_HINT.get(wanted, 'install an onnxruntime build with it')})"
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        model = onnx_path if isinstance(onnx_path, bytes) else str(onnx_path)
        self.session = ort.InferenceSession(model, sess_options=opts, providers=providers)
        self.output_name = self.session.get_outputs()[0].name
        self.threads = opts.intra_op_num_threads
        self.providers = self.session.get_providers()

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run([self.output_name], feeds)[0]


def add_provider_option(p) -> None:
    """``--provider-option KEY=VALUE`` (repeated) for scripts run by hand."""
    p.add_argument(
        "--provider-option",
        dest="provider_options",
        action="append",
        type=lambda s: s.split("=", 1),
        help="CANN EP option KEY=VALUE (device_id, precision_mode, ...), repeated",
    )


def versions() -> dict:
    import onnxruntime as ort

    return {"onnxruntime": ort.__version__}
