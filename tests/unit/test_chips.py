"""The one chip classification (ganinfer.backends.classify) that rules, profiles and scripts use."""

import re

import pytest

from ganinfer import backends
from ganinfer.errors import InputError

CONFIG = {
    "ascend": {"device": 3, "precision_mode": "force_fp32"},
    "gpu": {"device": 1, "tensorrt_fp16": False},
    "openvino": {"precision": "bf16"},
}


@pytest.mark.parametrize(
    ("chip", "runtime", "device", "runner", "backend", "env"),
    [
        ("cpu", "ais_bench", "cpu", "session", "onnxruntime", "onnxruntime.yaml"),
        ("openvino", "ais_bench", "cpu", "session", "openvino", "openvino.yaml"),
        ("cuda", "ais_bench", "gpu", "session", "onnxruntime-cuda", "onnxruntime-gpu.yaml"),
        ("tensorrt", "ort-cann", "gpu", "session", "onnxruntime-tensorrt", "onnxruntime-gpu.yaml"),
        ("Ascend310P3", "ais_bench", "npu", "ais_bench", "ais_bench", "ascend.yaml"),
        ("Ascend910B", "ort-cann", "npu", "session", "onnxruntime-cann", "onnxruntime.yaml"),
    ],
)
def test_classify(chip, runtime, device, runner, backend, env):
    assert backends.classify(chip, runtime) == backends.Chip(chip, device, runner, backend, env)
    assert backends.device_of(chip) == device


def test_unknown_chip_is_one_line():
    with pytest.raises(InputError, match=r"^unknown chip 'ascend310': supported chips are cpu, cuda, tensorrt"):
        backends.classify("ascend310")


def test_chip_regex_per_runner_and_ascend_runtime():
    session = backends.chip_regex("session", "ais_bench")
    assert [c for c in ("cpu", "openvino", "cuda", "tensorrt", "Ascend310P3") if re.fullmatch(session, c)] == [
        "cpu",
        "openvino",
        "cuda",
        "tensorrt",
    ]
    assert re.fullmatch(backends.chip_regex("ais_bench", "ais_bench"), "Ascend310P3")
    assert not re.fullmatch(backends.chip_regex("ais_bench", "ais_bench"), "cpu")
    assert re.fullmatch(backends.chip_regex("session", "ort-cann"), "Ascend310P3")
    never = backends.chip_regex("ais_bench", "ort-cann")
    assert not any(re.fullmatch(never, c) for c in ("Ascend310P3", "cpu", "", "x"))


def test_session_options_come_from_the_config():
    assert backends.session_options("cpu", CONFIG) == {}
    assert backends.session_options("openvino", CONFIG) == {"precision": "bf16"}
    assert backends.session_options("Ascend310", CONFIG) == {"device_id": 3, "precision_mode": "force_fp32"}
    assert backends.session_options("cuda", CONFIG) == {"device_id": 1}
    trt = backends.session_options("tensorrt", CONFIG, "dgnet")
    assert trt == {
        "device_id": 1,
        "trt_fp16_enable": False,
        "trt_engine_cache_enable": True,
        "trt_engine_cache_path": "results/trt_cache/dgnet",
        "trt_timing_cache_enable": True,
        "trt_timing_cache_path": "results/trt_cache/dgnet",
    }
