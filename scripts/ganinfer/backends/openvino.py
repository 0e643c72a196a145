"""OpenVINO runtime sessions, CPU plugin, on the simplified ONNX: the ``openvino`` chip.

f32 by default (``INFERENCE_PRECISION_HINT`` f32: OpenVINO's own default on a CPU with
AVX-512 BF16 or AMX is bf16, which changes the numbers); ``openvino.precision: bf16`` in the
config gives bf16, whose accuracy rows show what it costs. ``INFERENCE_NUM_THREADS`` is the
job's threads. The accuracy run uses a synchronous request compiled with the LATENCY hint;
the timed run offers two modes (``perf_modes``): that synchronous request, and an async
infer queue on a model compiled with the THROUGHPUT hint (its optimal number of requests in
flight per timed call); the perf job probes both and keeps the faster.
"""

from __future__ import annotations

import numpy as np

from ganinfer.errors import InputError
from ganinfer.fileio import unreadable

VERSION = "2026.4.1"
INSTALL_HINT = f"pip install openvino=={VERSION} (requirements.txt), or run with --use-conda (envs/openvino.yaml)"
PRECISIONS = ("f32", "bf16")


def import_openvino():
    """The openvino module, or one line naming the fix."""
    try:
        import openvino
    except ImportError as exc:
        raise InputError(
            f"chip 'openvino' needs the openvino package, which is not importable here ({exc}); {INSTALL_HINT}"
        ) from None
    return openvino


class OvSession:
    """A compiled model on one ONNX file (path or serialized bytes); ``run(feeds)`` returns the first output."""

    def __init__(
        self, onnx_path: str | bytes, chip: str, threads: int, provider_options: dict | None = None, shared=False
    ):
        """``shared`` is accepted for open_session's sake: the CPU plugin has no spin-wait setting."""
        ov = import_openvino()
        self._ov = ov
        options = dict(provider_options or {})
        self.precision = str(options.get("precision") or "f32")
        if self.precision not in PRECISIONS:
            raise InputError(
                f"openvino.precision '{self.precision}' is not one of {', '.join(PRECISIONS)} (fix it in the config)"
            )
        self.threads = max(1, int(threads))
        self.core = ov.Core()
        try:
            self.model = self.core.read_model(onnx_path if isinstance(onnx_path, bytes) else str(onnx_path))
        except RuntimeError as exc:
            if isinstance(onnx_path, bytes):
                raise
            raise unreadable(onnx_path, "ONNX model", exc) from None
        self.compiled = self._compile("LATENCY")
        self.output = self.compiled.output(0)
        self.request = self.compiled.create_infer_request()
        self.chip = chip
        self.backend = "openvino" if self.precision == "f32" else f"openvino-{self.precision}"
        self.providers = [f"OpenVINO CPU plugin ({self.precision})"]
        self.device = None
        self.device_id = 0

    def _compile(self, hint: str):
        config = {
            "PERFORMANCE_HINT": hint,
            "INFERENCE_NUM_THREADS": self.threads,
            "INFERENCE_PRECISION_HINT": self.precision,
        }
        return self.core.compile_model(self.model, "CPU", config)

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return self.request.infer(feeds)[self.output]

    def perf_modes(self, feeds: dict[str, np.ndarray]) -> dict:
        """LATENCY: one synchronous request per call. THROUGHPUT: the plugin's optimal number
        of requests started on an async queue, then waited for, per call."""
        throughput = self._compile("THROUGHPUT")
        requests = int(throughput.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        queue = self._ov.AsyncInferQueue(throughput, requests)

        def run_queue():
            for _ in range(requests):
                queue.start_async(feeds)
            queue.wait_all()

        return {
            "LATENCY": {
                "call": lambda: self.request.infer(feeds),
                "batches_per_call": 1,
                "streams": int(self.compiled.get_property("NUM_STREAMS")),
            },
            "THROUGHPUT": {
                "call": run_queue,
                "batches_per_call": requests,
                "streams": int(throughput.get_property("NUM_STREAMS")),
            },
        }

    def device_bound(self, feeds):
        return None


Session = OvSession


def versions() -> dict:
    return {"openvino": import_openvino().__version__.split("-")[0]}
