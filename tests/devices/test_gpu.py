"""GPU chips (cuda, tensorrt) through ONNX Runtime: provider lists and options, the one-line
errors on a machine without a GPU, and real runs where the CUDA provider is present."""

import json

import numpy as np
import onnxruntime as ort
import pytest
import yaml

from common import ROOT, new_workdir, run_script, snakemake
from ganinfer import registry
from ganinfer.accuracy import cosine
from ganinfer.backends import backend_of, ort_providers
from ganinfer.backends.onnxruntime import OrtSession
from ganinfer.errors import InputError
from ganinfer.onnxexport import export_onnx
from ganinfer.onnxgraph import simplify_onnx
from ganinfer.stats import summarize

HAS_CUDA = "CUDAExecutionProvider" in ort.get_available_providers()
HAS_TRT = "TensorrtExecutionProvider" in ort.get_available_providers()
needs_gpu = pytest.mark.skipif(not HAS_CUDA, reason="no CUDA execution provider (onnxruntime-gpu and an NVIDIA GPU)")


def test_provider_lists_and_options():
    assert ort_providers("cuda") == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    trt = ort_providers("tensorrt", {"device_id": 1, "trt_fp16_enable": True, "trt_engine_cache_path": "c"})
    assert trt == [
        ("TensorrtExecutionProvider", {"device_id": "1", "trt_fp16_enable": "True", "trt_engine_cache_path": "c"}),
        ("CUDAExecutionProvider", {"device_id": "1"}),
        "CPUExecutionProvider",
    ]
    assert backend_of("tensorrt") == "onnxruntime-tensorrt" and backend_of("cpu") == "onnxruntime"


@pytest.fixture(scope="module")
def gan_bs2(demo_weights, tmp_path_factory):
    d = tmp_path_factory.mktemp("gpu")
    spec = registry.get("gan")
    export_onnx(spec, str(demo_weights["gan"]), d / "gan.onnx")
    simplify_onnx(spec, str(d / "gan.onnx"), 2, d / "gan_bs2.onnx")
    return d / "gan_bs2.onnx"


@pytest.mark.skipif(HAS_CUDA, reason="checks the CPU-only build")
@pytest.mark.parametrize(
    "chip, provider", [("cuda", "CUDAExecutionProvider"), ("tensorrt", "TensorrtExecutionProvider")]
)
def test_gpu_chip_without_the_provider_is_one_clear_error(gan_bs2, chip, provider):
    with pytest.raises(InputError) as e:
        OrtSession(str(gan_bs2), chip, 1)
    assert str(e.value) == (
        f"chip '{chip}' needs ONNX Runtime's {provider}, which onnxruntime {ort.__version__} here lacks "
        "(on a node with an NVIDIA GPU and driver: pip uninstall -y onnxruntime && pip install -r requirements-gpu.txt)"
    )


@pytest.mark.skipif(HAS_CUDA, reason="checks the CPU-only build")
def test_silent_cpu_fallback_is_refused(gan_bs2, monkeypatch):
    """onnxruntime-gpu without a usable GPU lists the CUDA provider but runs on the CPU:
    the session must say so instead of timing the CPU under the name cuda."""
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    with pytest.raises(InputError, match=r"^chip 'cuda': ONNX Runtime could not start CUDAExecutionProvider \(no GPU"):
        OrtSession(str(gan_bs2), "cuda", 1, {"device_id": 0})


def test_cpu_sessions_have_no_device_binding(gan_bs2):
    session = OrtSession(str(gan_bs2), "cpu", 1)
    assert session.device is None and session.device_bound({"Z": np.zeros((2, 100), np.float32)}) is None


@pytest.mark.skipif(HAS_CUDA, reason="checks the CPU-only build")
def test_workflow_stops_with_the_install_line(tmp_path):
    wd = new_workdir(tmp_path)
    (wd / "g.yaml").write_text("models: [gan]\nbatch_sizes: [2]\nsamples: 2\nchips: [tensorrt]\n")
    target = "results/gan/perf/tensorrt/bs2.json"
    proc = snakemake(target, "-j1", "--configfile", "g.yaml", cwd=wd, check=False)
    assert proc.returncode != 0
    assert "error: chip 'tensorrt' needs ONNX Runtime's TensorrtExecutionProvider" in proc.stdout + proc.stderr
    assert not (wd / target).exists()


def test_gpu_env_matches_the_gpu_requirements():
    env = yaml.safe_load((ROOT / "envs/onnxruntime-gpu.yaml").read_text())
    pins = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    reqs = [line for line in (ROOT / "requirements-gpu.txt").read_text().splitlines() if line and line[0] != "#"]
    assert set(reqs) <= set(pins)
    assert all("==" in p for p in pins)


@needs_gpu
@pytest.mark.parametrize(
    "chip", ["cuda", pytest.param("tensorrt", marks=pytest.mark.skipif(not HAS_TRT, reason="no TRT"))]
)
def test_gpu_perf_record_has_device_and_end_to_end_figures(gan_bs2, tmp_path, chip):
    inputs = tmp_path / "inputs/Z"
    inputs.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(2):
        rng.standard_normal((1, 100), dtype=np.float32).tofile(inputs / f"{i}.bin")
    out = tmp_path / "perf.json"
    run_script(
        "time-inference",
        "--model",
        "gan",
        "--onnx",
        gan_bs2,
        "--inputs",
        tmp_path / "inputs",
        "--chip",
        chip,
        "--bs",
        "2",
        "--out",
        out,
        "--min-seconds",
        "0.2",
        "--provider-option",
        "device_id=0",
    )
    rec = json.loads(out.read_text())
    assert rec["timing"] == "device-only" and rec["providers"][0].startswith(("CUDA", "Tensorrt"))
    # device-only and end-to-end figures, each from its own latencies (both runs of the same harness)
    assert rec["latency_ms"] == summarize(rec["latencies_ms"]) and rec["batch_size"] == 2
    assert rec["throughput_fps"] == 1000 * 2 / rec["latency_ms"]["mean"]
    assert rec["throughput_e2e_fps"] == 1000 * 2 / rec["e2e_latency_ms"]["mean"]
    assert rec["settings"]["min_seconds"] == 0.2 and rec["duration_s"] >= 0.2
    assert rec["provenance"]["device"]  # the GPU's name from nvidia-smi


@needs_gpu
def test_cuda_outputs_match_the_cpu(gan_bs2):
    feeds = {"Z": np.random.default_rng(1).standard_normal((2, 100), dtype=np.float32)}
    cpu = OrtSession(str(gan_bs2), "cpu", 1).run(feeds)
    gpu = OrtSession(str(gan_bs2), "cuda", 1, {"device_id": 0}).run(feeds)
    for a, b in zip(cpu, gpu, strict=True):
        assert cosine(a, b) >= 0.9999
