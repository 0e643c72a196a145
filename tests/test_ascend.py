"""Ascend path: exact ATC / ais_bench command lines, the simulator's layouts, the workflow
with Ascend chips (simulated), the one-line errors without CANN."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, new_workdir, snakemake, tool_env

from ganinfer import registry
from ganinfer.backends import ascend
from ganinfer.errors import InputError
from ganinfer.fileio import read_bin
from ganinfer.onnxgraph import export_onnx, simplify_onnx
from ganinfer.preprocess import make_inputs

SIM = tool_env(simulator=True)


def test_atc_command_lines_follow_the_guides():
    dc = ascend.atc_args(registry.get("dcgan"), "m.onnx", "out/dcgan_bs16", 16, "Ascend310P3")
    assert ascend.shell(dc) == (
        "atc --framework=5 --model=m.onnx --output=out/dcgan_bs16 --input_shape=noise:16,100,1,1 "
        "--soc_version=Ascend310P3 --log=error --input_format=NCHW"
    )
    big = ascend.atc_args(registry.get("biggan"), "b.onnx", "b", 4, "Ascend310", precision_mode="force_fp32")
    assert "--input_shape=noise:4,1,20;label:4,5,148" in big and "--input_format=ND" in big
    assert big[-1] == "--precision_mode=force_fp32"
    cyc = ascend.atc_args(registry.get("cyclegan_sat2map"), "c.onnx", "c", 1, "Ascend310P3")
    assert "--out_nodes=Tanh_156:0" in cyc and "--input_shape=img_sat_maps:1,3,256,256" in cyc
    dg = ascend.atc_args(registry.get("dgnet"), "d.onnx", "d", 8, "Ascend310P3", keep_dtype_file="keep.cfg")
    assert "--input_shape=image1:8,1,256,128;image2:8,3,256,128" in dg and "--keep_dtype=keep.cfg" in dg
    assert not any(a.startswith("--input_format") for a in dg)  # the DG-Net guide passes none


def test_ais_bench_command_lines():
    acc = ascend.ais_bench_args("m.om", 4, "res", "bs4", 1, ["in/image1", "in/image2"])
    assert ascend.shell(acc) == (
        "python3 -m ais_bench --model m.om --input in/image1,in/image2 --output res --output_dirname bs4 "
        "--outfmt BIN --batchsize 4 --device 1"
    )
    perf = ascend.ais_bench_args("m.om", 4, "res", "p", loop=200, warmup_count=5)
    assert "--input" not in perf and perf[perf.index("--loop") + 1] == "200"
    assert perf[perf.index("--warmup_count") + 1] == "5"


@pytest.fixture(scope="module")
def dgnet_om(tmp_path_factory, demo_weights):
    """A small DG-Net (two inputs) simplified at bs 2 and compiled by the simulated atc."""
    from ganinfer import checkpoint

    d = tmp_path_factory.mktemp("om")
    spec = registry.get("dgnet")
    arch = {"dim": 4, "width": 8, "mlp_dim": 32, "id_dim": 256}
    checkpoint.save_atomic(checkpoint.demo_checkpoint(spec, 0, arch), d / "w.pth")
    export_onnx(spec, str(d / "w.pth"), d / "raw.onnx", bs=2)
    simplify_onnx(spec, str(d / "raw.onnx"), 2, d / "dgnet_bs2.onnx")
    make_inputs(spec, 3, 0, d / "inputs")
    (d / "keep.cfg").write_text("OpType::InstanceNorm\nOpType::Pow\nOpType::ReduceMean\n")
    args = ascend.atc_args(
        spec, str(d / "dgnet_bs2.onnx"), str(d / "dgnet_bs2"), 2, "Ascend310P3", None, str(d / "keep.cfg")
    )
    proc = subprocess.run(args, env=SIM, capture_output=True, text=True)
    assert proc.returncode == 0 and "ATC run success" in proc.stdout, proc.stdout + proc.stderr
    return spec, d


def ais(*args, env=SIM):
    return subprocess.run(["python3", "-m", "ais_bench", *map(str, args)], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("layout", ["new", "old"])
def test_collect_reads_both_summary_layouts(dgnet_om, tmp_path, layout):
    spec, d = dgnet_om
    env = {**SIM, "AIS_BENCH_SIM_LAYOUT": layout}
    inputs = [str(d / "inputs" / t.name) for t in spec.inputs]
    proc = ais(*ascend.ais_bench_args(str(d / "dgnet_bs2.om"), 2, tmp_path / "raw", "bs2", 0, inputs)[3:], env=env)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "raw" / ("bs2_summary.json" if layout == "new" else "bs2/sumary.json")).is_file()
    rec = ascend.collect_outputs(
        spec,
        str(d / "inputs"),
        str(tmp_path / "raw/bs2"),
        str(tmp_path / "out"),
        str(tmp_path / "s.json"),
        {"chip": "Ascend310P3"},
    )
    outs = sorted(p.name for p in (tmp_path / "out").iterdir())
    stems = sorted(p.stem for p in (d / "inputs" / "image1").iterdir())
    assert outs == [f"{s}_0.bin" for s in stems]  # 3 samples in batches of 2: padding not kept
    assert rec["NPU_compute_time"]["mean"] > 0 and rec["chip"] == "Ascend310P3"
    assert not (tmp_path / "raw" / "bs2").exists()
    # the simulated device ran the ONNX: same as ONNX Runtime on that sample
    from ganinfer.backends.onnxruntime import OrtSession
    from ganinfer.inputs import InputSet

    feeds = InputSet(spec, d / "inputs").first_batch(2)
    ref = OrtSession(str(d / "dgnet_bs2.onnx"), "cpu", 1).run(feeds)
    np.testing.assert_allclose(read_bin(tmp_path / "out" / outs[0], (3, 256, 128)), ref[0], atol=1e-5)


def test_input_order_matters_for_two_input_models(dgnet_om, tmp_path):
    spec, d = dgnet_om
    swapped = [str(d / "inputs" / "image2"), str(d / "inputs" / "image1")]
    proc = ais("--model", d / "dgnet_bs2.om", "--input", ",".join(swapped), "--output", tmp_path, "--batchsize", 2)
    assert proc.returncode == 1 and "is not a multiple of file size" in proc.stderr


def test_simulator_rejects_what_the_tools_reject(dgnet_om, tmp_path):
    spec, d = dgnet_om
    one = ais("--model", d / "dgnet_bs2.om", "--input", d / "inputs" / "image1", "--output", tmp_path)
    assert one.returncode == 1 and "input count 1 does not match the model's 2 inputs" in one.stderr
    unknown = ais("--model", d / "dgnet_bs2.om", "--frobnicate", "1")
    assert unknown.returncode == 2 and "unrecognized arguments: --frobnicate" in unknown.stderr

    def atc(*extra):
        base = [
            "atc",
            "--framework=5",
            f"--model={d / 'dgnet_bs2.onnx'}",
            f"--output={tmp_path / 'x'}",
            "--soc_version=Ascend310P3",
        ]
        return subprocess.run([*base, *extra], env=SIM, capture_output=True, text=True)

    assert "unknown option --turbo" in atc("--turbo=1").stdout
    assert "is not name:d0,d1" in atc("--input_shape=image1 2,1,256,128").stdout
    assert "not a model input" in atc("--input_shape=img:2,1,256,128;image2:2,3,256,128").stdout
    assert "does not match the model's" in atc("--input_shape=image1:2,3,256,128;image2:2,3,256,128").stdout
    assert "node 'Tanh_1' is not in the graph" in atc("--out_nodes=Tanh_1:0").stdout
    assert not (tmp_path / "x.om").exists()


def test_perf_record_from_a_timed_run(dgnet_om, tmp_path):
    spec, d = dgnet_om
    args = ascend.ais_bench_args(str(d / "dgnet_bs2.om"), 2, tmp_path, "perf_bs2", loop=4, warmup_count=1)
    assert ais(*args[3:]).returncode == 0
    out = tmp_path / "perf.json"
    proc = subprocess.run(
        [
            str(x)
            for x in (
                sys.executable,
                ROOT / "scripts/perf_ais.py",
                "--model",
                "dgnet",
                "--chip",
                "Ascend310P3",
                "--bs",
                2,
                "--raw",
                tmp_path / "perf_bs2",
                "--out",
                out,
                "--min-iterations",
                4,
                "--min-seconds",
                0,
            )
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(out.read_text())
    assert rec["latency_ms"]["count"] == 4 and rec["backend"] == "ais_bench"
    assert rec["throughput_fps"] == pytest.approx(2000 / rec["latency_ms"]["mean"])
    assert rec["throughput_fps"] == pytest.approx(rec["ais_bench_throughput"])
    assert rec["H2D_latency_ms"] == pytest.approx(0.01)
    copies = rec["H2D_latency_ms"] + rec["D2H_latency_ms"]
    assert rec["timing"] == "device-only"
    assert rec["throughput_e2e_fps"] == pytest.approx(2000 / (rec["latency_ms"]["mean"] + copies))


def test_missing_summary_is_one_clear_error(tmp_path):
    (tmp_path / "bs1").mkdir()
    with pytest.raises(InputError, match=r"bs1: no ais_bench summary \(bs1_summary\.json beside it or sumary\.json"):
        ascend.find_summary(tmp_path / "bs1")


TINY = """
models: [dcgan, dgnet]
batch_sizes: {dcgan: [1, 4], dgnet: [2]}
samples: 5
demo_architecture: {dgnet: {dim: 4, width: 8, mlp_dim: 32, id_dim: 256}}
perf: {warmup: 1, warmup_seconds: 0, min_iterations: 3, min_seconds: 0.01, max_seconds: 5.0, max_cov: 10.0}
ascend: {loop: 3, warmup_count: 1}
perf_table: {ratios: [[Ascend310P3, cpu]], check: {chip: Ascend310P3, baseline: cpu, min_ratio: 0.5}}
"""


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_workflow_on_cpu_and_simulated_ascend(tmp_path):
    wd = new_workdir(tmp_path)
    (wd / "t.yaml").write_text(TINY)
    snakemake(
        "results/tables/perf.csv",
        "-j2",
        "--configfile",
        "t.yaml",
        "--config",
        "chips=[cpu,Ascend310P3]",
        cwd=wd,
        env=SIM,
    )
    perf = {(r["model"], r["chip"], r["batch_size"]): r for r in rows(wd / "results/tables/perf.csv")}
    assert set(perf) == {
        (m, c, b) for m, b in (("dcgan", "1"), ("dcgan", "4"), ("dgnet", "2")) for c in ("cpu", "Ascend310P3")
    }
    assert perf[("dgnet", "Ascend310P3", "2")]["backend"] == "ais_bench"
    npu = perf[("dcgan", "Ascend310P3", "4")]
    assert npu["timing"] == "device-only" and npu["percent_of_peak"] == "" and npu["macs_per_image"] == "76611584"
    assert 0 < float(npu["throughput_e2e_fps"]) <= float(npu["throughput_fps"])  # the copies cost time
    ratio = float(npu["throughput_fps"]) / float(perf[("dcgan", "cpu", "4")]["throughput_fps"])
    md = (wd / "results/tables/perf.md").read_text()
    assert "| batch size | Ascend310P3 (img/s) | cpu (img/s) | Ascend310P3/cpu | Ascend310P3 ≥ 0.5× cpu |" in md
    bs4 = next(line for line in md.splitlines() if line.startswith("| bs4 |"))
    assert f"| {ratio:.2f} | {'PASS' if ratio >= 0.5 else 'FAIL'} |" in bs4
    acc = {(r["model"], r["chip"], r["batch_size"]): r for r in rows(wd / "results/tables/accuracy.csv")}
    for key in (("dcgan", "Ascend310P3", "4"), ("dgnet", "Ascend310P3", "2")):
        assert acc[key]["backend"] == "ais_bench" and float(acc[key]["min_cosine"]) >= 0.9999
    assert (wd / "results/dgnet/om/dgnet_bs2_Ascend310P3.om").is_file()
    assert (wd / "results/dgnet/om/dgnet_keep_dtype.cfg").read_text().split() == [
        "OpType::InstanceNorm",
        "OpType::Pow",
        "OpType::ReduceMean",
    ]
    assert sorted(p.name for p in (wd / "results/dcgan/outputs/Ascend310P3/bs4").glob("*.bin"))[0] == "noise_0000_0.bin"
    assert not list((wd / "results/dcgan").glob("ais/*/*"))  # ais_bench's scratch folders are gone


def test_dry_run_prints_the_exact_commands(tmp_path):
    proc = snakemake(
        "-n",
        "-p",
        "results/tables/perf.csv",
        "--config",
        "chips=[Ascend310P3]",
        "models=[dcgan]",
        "batch_sizes=[16]",
        cwd=new_workdir(tmp_path),
        env=tool_env(False),
    )
    out = proc.stdout
    assert (
        "atc --framework=5 --model=results/dcgan/onnx/dcgan_bs16.onnx "
        "--output=results/dcgan/om/dcgan_bs16_Ascend310P3.atc --input_shape=noise:16,100,1,1 "
        "--soc_version=Ascend310P3 --log=error --input_format=NCHW"
    ) in out
    assert (
        "python3 -m ais_bench --model results/dcgan/om/dcgan_bs16_Ascend310P3.om --input results/dcgan/inputs/noise "
        "--output results/dcgan/ais/Ascend310P3 --output_dirname bs16 --outfmt BIN --batchsize 16 --device 0"
    ) in out
    assert "--loop 100 --warmup_count 5" in out


@pytest.mark.skipif(shutil.which("atc") is not None, reason="a real CANN toolkit is on PATH")
def test_without_cann_the_run_stops_with_one_line(tmp_path):
    wd = new_workdir(tmp_path)
    proc = snakemake(
        "results/dcgan/om/dcgan_bs1_Ascend310P3.om",
        "-j1",
        "--config",
        "chips=[Ascend310P3]",
        "models=[dcgan]",
        "ascend={set_env: /nonexistent/set_env.sh}",
        cwd=wd,
        env=tool_env(False),
        check=False,
    )
    assert proc.returncode != 0
    lines = [x for x in (proc.stdout + proc.stderr).splitlines() if x.startswith("error: atc not found")]
    assert lines == [
        "error: atc not found: source the CANN toolkit's set_env.sh (config ascend.set_env, now "
        "/nonexistent/set_env.sh) or install the CANN toolkit on this node"
    ]
    assert not (wd / "results/dcgan/om/dcgan_bs1_Ascend310P3.om").exists()


def test_ort_cann_runtime_without_the_provider_is_one_line(tmp_path):
    wd = new_workdir(tmp_path)
    (wd / "c.yaml").write_text(
        "models: [gan]\nbatch_sizes: [2]\nsamples: 2\nchips: [Ascend310P3]\n"
        "ascend: {runtime: ort-cann, precision_mode: force_fp32}\n"
    )
    proc = snakemake(
        "results/gan/outputs/Ascend310P3/bs2_summary.json",
        "-j1",
        "--configfile",
        "c.yaml",
        cwd=wd,
        env=tool_env(False),
        check=False,
    )
    assert proc.returncode != 0
    assert (
        "error: chip 'Ascend310P3' needs ONNX Runtime's CANNExecutionProvider, which onnxruntime"
        in proc.stdout + proc.stderr
    )
    assert "pip install onnxruntime-cann==1.24.4 on the NPU node" in proc.stdout + proc.stderr
    assert not (wd / "results/gan/outputs/Ascend310P3/bs2").exists()


def test_the_simulator_is_only_reachable_from_tests():
    for folder in ("scripts", "rules", "config", "profiles", "envs"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".smk", ".yaml"}:
                assert "tests/sim" not in path.read_text(), path
    assert "Snakefile" and "tests" not in (ROOT / "Snakefile").read_text()
    assert shutil.which("atc", path=os.environ.get("PATH", "")) != str(ROOT / "tests/sim/bin/atc")
    assert Path(ROOT / "tests/sim/bin/atc").is_file()
