"""Chips and the backend that serves each.

A chip value from the config selects a backend; everything after inference (outputs,
accuracy, images, tables) is backend-independent:

- ``cpu``: ONNX Runtime, CPU execution provider, on the simplified ONNX
- ``cuda``: ONNX Runtime, CUDA execution provider (``onnxruntime-gpu``)
- ``tensorrt``: ONNX Runtime, TensorRT execution provider (fp16 by default, engines cached), CUDA fallback
- ``openvino``: the OpenVINO runtime, CPU plugin, on the simplified ONNX (f32; ``openvino.precision: bf16``)
- ``cpu-fp16``: ONNX Runtime, CPU execution provider, on the simplified ONNX converted to fp16 as ATC
  compiles it (the model's keep list in fp32): a prediction of the NPU's fp16 accuracy
- ``Ascend<soc>`` (``Ascend310``, ``Ascend310P3``, ...): ATC -> ``.om`` -> ais_bench, or, with
  ``ascend.runtime: ort-cann``, ONNX Runtime's CANN execution provider on the simplified ONNX

Every chip but the ais_bench ones runs in process through a session (``open_session``): the
``Session`` protocol below, implemented by the module this registry names for the chip (its
``Session`` class); the accuracy run, the timed run and the GEMM peak use whichever the chip gets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ganinfer.errors import CONFIG_HINT, InputError

ORT_PROVIDERS = {
    "cpu": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    "tensorrt": ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
}
GPU_CHIPS = ("cuda", "tensorrt")
ASCEND_PATTERN = r"Ascend[0-9A-Za-z]+"
ASCEND_RUNTIMES = ("ais_bench", "ort-cann")
# chips whose session is not ONNX Runtime's plain one: chip -> (module, its conda env file under envs/)
SESSION_BACKENDS = {
    "openvino": ("ganinfer.backends.openvino", "openvino.yaml"),
    "cpu-fp16": ("ganinfer.backends.fp16", "onnxruntime.yaml"),
}
# the tables' backend column of those chips, where it is not the chip's name
SESSION_BACKEND_NAMES = {"cpu-fp16": "onnxruntime-fp16"}
FP16_CHIP = "cpu-fp16"  # the fp16 emulation chip, which the keep-list search runs on
# the keep-list search's output: ATC's --keep_dtype file (ascend.keep_dtype: auto)
KEEP_DTYPE_CFG = "results/{model}/precision/keep_dtype.cfg"
# every chip served in process by a session (the ONNX Runtime rules' chips, Ascend aside)
SESSION_CHIPS = (*ORT_PROVIDERS, *SESSION_BACKENDS)


class Session(Protocol):
    """An in-process inference session on one simplified ONNX file (``open_session``)."""

    threads: int  # intra-op threads it runs with
    providers: list  # what serves it (ONNX Runtime providers, or the OpenVINO device), for provenance
    backend: str  # the tables' backend column
    device: str | None  # where its memory lives when not on the host ("cuda"), else None

    def run(self, feeds: dict[str, Any]) -> Any: ...  # the first output of one batch

    def perf_modes(self, feeds: dict[str, Any]) -> dict[str, dict]: ...  # name -> {"call", "batches_per_call"}

    def device_bound(self, feeds: dict[str, Any]) -> Callable[[], None] | None: ...  # device-only timing call


def is_ascend(chip: str) -> bool:
    return re.fullmatch(ASCEND_PATTERN, chip) is not None


def is_gpu(chip: str) -> bool:
    return chip in GPU_CHIPS


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


@dataclass(frozen=True)
class Chip:
    """What the workflow needs to know of one chip value: the one classification that rules,
    cluster profiles and scripts use."""

    name: str
    device: str  # the node kind its jobs need: "cpu", "gpu" or "npu" (job resources, cluster partitions)
    runner: str  # "session" (in process: infer/perf_onnxruntime, gemm_peak) or "ais_bench" (ATC .om)
    backend: str  # the tables' backend column
    env: str  # conda env file (under envs/) of its inference jobs


def classify(chip: str, ascend_runtime: str = "ais_bench") -> Chip:
    check_chip(chip)
    if is_ascend(chip):
        if ascend_runtime == "ais_bench":
            return Chip(chip, "npu", "ais_bench", "ais_bench", "ascend.yaml")
        return Chip(chip, "npu", "session", "onnxruntime-cann", "onnxruntime.yaml")
    if chip in SESSION_BACKENDS:
        return Chip(chip, "cpu", "session", SESSION_BACKEND_NAMES.get(chip, chip), SESSION_BACKENDS[chip][1])
    if is_gpu(chip):
        return Chip(chip, "gpu", "session", f"onnxruntime-{chip}", "onnxruntime-gpu.yaml")
    return Chip(chip, "cpu", "session", "onnxruntime", "onnxruntime.yaml")


def backend_of(chip: str, ascend_runtime: str = "ais_bench") -> str:
    return classify(chip, ascend_runtime).backend


def device_of(chip: str) -> str:
    """``cpu``, ``gpu`` or ``npu``: the node kind a job of ``chip`` needs (the cluster profiles' partitions)."""
    return classify(chip).device


def chip_regex(runner: str, ascend_runtime: str) -> str:
    """Regular expression of the chips ``runner`` serves (a rule's wildcard constraint); never
    matches when it serves none."""
    names = [re.escape(c) for c in SESSION_CHIPS if classify(c).runner == runner]
    if classify("Ascend310", ascend_runtime).runner == runner:
        names.append(ASCEND_PATTERN)
    return "|".join(names) or "(?!x)x"


def session_options(chip: str, config: dict, model: str = "gemm") -> dict:
    """Options of the chip's in-process session, from the validated config: CANN EP (Ascend
    chips), CUDA EP, TensorRT EP (fp16, engine and timing caches under results/trt_cache/<model>),
    OpenVINO (precision), the fp16 emulation (the model's keep list: ``keep_dtype_options``); none for cpu."""
    if chip == FP16_CHIP:
        return keep_dtype_options(config, model)
    if chip in SESSION_BACKENDS:
        return dict(config[chip])
    if is_ascend(chip):
        ascend = config["ascend"]
        return {"device_id": ascend["device"], "precision_mode": ascend["precision_mode"]}
    if chip == "cuda":
        return {"device_id": config["gpu"]["device"]}
    if chip == "tensorrt":
        cache = f"results/trt_cache/{model}"
        return {
            "device_id": config["gpu"]["device"],
            "trt_fp16_enable": config["gpu"]["tensorrt_fp16"],
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": cache,
            "trt_timing_cache_enable": True,
            "trt_timing_cache_path": cache,
        }
    return {}


def keep_dtype_options(config: dict, model: str) -> dict:
    """The fp16 emulation's keep list, as ATC gets it (``ascend.keep_dtype``): ``registry``, the model's
    list (``keep_dtype``); ``auto``, the keep-list search's file (``keep_dtype_file``). None for a graph that is
    no model's (the GEMM peak)."""
    from ganinfer import registry

    if model not in registry.names():
        return {"keep_dtype": []}
    if config["ascend"]["keep_dtype"] == "auto":
        return {"keep_dtype_file": KEEP_DTYPE_CFG.format(model=model)}
    return {"keep_dtype": list(registry.get(model).atc.keep_dtype)}


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


def session_module(chip: str) -> str | None:
    """The module of ``chip``'s session where it is not ONNX Runtime's (which the stages import anyway)."""
    return SESSION_BACKENDS[chip][0] if chip in SESSION_BACKENDS else None


def _module(chip: str):
    import importlib

    return importlib.import_module(SESSION_BACKENDS.get(chip, ("ganinfer.backends.onnxruntime", ""))[0])


def open_session(onnx_path, chip: str, threads: int, options: dict | None = None, shared: bool = False) -> Session:
    """The session of ``chip`` on one ONNX file (path or serialized bytes); ``shared``: an untimed run
    beside other jobs (its idle threads do not spin)."""
    check_chip(chip)
    return _module(chip).Session(onnx_path, chip, threads, dict(options or {}), shared=shared)


def runtime_versions(chip: str) -> dict:
    """Package versions of the runtime that serves ``chip`` (for provenance)."""
    return _module(chip).versions()
