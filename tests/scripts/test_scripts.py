"""Every stage script run by hand, and the bad-input paths: one error line, no output."""

import hashlib
import json

import numpy as np
import pytest
import torch

from common import error_lines, run_script
from ganinfer import registry
from ganinfer.fileio import read_bin
from ganinfer.stats import summarize


def test_stages_by_hand_for_dcgan(tmp_path, demo_weights):
    w = demo_weights["dcgan"]
    run_script("prepare-inputs", "--model", "dcgan", "--samples", 5, "--seed", 1, "--out", tmp_path / "inputs")
    run_script("export-onnx", "--model", "dcgan", "--weights", w, "--out", tmp_path / "dcgan.onnx")
    run_script(
        "simplify-onnx",
        "--model",
        "dcgan",
        "--onnx",
        tmp_path / "dcgan.onnx",
        "--bs",
        2,
        "--out",
        tmp_path / "bs2.onnx",
    )
    run_script(
        "run-inference",
        "--model",
        "dcgan",
        "--onnx",
        tmp_path / "bs2.onnx",
        "--inputs",
        tmp_path / "inputs",
        "--bs",
        2,
        "--out",
        tmp_path / "out",
        "--summary",
        tmp_path / "out_summary.json",
    )
    run_script(
        "run-reference", "--model", "dcgan", "--weights", w, "--inputs", tmp_path / "inputs", "--out", tmp_path / "ref"
    )
    acc = run_script(
        "score-accuracy",
        "--model",
        "dcgan",
        "--chip",
        "cpu",
        "--bs",
        2,
        "--outputs",
        tmp_path / "out",
        "--reference",
        tmp_path / "ref",
        "--out",
        tmp_path / "acc.json",
    )
    for stage, target in (
        ("draw-grid", ["--grid", tmp_path / "grid.png"]),
        ("write-pngs", ["--pngs", tmp_path / "png"]),
    ):
        run_script(
            stage,
            "--model",
            "dcgan",
            "--outputs",
            tmp_path / "out",
            "--summary",
            tmp_path / "out_summary.json",
            *target,
        )
    perf = run_script(
        "time-inference",
        "--model",
        "dcgan",
        "--onnx",
        tmp_path / "bs2.onnx",
        "--inputs",
        tmp_path / "inputs",
        "--bs",
        2,
        "--out",
        tmp_path / "perf.json",
        "--min-seconds",
        0.05,
        "--min-iterations",
        3,
    )

    outs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert outs == [f"noise_{i:04d}_0.bin" for i in range(5)]  # 3 batches of 2, padding not saved
    assert all((tmp_path / "out" / n).stat().st_size == 32 * 32 * 4 for n in outs)
    summary = json.loads((tmp_path / "out_summary.json").read_text())
    assert summary["NPU_compute_time"]["count"] == 3 and summary["output_shape"] == [1, 32, 32]
    assert summary["filesinfo"]["4"] == {  # per sample (batch 2, row 0), as ais_bench keys it
        "infiles": [str(tmp_path / "inputs" / "noise" / "noise_0004.bin")],
        "outfiles": [str(tmp_path / "out" / "noise_0004_0.bin")],
    }
    assert sorted(summary["filesinfo"], key=int) == [str(i) for i in range(5)]
    rec = json.loads((tmp_path / "acc.json").read_text())
    assert (rec["model"], rec["chip"], rec["batch_size"], rec["threshold"]) == ("dcgan", "cpu", 2, 0.99)
    assert rec["samples"] == 5 and rec["min_cosine"] >= 0.9999 and rec["passed"]
    assert [s["name"] for s in rec["per_sample"]] == outs
    assert rec["acc_percent"] == 100 * (rec["mean_cosine"] + 1) / 2
    assert acc.stdout.strip() == (
        f"dcgan cpu bs2: mean cos {rec['mean_cosine']:.6f}, min cos {rec['min_cosine']:.6f}, "
        f"mean |diff| {rec['mean_abs_diff']:.3e}, acc {rec['acc_percent']:.2f}% -> PASS (>= 0.99)"
    )
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [n.replace(".bin", ".png") for n in outs]
    # the perf record against the harness's own inputs and its raw latencies
    p = json.loads((tmp_path / "perf.json").read_text())
    assert (p["model"], p["chip"], p["backend"], p["batch_size"], p["threads"]) == ("dcgan", "cpu", "onnxruntime", 2, 1)
    assert p["settings"] == {
        "warmup": 1,
        "warmup_seconds": 0.5,
        "min_iterations": 3,
        "min_seconds": 0.05,
        "max_seconds": 30.0,  # by hand as in the workflow: config/schema.yaml's default
        "max_cov": 0.1,
    }
    lat = p["latency_ms"]
    # stored latencies are rounded to 1 ns, the statistics come from the unrounded ones
    assert lat == pytest.approx(summarize(p["latencies_ms"]), abs=1e-6) and lat["count"] == len(p["latencies_ms"]) >= 3
    assert 0.05 <= p["duration_s"] <= 60.0 + lat["max"] / 1000 and p["warmup_runs"] >= 1
    assert sum(p["latencies_ms"]) / 1000 <= p["duration_s"]  # the loop's time includes every timed call
    assert p["throughput_fps"] == 1000 * 2 / lat["mean"]
    assert p["wall_throughput_fps"] == 2 * lat["count"] / p["duration_s"]
    assert p["valid"] == (p["invalid_reason"] == "") and p["timing"] == "end-to-end"
    assert p["provenance"]["config_hash"] == "" and p["provenance"]["packages"]["onnxruntime"]
    assert p["runtime_version"] == f"onnxruntime {p['provenance']['packages']['onnxruntime']}"
    verdict = "VALID" if p["valid"] else "INVALID: " + p["invalid_reason"]
    assert perf.stdout.strip() == (
        f"dcgan cpu bs2: {p['throughput_fps']:.1f} img/s, mean {lat['mean']:.4f} ms, p99 {lat['p99']:.4f} ms, "
        f"CoV {lat['cov']:.3f}, {lat['count']} it in {p['duration_s']:.2f} s, {verdict}"
    )


def test_reference_equals_pytorch_per_sample(tmp_path, demo_weights):
    run_script("prepare-inputs", "--model", "gan", "--samples", 3, "--out", tmp_path / "in")
    run_script(
        "run-reference",
        "--model",
        "gan",
        "--weights",
        demo_weights["gan"],
        "--inputs",
        tmp_path / "in",
        "--out",
        tmp_path / "ref",
        "--batch",
        2,
    )
    from ganinfer.networks import load_generator

    net, _ = load_generator(registry.get("gan"), str(demo_weights["gan"]))
    z = torch.from_numpy(read_bin(tmp_path / "in" / "Z" / "1.bin", (1, 100)))
    with torch.no_grad():
        expected = net(z).numpy().ravel()
    np.testing.assert_allclose(read_bin(tmp_path / "ref" / "1_0.bin"), expected, rtol=0, atol=1e-6)


def test_missing_weights_file(tmp_path):
    out = tmp_path / "w.pth"
    proc = run_script(
        "prepare-weights",
        "--model",
        "dcgan",
        "--path",
        tmp_path / "nope.pth",
        "--out",
        out,
        "--info",
        tmp_path / "w.json",
        check=False,
    )
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: {tmp_path / 'nope.pth'}: weights file for model 'dcgan' not found "
        "(fix weights.dcgan.path in your config (config/config.yaml, --configfile or --config), "
        "or remove it to use demo weights)"
    ]
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_wrong_sha256(tmp_path, demo_weights):
    wrong = "0" * 64
    proc = run_script(
        "prepare-weights",
        "--model",
        "gan",
        "--path",
        demo_weights["gan"],
        "--sha256",
        wrong,
        "--out",
        tmp_path / "w.pth",
        "--info",
        tmp_path / "w.json",
        check=False,
    )
    digest = hashlib.sha256(demo_weights["gan"].read_bytes()).hexdigest()
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: {demo_weights['gan']}: sha256 is {digest}, but weights.gan.sha256 says {wrong} "
        "(point weights.gan.path at the right file or correct the checksum in your config (config/config.yaml, "
        "--configfile or --config))"
    ]
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_of_the_wrong_architecture(tmp_path, demo_weights):
    proc = run_script(
        "prepare-weights",
        "--model",
        "gan",
        "--path",
        demo_weights["dcgan"],
        "--out",
        tmp_path / "w.pth",
        "--info",
        tmp_path / "w.json",
        check=False,
    )
    assert proc.returncode == 1
    (line,) = error_lines(proc)
    assert line.startswith(f"error: {demo_weights['dcgan']}: not a Vanilla GAN (PyTorch-GAN MLP) checkpoint (")
    assert line.endswith("; point weights.gan.path at the ACL_PyTorch/contrib/cv/gan/GAN weights")
    assert list(tmp_path.iterdir()) == []


def test_real_weights_are_copied_with_their_checksum(tmp_path, demo_weights):
    digest = hashlib.sha256(demo_weights["gan"].read_bytes()).hexdigest()
    run_script(
        "prepare-weights",
        "--model",
        "gan",
        "--path",
        demo_weights["gan"],
        "--sha256",
        digest.upper(),
        "--out",
        tmp_path / "w.pth",
        "--info",
        tmp_path / "w.json",
    )
    info = json.loads((tmp_path / "w.json").read_text())
    assert info["weights"] == "real" and info["sha256"] == digest
    assert (tmp_path / "w.pth").read_bytes() == demo_weights["gan"].read_bytes()


@pytest.mark.parametrize(
    ("change", "size"), [(lambda b: b[:-4], 396), (lambda b: b + b[:8], 408)], ids=["too-short", "too-long"]
)
def test_bin_of_wrong_size(tmp_path, demo_weights, change, size):
    """A too-short and a too-long input: one error line, no traceback, nothing written."""
    run_script("prepare-inputs", "--model", "gan", "--samples", 3, "--out", tmp_path / "in")
    bad = tmp_path / "in" / "Z" / "1.bin"
    bad.write_bytes(change(bad.read_bytes()))
    run_script("export-onnx", "--model", "gan", "--weights", demo_weights["gan"], "--out", tmp_path / "gan.onnx")
    out = tmp_path / "out"
    proc = run_script(
        "run-inference",
        "--model",
        "gan",
        "--onnx",
        tmp_path / "gan.onnx",
        "--inputs",
        tmp_path / "in",
        "--bs",
        2,
        "--out",
        out,
        "--summary",
        tmp_path / "s.json",
        check=False,
    )
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: {bad}: {size} bytes, expected 400 (float32 100); delete the file and re-run preprocess"
    ]
    assert "Traceback" not in proc.stderr
    assert not out.exists() and not (tmp_path / "s.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_unknown_model_by_hand(tmp_path):
    proc = run_script("prepare-inputs", "--model", "stylegan", "--samples", 1, "--out", tmp_path / "x", check=False)
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: unknown model 'stylegan' under 'models': known models are {', '.join(sorted(registry.MODELS))} "
        "(fix 'models' in your config (config/config.yaml, --configfile or --config), or declare it under onnx_models)"
    ]
