"""Chips and the backend that serves each.

A chip value from the config selects a backend; everything after inference (outputs,
accuracy, images, tables) is backend-independent:

- ``cpu``: ONNX Runtime, CPU execution provider, on the simplified ONNX
- ``cuda``: ONNX Runtime, CUDA execution provider (``onnxruntime-gpu``)
- ``tensorrt``: ONNX Runtime, TensorRT execution provider (fp16 by default, engines cached), CUDA fallback
- ``openvino``: the OpenVINO runtime, CPU plugin, on the simplified ONNX (f32; ``openvino.precision: bf16``)
- ``Ascend<soc>`` (``Ascend310``, ``Ascend310P3``, ...): ATC -> ``.om`` -> ais_bench, or, with
  ``ascend.runtime: ort-cann``, ONNX Runtime's CANN execution provider on the simplified ONNX

Every chip but the ais_bench ones runs in process through a session (``open_session``): a
class with ``run(feeds)``, ``perf_modes(feeds)``, ``threads``, ``providers``, ``backend``
and ``device``, from the module this registry names for the chip; the accuracy run, the
timed run and the GEMM peak use whichever the chip gets.
"""

from __future__ import annotations

import re

from ganinfer.errors import CONFIG_HINT, InputError

ORT_PROVIDERS = {
    "cpu": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    "tensorrt": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
}
GPU_CHIPS = ("cuda", "tensorrt")
ASCEND_PATTERN = r"Ascend[0-9A-Za-z]+"
ASCEND_RUNTIMES = ("ais_bench", "ort-cann")
# chips whose session is not ONNX Runtime's: chip -> (module, its conda env file under envs/)
SESSION_BACKENDS = {"openvino": ("ganinfer.backends.openvino", "openvino.yaml")}
# every chip served in process by a session (the ONNX Runtime rules' chips, Ascend aside)
SESSION_CHIPS = (*ORT_PROVIDERS, *SESSION_BACKENDS)


def is_ascend(chip: str) -> bool:
    return re.fullmatch(ASCEND_PATTERN, chip) is not None


def supported_chips() -> list[str]:
    return [*SESSION_CHIPS, "Ascend<soc> (e.g. Ascend310P3)"]


def chip_pattern() -> str:
    """Regular expression of every chip value (a wildcard constraint)."""
    return "|".join([*map(re.escape, SESSION_CHIPS), ASCEND_PATTERN])


def check_chip(chip: str) -> None:
    if chip not in SESSION_CHIPS and not is_ascend(chip):
        raise InputError(
            f"unknown chip '{chip}': supported chips are {', '.join(supported_chips())} (fix 'chips' in {CONFIG_HINT})"
        )


def backend_of(chip: str, ascend_runtime: str = "ais_bench") -> str:
    check_chip(chip)
    if is_ascend(chip):
        return "ais_bench" if ascend_runtime == "ais_bench" else "onnxruntime-cann"
    if chip in SESSION_BACKENDS:
        return chip
    return f"onnxruntime-{chip}" if is_gpu(chip) else "onnxruntime"


def is_gpu(chip: str) -> bool:
    return chip in GPU_CHIPS


def ort_providers(chip: str, options: dict | None = None) -> list:
    """ONNX Runtime providers for ``chip``, best first; ``options`` go to the first one
    (Ascend chips: the CANN EP; GPU chips: also ``device_id`` to the CUDA fallback)."""
    check_chip(chip)
    options = {k: str(v) for k, v in (options or {}).items() if v is not None}
    names = ["CANNExecutionProvider", "CPUExecutionProvider"] if is_ascend(chip) else ORT_PROVIDERS[chip]
    if not options:
        return list(names)
    first, *rest = names
    device = {"device_id": options["device_id"]} if "device_id" in options else {}
    return [(first, options), *((n, device) if n == "CUDAExecutionProvider" and device else n for n in rest)]


def _module(chip: str):
    import importlib

    return importlib.import_module(SESSION_BACKENDS.get(chip, ("ganinfer.backends.onnxruntime", ""))[0])


def open_session(onnx_path, chip: str, threads: int, options: dict | None = None):
    """The session of ``chip`` on one ONNX file (path or serialized bytes)."""
    check_chip(chip)
    return _module(chip).Session(onnx_path, chip, threads, dict(options or {}))


def runtime_versions(chip: str) -> dict:
    """Package versions of the runtime that serves ``chip`` (for provenance)."""
    return _module(chip).versions()


def env_file(chip: str) -> str:
    """The conda env file (under envs/) of the in-process session of ``chip``."""
    if chip in SESSION_BACKENDS:
        return SESSION_BACKENDS[chip][1]
    return "onnxruntime-gpu.yaml" if is_gpu(chip) else "onnxruntime.yaml"
