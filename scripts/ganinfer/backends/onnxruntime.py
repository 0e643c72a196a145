"""ONNX Runtime sessions for the chips it serves."""

from __future__ import annotations

import numpy as np

from ganinfer.backends import ORT_CHIPS, backend_of


class OrtSession:
    """A session on one simplified ONNX file; ``run(feeds)`` returns the first output."""

    def __init__(self, onnx_path: str, chip: str, threads: int):
        import onnxruntime as ort

        backend_of(chip)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), sess_options=opts, providers=ORT_CHIPS[chip][1])
        self.output_name = self.session.get_outputs()[0].name
        self.threads = opts.intra_op_num_threads
        self.providers = self.session.get_providers()

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run([self.output_name], feeds)[0]


def versions() -> dict:
    import onnxruntime as ort

    return {"onnxruntime": ort.__version__}
