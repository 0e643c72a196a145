"""Ascend path: the exact ATC / ais_bench command lines the rules print, the simulator's layouts, the
workflow with Ascend chips (simulated), the one-line errors without CANN."""

import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from common import ROOT, new_workdir, run_script, shell_commands, snakemake, tool_env
from ganinfer import registry
from ganinfer.backends import ascend
from ganinfer.bench import BenchSettings, calibrated_loop
from ganinfer.errors import InputError
from ganinfer.fileio import list_bins, output_name, read_bin, write_bin
from ganinfer.onnxexport import export_onnx
from ganinfer.onnxgraph import simplify_onnx
from ganinfer.preprocess import make_inputs
from ganinfer.schema import setting

SIM = tool_env(simulator=True)


def dry_run(tmp_path, *config) -> dict[str, str]:
    """The commands `snakemake -n -p` prints for perf.csv on Ascend310P3 (``config``: more --config values)."""
    args = ["-n", "-p", "results/tables/perf.csv", "--config", "chips=[Ascend310P3]", *config]
    return shell_commands(snakemake(*args, cwd=new_workdir(tmp_path), env=tool_env(False)).stdout)


def test_atc_command_lines_follow_the_guides(tmp_path):
    """The guides' options, each model's extras from the registry (--input_format, none for DG-Net; CycleGAN's
    --out_nodes; DG-Net's keep list, written for --keep_dtype), ascend.precision_mode and ascend.device."""
    commands = dry_run(
        tmp_path,
        "models=[biggan,cyclegan_sat2map,dgnet]",
        "batch_sizes={biggan: [4], cyclegan_sat2map: [1], dgnet: [8]}",
        "ascend={precision_mode: force_fp32, device: 1}",
    )
    atc = "atc --framework=5 --model=results/{m}/onnx/{m}_bs{b}.onnx --output=results/{m}/om/{m}_bs{b}_Ascend310P3.atc "
    big = commands["compile_atc bs=4, chip=Ascend310P3, model=biggan"]
    assert (
        atc.format(m="biggan", b=4) + "--input_shape='noise:4,1,20;label:4,5,148' --soc_version=Ascend310P3 "
        "--log=error --input_format=ND $keep --precision_mode=force_fp32 >results/logs/compile/biggan_bs4_"
    ) in big
    assert "keep= set -- if" in big  # no keep list
    cyc = commands["compile_atc bs=1, chip=Ascend310P3, model=cyclegan_sat2map"]
    assert "--input_shape=img_sat_maps:1,3,256,256 " in cyc
    assert "--log=error --input_format=NCHW --out_nodes=Tanh_156:0 $keep --precision_mode=force_fp32 >" in cyc
    dg = commands["compile_atc bs=8, chip=Ascend310P3, model=dgnet"]
    assert (
        'set -- OpType::InstanceNorm OpType::Pow OpType::ReduceMean if [ "$#" -gt 0 ]; then '
        "printf '%s\\n' \"$@\" >results/dgnet/om/dgnet_keep_dtype.cfg "
        "keep=--keep_dtype=results/dgnet/om/dgnet_keep_dtype.cfg elif"
    ) in dg
    assert (
        atc.format(m="dgnet", b=8) + "--input_shape='image1:8,1,256,128;image2:8,3,256,128' --soc_version=Ascend310P3 "
        "--log=error $keep --precision_mode=force_fp32 >"  # the DG-Net guide passes no --input_format
    ) in dg
    # two-input models get their input folders in the model's input order
    assert (
        "python3 -m ais_bench --model results/dgnet/om/dgnet_bs8_Ascend310P3.om "
        "--input results/dgnet/inputs/image1,results/dgnet/inputs/image2 --output results/dgnet/ais/Ascend310P3 "
        "--output_dirname bs8 --outfmt BIN --batchsize 8 --device 1 >"
    ) in commands["infer_ais_bench bs=8, chip=Ascend310P3, model=dgnet"]
    perf = commands["perf_ais_bench bs=8, chip=Ascend310P3, model=dgnet, round=1"]
    assert perf.count("--display_all_summary 1 --device 1 >") == 2  # the probe and the timed run


def compile_om(spec, onnx, output, bs, *options):
    """The simulated atc with the options the compile rule always passes."""
    args = ["atc", "--framework=5", f"--model={onnx}", f"--output={output}"]
    args += [f"--input_shape={ascend.input_shape(spec, bs)}", "--soc_version=Ascend310P3", "--log=error", *options]
    return subprocess.run(args, env=SIM, capture_output=True, text=True)


@pytest.fixture(scope="module")
def dgnet_om(tmp_path_factory, demo_weights):
    """A small DG-Net (two inputs) simplified at bs 2 and compiled by the simulated atc."""
    from ganinfer import checkpoint, networks

    d = tmp_path_factory.mktemp("om")
    spec = registry.get("dgnet")
    arch = {"dim": 4, "width": 8, "mlp_dim": 32, "id_dim": 256}
    checkpoint.save_atomic(networks.demo_checkpoint(spec, 0, arch), d / "w.pth")
    export_onnx(spec, str(d / "w.pth"), d / "raw.onnx", bs=2)
    simplify_onnx(spec, str(d / "raw.onnx"), 2, d / "dgnet_bs2.onnx")
    make_inputs(spec, 3, 0, d / "inputs")
    (d / "keep.cfg").write_text("OpType::InstanceNorm\nOpType::Pow\nOpType::ReduceMean\n")
    proc = compile_om(spec, d / "dgnet_bs2.onnx", d / "dgnet_bs2", 2, f"--keep_dtype={d / 'keep.cfg'}")
    assert proc.returncode == 0 and "ATC run success" in proc.stdout, proc.stdout + proc.stderr
    om = json.loads((d / "dgnet_bs2.om").read_text())
    assert om["input_shape"] == {"image1": [2, 1, 256, 128], "image2": [2, 3, 256, 128]}
    assert om["soc_version"] == "Ascend310P3" and om["onnx"] == str(d / "dgnet_bs2.onnx")
    assert om["options"]["keep_dtype"] == str(d / "keep.cfg") and "input_format" not in om["options"]
    return spec, d


@pytest.fixture(scope="module")
def dcgan_om(tmp_path_factory, demo_weights):
    """DCGAN (one input of 400 bytes per sample) simplified at bs 2 and compiled by the simulated atc."""
    d = tmp_path_factory.mktemp("dcgan_om")
    spec = registry.get("dcgan")
    export_onnx(spec, str(demo_weights["dcgan"]), d / "raw.onnx")
    simplify_onnx(spec, str(d / "raw.onnx"), 2, d / "dcgan_bs2.onnx")
    proc = compile_om(spec, d / "dcgan_bs2.onnx", d / "dcgan_bs2", 2, "--input_format=NCHW")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    om = json.loads((d / "dcgan_bs2.om").read_text())
    assert om["input_shape"] == {"noise": [2, 100, 1, 1]} and om["options"]["input_format"] == "NCHW"
    return spec, d


def noise_folder(root, names, seed=0):
    """``<root>/noise/<name>`` for each name: one DCGAN sample each, distinct values."""
    folder = root / "noise"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for name in names:
        write_bin(rng.standard_normal((100, 1, 1)), folder / name)
    return folder


def ais(*args, env=SIM):
    return subprocess.run(["python3", "-m", "ais_bench", *map(str, args)], env=env, capture_output=True, text=True)


def ais_run(om, output, dirname, *options, env=SIM):
    """The simulated ais_bench with the options both ais_bench rules pass (batch size 2, device 0)."""
    run = ("--model", om, "--output", output, "--output_dirname", dirname, "--outfmt", "BIN", "--batchsize", 2)
    return ais(*run, "--device", 0, *options, env=env)


@pytest.mark.parametrize("layout", ["new", "old"])
def test_collect_reads_both_summary_layouts(dgnet_om, tmp_path, layout):
    spec, d = dgnet_om
    env = {**SIM, "AIS_BENCH_SIM_LAYOUT": layout}
    inputs = ",".join(str(d / "inputs" / t.name) for t in spec.inputs)
    proc = ais_run(d / "dgnet_bs2.om", tmp_path / "raw", "bs2", "--input", inputs, env=env)
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
    assert rec["NPU_compute_time"].get("count", 2) == 2  # one execution per batch (--loop 1)
    assert rec["samples"] == 3 and rec["output_shape"] == [3, 256, 128]
    # per sample, as ais_bench keys it; outfiles now point at the collected files
    assert rec["filesinfo"]["2"] == {
        "infiles": [str(d / "inputs" / "image1" / f"{stems[2]}.bin"), str(d / "inputs" / "image2" / f"{stems[2]}.bin")],
        "outfiles": [str(tmp_path / "out" / f"{stems[2]}_0.bin")],
    }
    assert json.loads((tmp_path / "s.json").read_text())["filesinfo"] == rec["filesinfo"]
    assert not (tmp_path / "raw" / "bs2").exists() and not (tmp_path / "raw" / "bs2_summary.json").exists()
    # the simulated device ran the ONNX: same as ONNX Runtime on that sample
    from ganinfer.backends.onnxruntime import OrtSession
    from ganinfer.inputs import InputSet

    feeds = InputSet(spec, d / "inputs").first_batch(2)
    ref = OrtSession(str(d / "dgnet_bs2.onnx"), "cpu", 1).run(feeds)
    np.testing.assert_allclose(read_bin(tmp_path / "out" / outs[0], (3, 256, 128)), ref[0], atol=1e-5)


def run_dcgan(d, inputs_root, raw, env=SIM, *extra):
    return ais_run(d / "dcgan_bs2.om", raw.parent, raw.name, "--input", inputs_root / "noise", *extra, env=env)


def test_sim_names_outputs_by_the_first_dot_and_keys_filesinfo_per_sample(dcgan_om, tmp_path):
    """The real rule (io_oprations.py: save_tensors_to_file): output name = input basename cut at its first
    dot + _<i>.bin; files in natural order with lower-cased text (utils.py: natural_sort); filesinfo per
    sample id batch * files_per_batch + j; the padding of the last batch writes nothing."""
    spec, d = dcgan_om
    noise_folder(tmp_path / "in", ["b10.bin", "B2.bin", "a.c.bin", "tile.v0.part.bin", "a.b.bin"])
    proc = run_dcgan(d, tmp_path / "in", tmp_path / "raw" / "bs2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "filesperbatch:2 runcount:3" in proc.stdout
    raw = tmp_path / "raw" / "bs2"
    assert sorted(p.name for p in raw.iterdir()) == ["B2_0.bin", "a_0.bin", "b10_0.bin", "tile_0.bin"]
    info = json.loads((tmp_path / "raw" / "bs2_summary.json").read_text())["filesinfo"]
    order = ["a.b.bin", "a.c.bin", "B2.bin", "b10.bin", "tile.v0.part.bin"]
    outs = ["a_0.bin", "a_0.bin", "B2_0.bin", "b10_0.bin", "tile_0.bin"]
    assert info == {
        str(i): {"infiles": [str(tmp_path / "in" / "noise" / n)], "outfiles": [str(raw / o)]}
        for i, (n, o) in enumerate(zip(order, outs, strict=True))
    }
    # a.c.bin came second and overwrote a.b.bin's output
    from ganinfer.backends.onnxruntime import OrtSession

    feeds = {"noise": np.stack([read_bin(tmp_path / "in" / "noise" / n, (100, 1, 1)) for n in order[:2]])}
    ref = OrtSession(str(d / "dcgan_bs2.onnx"), "cpu", 1).run(feeds)
    np.testing.assert_allclose(read_bin(raw / "a_0.bin", (1, 32, 32)), ref[1], atol=1e-5)
    assert not np.allclose(ref[0], ref[1])


def test_the_workflow_orders_samples_as_ais_bench_does(tmp_path):
    """utils.py: natural_sort lower-cases text parts; equal keys keep the plain sort (upper case first)."""
    for name in ("b10.bin", "a2.bin", "B2.bin", "A2.bin", "a10.bin", "x.npy"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_bins(tmp_path)] == ["A2.bin", "a2.bin", "a10.bin", "B2.bin", "b10.bin"]
    assert output_name("tile.v0.part.bin") == "tile_0.bin" and output_name("a.b.bin", 1, "NPY") == "a_1.npy"


def collect(inputs, raw, out, summary):
    return run_script(
        "collect-ais-outputs",
        *("--model", "dcgan", "--chip", "Ascend310P3", "--bs", 2, "--raw", raw, "--inputs", inputs),
        *("--out", out, "--summary", summary),
        check=False,
    )


def test_collector_fails_on_colliding_names_and_leaves_nothing(dcgan_om, tmp_path):
    spec, d = dcgan_om
    noise_folder(tmp_path / "in", ["a.b.bin", "a.c.bin", "x.bin"])
    assert run_dcgan(d, tmp_path / "in", tmp_path / "raw" / "bs2").returncode == 0
    proc = collect(tmp_path / "in", tmp_path / "raw/bs2", tmp_path / "out", tmp_path / "out_summary.json")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"error: {tmp_path / 'in' / 'noise'}: samples a.b.bin and a.c.bin both become a_0.bin (ais_bench names "
        "outputs by the input name cut at its first dot, so one would overwrite the other); give the samples "
        "unique dot-free names and re-run preprocess"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "raw"] and not list((tmp_path / "raw").iterdir())


def test_collector_maps_dotted_unique_names_back_to_the_samples(dcgan_om, tmp_path):
    spec, d = dcgan_om
    noise_folder(tmp_path / "in", ["tile.v0.part.bin", "x y.bin", "B2.bin"])
    assert run_dcgan(d, tmp_path / "in", tmp_path / "raw" / "bs2").returncode == 0
    proc = collect(tmp_path / "in", tmp_path / "raw/bs2", tmp_path / "out", tmp_path / "out_summary.json")
    assert proc.returncode == 0, proc.stderr
    assert "3 outputs collected" in proc.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["B2_0.bin", "tile.v0.part_0.bin", "x y_0.bin"]
    info = json.loads((tmp_path / "out_summary.json").read_text())["filesinfo"]
    assert [Path(info[k]["outfiles"][0]).name for k in ("0", "1", "2")] == [
        "B2_0.bin",
        "tile.v0.part_0.bin",
        "x y_0.bin",
    ]
    assert not (tmp_path / "raw" / "bs2").exists() and not (tmp_path / "raw" / "bs2_summary.json").exists()


@pytest.mark.parametrize("fault", ["missing", "extra", "stray input"])
def test_collector_names_the_first_missing_or_unexplained_file(dcgan_om, tmp_path, fault):
    spec, d = dcgan_om
    noise_folder(tmp_path / "in", ["s1.bin", "s2.bin", "s3.bin"])
    if fault == "stray input":  # ais_bench also reads .BIN (and .npy) files; the workflow's samples are .bin
        write_bin(np.zeros((100, 1, 1)), tmp_path / "in" / "noise" / "s4.BIN")
    assert run_dcgan(d, tmp_path / "in", tmp_path / "raw" / "bs2").returncode == 0
    raw = tmp_path / "raw" / "bs2"
    if fault == "missing":
        (raw / "s2_0.bin").unlink()
    if fault == "extra":
        (raw / "s2_1.bin").write_bytes(b"")
    proc = collect(tmp_path / "in", raw, tmp_path / "out", tmp_path / "out_summary.json")
    assert proc.returncode == 1
    expected = {
        "missing": f"error: {raw}: ais_bench wrote no output for 1 of 3 samples (first: s2.bin, expected s2_0.bin); "
        "see the rule's log",
        "extra": f"error: {raw}: s2_1.bin (and 0 more) belongs to no input sample; "
        "the workflow handles one output tensor per model",
        "stray input": f"error: {tmp_path / 'raw' / 'bs2_summary.json'}: ais_bench read "
        f"{tmp_path / 'in' / 'noise' / 's4.BIN'}, which is not a sample of {tmp_path / 'in'} (only .bin samples "
        "belong in an input folder; ais_bench also reads .BIN, .npy and .NPY files): remove it",
    }[fault]
    assert proc.stderr.splitlines() == [expected]
    assert not raw.exists() and not (tmp_path / "raw" / "bs2_summary.json").exists()
    assert not (tmp_path / "out").exists() and not (tmp_path / "out_summary.json").exists()


def test_sim_loop_warmup_and_device_time(dcgan_om, tmp_path):
    """--loop: each batch executed loop times, each timed (ModelInferenceProcessor.cpp); --warmup_count
    runs are reset away (__main__.py: warmup); the simulated device's time per execution."""
    spec, d = dcgan_om
    noise_folder(tmp_path / "in", ["s1.bin", "s2.bin", "s3.bin"])
    env = {**SIM, "AIS_BENCH_SIM_DEVICE_MS": "0.05"}
    proc = run_dcgan(d, tmp_path / "in", tmp_path / "bs2", env, "--loop", 4, "--warmup_count", 3)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "bs2_summary.json").read_text())
    assert list(summary) == [
        "filesinfo",
        "args",
        "NPU_compute_time",
        "H2D_latency",
        "D2H_latency",
        "throughput",
        "npu_compute_time_list",
        "pid",
    ]
    times = summary["npu_compute_time_list"]
    assert len(times) == 8 and summary["NPU_compute_time"]["count"] == 8  # 2 batches x 4, warm-up excluded
    assert all(0.0495 <= t <= 0.0505 for t in times)
    assert summary["NPU_compute_time"]["mean"] == pytest.approx(np.mean(times))
    assert summary["throughput"] == pytest.approx(1000 * 2 / np.mean(times))
    assert summary["H2D_latency"]["count"] == 2 and summary["D2H_latency"]["count"] == 2  # per batch
    assert "[INFO] warm up 3 done" in proc.stdout


def test_files_per_batch_come_from_input_0_only(dgnet_om, tmp_path):
    """ais_bench divides input 0's size (image1: 2x1x256x128 float32) by the size of input 0's first
    file (here an image2 file, 3x256x128): not a whole number, so the real tool stops with its own line."""
    spec, d = dgnet_om
    swapped = [str(d / "inputs" / "image2"), str(d / "inputs" / "image1")]
    proc = ais("--model", d / "dgnet_bs2.om", "--input", ",".join(swapped), "--output", tmp_path, "--batchsize", 2)
    assert proc.returncode == 1
    assert "[ERROR] arg0 tensorsize: 262144 filesize: 393216 not match" in proc.stdout.splitlines()
    assert proc.stderr.strip().splitlines()[-1] == "RuntimeError"


def test_simulator_rejects_what_the_tools_reject(dgnet_om, tmp_path):
    spec, d = dgnet_om
    one = ais("--model", d / "dgnet_bs2.om", "--input", d / "inputs" / "image1", "--output", tmp_path)
    assert one.returncode == 1
    assert "[ERROR] Invalid args. args input dir num:1 not equal to model inputs num:2" in one.stdout.splitlines()
    unknown = ais("--model", d / "dgnet_bs2.om", "--frobnicate", "1")
    assert unknown.returncode == 2 and "unrecognized arguments: --frobnicate" in unknown.stderr
    zero = ais("--model", d / "dgnet_bs2.om", "--loop", "0")
    assert zero.returncode == 2 and "argument --loop/-l: 0 is an invalid positive int value" in zero.stderr
    alone = ais("--model", d / "dgnet_bs2.om", "--output_dirname", "x")
    assert alone.returncode == 1 and "[ERROR] parameter --output_dirname cann't be used alone" in alone.stdout
    bad = ais("--model", d / "dgnet_bs2.om", "--input", f"{tmp_path / 'nothing'},{tmp_path / 'nothing'}")
    assert bad.returncode == 1 and f"[ERROR] Invalid args. {tmp_path / 'nothing'}  of --input is invalid" in bad.stdout

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


def perf_ais(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/time-ais-bench.py"), *map(str, args)], capture_output=True, text=True
    )


@pytest.mark.parametrize(("device_ms", "probe_loop"), [(0.05, 10), (40.0, 3)])
def test_calibrated_perf_record_is_valid_on_a_fast_and_a_slow_device(dcgan_om, tmp_path, device_ms, probe_loop):
    """Probe, calibrate, timed run, record: as the perf_ais_bench rule chains them, with min_seconds 0.5."""
    spec, d = dcgan_om
    env = {**SIM, "AIS_BENCH_SIM_DEVICE_MS": str(device_ms)}
    om = str(d / "dcgan_bs2.om")
    bench = ["--min-iterations", 10, "--min-seconds", 0.5, "--max-seconds", 60, "--max-cov", 0.1]
    common = ["--model", "dcgan", "--chip", "Ascend310P3", "--bs", 2, "--probe", tmp_path / "probe_bs2"]
    timed_run = ("--warmup_count", 2, "--display_all_summary", 1)
    probe = ais_run(om, tmp_path, "probe_bs2", "--loop", probe_loop, *timed_run, env=env)
    assert probe.returncode == 0, probe.stdout + probe.stderr
    probed = json.loads((tmp_path / "probe_bs2_summary.json").read_text())
    assert probed["NPU_compute_time"]["count"] == probe_loop  # warm-up runs are not in the summary
    assert probed["filesinfo"]["0"]["infiles"] == ["pure_infer_data"]  # no --input: one batch of zeros
    cal = perf_ais(*common, "--calibrate", *bench)
    assert cal.returncode == 0, cal.stderr
    loop = int(cal.stdout)
    mean_s = probed["NPU_compute_time"]["mean"] / 1000
    assert loop == max(10, math.ceil(1.1 * 0.5 / mean_s))  # enough for min_seconds, at least min_iterations
    timed = ais_run(om, tmp_path, "perf_bs2", "--loop", loop, *timed_run, env=env)
    assert timed.returncode == 0, timed.stderr
    out = tmp_path / "perf.json"
    args = [*common, "--raw", tmp_path / "perf_bs2", "--loop", loop, "--warmup-count", 2, "--out", out, *bench]
    proc = perf_ais(*args)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(out.read_text())
    assert rec["valid"] and rec["invalid_reason"] == ""
    assert rec["settings"] == {  # the harness settings passed in (warm-up ones at their defaults)
        "warmup": 1,
        "warmup_seconds": 0.5,
        "min_iterations": 10,
        "min_seconds": 0.5,
        "max_seconds": 60.0,
        "max_cov": 0.1,
    }
    assert rec["latency_ms"]["count"] == loop == rec["calibration"]["loop"]
    assert rec["calibration"]["probe_executions"] == probe_loop
    assert rec["calibration"]["probe_mean_ms"] == pytest.approx(probed["NPU_compute_time"]["mean"])
    lat = rec["latency_ms"]  # the timed duration is the sum of the NPU compute times
    assert rec["duration_s"] == pytest.approx(lat["mean"] * lat["count"] / 1000) and rec["duration_s"] >= 0.5
    # every latency up to 10,000 executions (the slow device), 1001 quantiles past that (the fast one)
    stored = rec.get("latencies_ms") or rec["latency_quantiles_ms"]
    assert len(stored) == (loop if loop <= 10_000 else 1001)
    assert rec["latency_ms"]["mean"] == pytest.approx(device_ms, rel=0.01)  # the simulated device's time
    assert rec["throughput_fps"] == pytest.approx(2000 / rec["latency_ms"]["mean"])
    assert rec["throughput_fps"] == pytest.approx(rec["ais_bench_throughput"])
    assert rec["warmup_runs"] == 2 and rec["H2D_latency_ms"] == pytest.approx(0.01)
    copies = rec["H2D_latency_ms"] + rec["D2H_latency_ms"]
    assert rec["timing"] == "device-only"
    assert rec["throughput_e2e_fps"] == pytest.approx(2000 / (rec["latency_ms"]["mean"] + copies))
    assert f"--loop {loop}, " in proc.stdout and "VALID" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["perf.json"]  # probe and timed folders removed


def test_loop_count_from_the_probe_mean():
    s = BenchSettings(min_iterations=10, min_seconds=0.5, max_seconds=60.0)
    assert calibrated_loop(0.05, s) == 11000  # ceil(1.1 * 0.5 s / 0.05 ms)
    assert calibrated_loop(40.0, s) == 14  # ceil(13.75)
    assert calibrated_loop(100.0, s) == 10  # 5.5 iterations reach min_seconds: min_iterations wins
    assert calibrated_loop(0.05, s, headroom=1.0) == 10000
    slow = BenchSettings(min_iterations=10, min_seconds=0.5, max_seconds=5.0)
    assert calibrated_loop(1000.0, slow) == 5  # max_seconds holds 5: the record will say "only 5 iterations"
    assert calibrated_loop(0.0, s) == 10
    assert calibrated_loop(1e6, slow) == 1


def test_missing_summary_is_one_clear_error(tmp_path):
    (tmp_path / "bs1").mkdir()
    with pytest.raises(InputError, match=r"bs1: no ais_bench summary \(bs1_summary\.json beside it or sumary\.json"):
        ascend.find_summary(tmp_path / "bs1")


TINY = """
models: [dcgan, dgnet]
batch_sizes: {dcgan: [1, 4], dgnet: [2]}
samples: 5
demo_architecture: {dgnet: {dim: 4, width: 8, mlp_dim: 32, id_dim: 256}}
perf: {warmup: 1, warmup_seconds: 0, min_iterations: 10, min_seconds: 0.5, max_seconds: 5.0, max_cov: 0.10}
ascend: {probe_loop: 3, warmup_count: 1}
perf_table: {ratios: [[Ascend310P3, cpu]], check: {chip: Ascend310P3, baseline: cpu, min_ratio: 0.5}}
"""


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_workflow_on_cpu_and_simulated_ascend(tmp_path):
    """A fast simulated NPU (0.05 ms per batch) whose atc writes <output>_<os>_<arch>.om: every Ascend
    output equals the cpu one, perf rows VALID with min_seconds 0.5; then a slow one (40 ms per batch);
    then a node without ais_bench."""
    wd = new_workdir(tmp_path)
    (wd / "t.yaml").write_text(TINY)
    fast = {**SIM, "AIS_BENCH_SIM_DEVICE_MS": "0.05", "ATC_SIM_OS_ARCH": "linux_x86_64"}
    target = ["--configfile", "t.yaml", "--config", "chips=[cpu,Ascend310P3]"]
    snakemake("--notemp", "results/tables/perf.csv", "-j2", *target, cwd=wd, env=fast)
    perf = {(r["model"], r["chip"], r["batch_size"]): r for r in rows(wd / "results/tables/perf.csv")}
    assert set(perf) == {
        (m, c, b) for m, b in (("dcgan", "1"), ("dcgan", "4"), ("dgnet", "2")) for c in ("cpu", "Ascend310P3")
    }
    for model, bs in (("dcgan", "1"), ("dcgan", "4"), ("dgnet", "2")):
        row = perf[(model, "Ascend310P3", bs)]
        assert row["backend"] == "ais_bench" and row["valid"] == "VALID", row["invalid_reason"]
        assert float(row["duration_s"]) >= 0.5 and float(row["latency_mean_ms"]) == pytest.approx(0.05, rel=0.01)
        loop = int(row["calibration"].split("-> loop ")[1].split()[0])
        # two rounds (config/config.yaml's), each calibrated alike on the simulator's steady device
        assert row["rounds"] == "2" and int(row["iterations"]) == 2 * loop
        assert row["calibration"].startswith("probe 3 x 0.05")
        assert loop == max(10, math.ceil(1.1 * 0.5 / (float(row["calibration"].split(" x ")[1].split()[0]) / 1000)))
    npu = perf[("dcgan", "Ascend310P3", "4")]
    assert npu["timing"] == "device-only" and npu["percent_of_peak"] == "" and npu["macs_per_image"] == "76611584"
    # the copies cost time: one H2D (one input) and one D2H of 0.01 ms each in the simulator
    assert float(npu["throughput_e2e_fps"]) == pytest.approx(4000 / (float(npu["latency_mean_ms"]) + 0.02), rel=2e-3)
    assert perf[("dcgan", "cpu", "4")]["calibration"] == ""  # the harness calibrates itself
    # the ratio column pairs the two rows' rounds (the records' throughputs, not the CSV's rounded ones)
    from ganinfer.rounds import paired_ratio

    records = [json.loads((wd / f"results/dcgan/perf/{c}/bs4.json").read_text()) for c in ("Ascend310P3", "cpu")]
    ratio, low, high = paired_ratio(*(r["round_fps"] for r in records))
    md = (wd / "results/tables/perf.md").read_text()
    assert "| batch size | Ascend310P3 (img/s) | cpu (img/s) | Ascend310P3/cpu | Ascend310P3 ≥ 0.5× cpu |" in md
    bs4 = next(line for line in md.splitlines() if line.startswith("| bs4 |"))
    check = records[0]["throughput_fps"] / records[1]["throughput_fps"]
    assert f"| {ratio:.2f} ({low:.2f}–{high:.2f}) | {'PASS' if check >= 0.5 else 'FAIL'} |" in bs4
    acc = {(r["model"], r["chip"], r["batch_size"]): r for r in rows(wd / "results/tables/accuracy.csv")}
    for key in (("dcgan", "Ascend310P3", "4"), ("dgnet", "Ascend310P3", "2")):
        assert acc[key]["backend"] == "ais_bench" and float(acc[key]["min_cosine"]) >= 0.9999
    # the suffixed .om was renamed to the target; it holds what atc was told
    assert sorted(p.name for p in (wd / "results/dcgan/om").iterdir()) == [
        "dcgan_bs1_Ascend310P3.om",
        "dcgan_bs4_Ascend310P3.om",
    ]
    om = json.loads((wd / "results/dcgan/om/dcgan_bs4_Ascend310P3.om").read_text())
    assert om["input_shape"] == {"noise": [4, 100, 1, 1]} and om["soc_version"] == "Ascend310P3"
    assert om["onnx"] == str(wd / "results/dcgan/onnx/dcgan_bs4.onnx")
    assert (wd / "results/dgnet/om/dgnet_keep_dtype.cfg").read_text().split() == [
        "OpType::InstanceNorm",
        "OpType::Pow",
        "OpType::ReduceMean",
    ]
    cpu_out, npu_out = (wd / f"results/dcgan/outputs/{c}/bs4" for c in ("cpu", "Ascend310P3"))
    names = sorted(p.name for p in npu_out.glob("*.bin"))
    assert names == sorted(p.name for p in cpu_out.glob("*.bin")) == [f"noise_{i:04d}_0.bin" for i in range(5)]
    for n in names:
        np.testing.assert_allclose(read_bin(npu_out / n), read_bin(cpu_out / n), atol=1e-5)
    assert not list((wd / "results/dcgan").glob("ais/*/*"))  # ais_bench's scratch folders are gone

    slow = {**SIM, "AIS_BENCH_SIM_DEVICE_MS": "40"}
    out = "results/dcgan/perf/Ascend310P3/bs4.json"
    snakemake(out, "-j1", "--forcerun", "perf_ais_bench", *target, cwd=wd, env=slow)
    rec = json.loads((wd / out).read_text())
    assert rec["valid"], rec["invalid_reason"]
    assert rec["calibration"]["loop"] == 14  # ceil(1.1 * 0.5 s / 40 ms)
    assert rec["latency_ms"]["count"] == 2 * 14 and rec["rounds"] == 2
    assert rec["duration_s"] >= 0.5 and rec["latency_ms"]["mean"] == pytest.approx(40, rel=0.01)
    assert not list((wd / "results/dcgan").glob("ais/*/*"))

    # atc present, ais_bench not importable by python3: one line in the log, shown last for the job
    no_ais = {**SIM, "PYTHONPATH": ""}
    summary = "results/dcgan/outputs/Ascend310P3/bs1_summary.json"
    proc = snakemake(summary, "-j1", "--forcerun", "infer_ais_bench", *target, cwd=wd, env=no_ais, check=False)
    assert proc.returncode != 0
    line = (
        "error: ais_bench not found: install the aclruntime and ais_bench wheels (Ascend/tools, "
        "ais-bench_workload/tool/ais_bench) in this environment and source CANN's set_env.sh "
        "(config ascend.set_env, now /usr/local/Ascend/ascend-toolkit/set_env.sh)"
    )
    log = "results/logs/infer/dcgan_Ascend310P3_bs1.log"
    assert (wd / log).read_text() == line + "\n"
    assert failed_job_report(proc, log)[-1] == line
    assert not (wd / "results/dcgan/outputs/Ascend310P3/bs1").exists() and not (wd / summary).exists()


def test_dry_run_prints_the_exact_commands(tmp_path):
    commands = dry_run(tmp_path, "models=[dcgan]", "batch_sizes=[16]")
    log = "results/logs/compile/dcgan_bs16_Ascend310P3.log"
    assert (
        "atc --framework=5 --model=results/dcgan/onnx/dcgan_bs16.onnx "
        "--output=results/dcgan/om/dcgan_bs16_Ascend310P3.atc --input_shape=noise:16,100,1,1 "
        f"--soc_version=Ascend310P3 --log=error --input_format=NCHW $keep >{log} 2>&1 "
        "set -- results/dcgan/om/dcgan_bs16_Ascend310P3.atc*.om"
    ) in commands["compile_atc bs=16, chip=Ascend310P3, model=dcgan"]

    infer = commands["infer_ais_bench bs=16, chip=Ascend310P3, model=dcgan"]
    raw, log = "results/dcgan/ais/Ascend310P3/bs16", "results/logs/infer/dcgan_Ascend310P3_bs16.log"
    assert f"trap 'rm -rf {raw} {raw}_summary.json' ERR python3 -m ais_bench " in infer
    assert (
        "python3 -m ais_bench --model results/dcgan/om/dcgan_bs16_Ascend310P3.om --input results/dcgan/inputs/noise "
        "--output results/dcgan/ais/Ascend310P3 --output_dirname bs16 --outfmt BIN --batchsize 16 --device 0 "
        f">{log} 2>&1"
    ) in infer
    assert infer.endswith(
        f"python3 {ROOT / 'scripts/collect-ais-outputs.py'} --model dcgan --chip Ascend310P3 --bs 16 --raw {raw} "
        "--inputs results/dcgan/inputs --out results/dcgan/outputs/Ascend310P3/bs16 "
        f"--summary results/dcgan/outputs/Ascend310P3/bs16_summary.json >>{log} 2>&1"
    )

    perf = commands["perf_ais_bench bs=16, chip=Ascend310P3, model=dcgan, round=2"]
    log = "results/logs/perf/dcgan_Ascend310P3_bs16_round2.log"
    probe, timed = (f"results/dcgan/ais/Ascend310P3/{k}_bs16_round2" for k in ("probe", "perf"))
    run = "python3 -m ais_bench --model results/dcgan/om/dcgan_bs16_Ascend310P3.om "
    run += "--output results/dcgan/ais/Ascend310P3 --output_dirname {} --outfmt BIN --batchsize 16 --loop {} "
    run += "--warmup_count 5 --display_all_summary 1 --device 0"
    # every perf setting: config/config.yaml's, else the schema's default
    with open(ROOT / "config/config.yaml") as f:
        settings = {k: p["default"] for k, p in setting("perf")["properties"].items()} | yaml.safe_load(f)["perf"]
    bench = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in settings.items())
    perf_ais = f"python3 {ROOT / 'scripts/time-ais-bench.py'} --model dcgan --chip Ascend310P3 --bs 16 --probe {probe}"
    loop = '"$loop"'  # the calibrated count, expanded by the shell
    assert perf.endswith(
        f"trap 'rm -rf {probe} {probe}_summary.json {timed} {timed}_summary.json' ERR "
        f"{run.format('probe_bs16_round2', 10)} >{log} 2>&1 "
        f"loop=$({perf_ais} --calibrate {bench} 2>>{log}) "
        f"{run.format('perf_bs16_round2', loop)} >>{log} 2>&1 "
        f"{perf_ais} --raw {timed} --loop {loop} --warmup-count 5 "
        f"--out results/dcgan/perf/Ascend310P3/bs16/round2.json {bench} >>{log} 2>&1"
    )


def failed_job_report(proc, log):
    """What Snakemake shows for a failed job, from its 'Error in rule' block to 'Shutting down'."""
    err = proc.stderr.splitlines()
    block = err[next(i for i, x in enumerate(err) if x.startswith("Error in rule")) :]
    block = block[: next(i for i, x in enumerate(block) if x.startswith("Shutting down"))]
    assert f"Logfile {log}:" in block
    return [x for x in block if x.strip() and set(x) != {"="}]


@pytest.mark.skipif(shutil.which("atc") is not None, reason="a real CANN toolkit is on PATH")
def test_without_cann_the_run_stops_with_one_line_in_the_log(tmp_path):
    wd = new_workdir(tmp_path)
    config = ["--config", "chips=[Ascend310P3]", "models=[dcgan]", "batch_sizes=[1]", "samples=2"]
    config.append("ascend={set_env: /nonexistent/set_env.sh}")
    om = "results/dcgan/om/dcgan_bs1_Ascend310P3.om"
    proc = snakemake(om, "-j1", *config, cwd=wd, env=tool_env(False), check=False)
    assert proc.returncode != 0
    line = (
        "error: atc not found: source the CANN toolkit's set_env.sh (config ascend.set_env, now "
        "/nonexistent/set_env.sh) or install the CANN toolkit on this node"
    )
    log = "results/logs/compile/dcgan_bs1_Ascend310P3.log"
    assert (wd / log).read_text() == line + "\n"
    assert failed_job_report(proc, log)[-1] == line
    assert not (wd / om).exists()


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
    assert "tests/sim" not in (ROOT / "Snakefile").read_text()
    sim_atc = str(ROOT / "tests/sim/bin/atc")
    plain = tool_env(False)
    assert shutil.which("atc", path=SIM["PATH"]) == sim_atc  # so the next line can fail
    assert shutil.which("atc", path=plain["PATH"]) != sim_atc
    where = "import ais_bench; print(ais_bench.__file__)"
    found = subprocess.run(["python3", "-c", where], env=SIM, capture_output=True, text=True).stdout.strip()
    assert found == str(ROOT / "tests/sim/ais_bench/__init__.py")
    found = subprocess.run(["python3", "-c", where], env=plain, capture_output=True, text=True).stdout.strip()
    assert found != str(ROOT / "tests/sim/ais_bench/__init__.py")  # empty, or a real ais_bench


def test_dataset_names_with_dots_and_spaces_survive_ais_bench(tmp_path):
    """A user's maps folder whose names ais_bench would cut or collide (first-dot rule, spaces): every
    sample gets a tool-safe stem, the Ascend outputs equal the cpu ones, accuracy PASSes, perf is VALID."""
    from PIL import Image

    wd = new_workdir(tmp_path)
    names = ["tile.v0.part.png", "x y.png", "a.b.png", "a.c.png"]
    data = wd / "maps"
    data.mkdir()
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(data / name)
    (wd / "t.yaml").write_text(
        "models: [cyclegan_sat2map]\nchips: [cpu, Ascend310P3]\nbatch_sizes: [1, 3]\nsamples: 4\n"
        f"datasets: {{cyclegan_sat2map: {data}}}\n"
        "demo_architecture: {cyclegan_sat2map: {ngf: 4, n_blocks: 1}}\n"
        "perf: {warmup: 1, warmup_seconds: 0, min_iterations: 5, min_seconds: 0.5, max_seconds: 5.0, max_cov: 0.5}\n"
        "ascend: {probe_loop: 3, warmup_count: 1}\n"
    )
    fast = {**SIM, "AIS_BENCH_SIM_DEVICE_MS": "0.05"}
    snakemake("--notemp", "results/tables/perf.csv", "-j2", "--configfile", "t.yaml", cwd=wd, env=fast)
    inputs = wd / "results/cyclegan_sat2map/inputs"
    manifest = json.loads((inputs / "manifest.json").read_text())["samples"]
    assert manifest == {
        "a_b": {"file": "a.b.png"},
        "a_c": {"file": "a.c.png"},
        "tile_v0_part": {"file": "tile.v0.part.png"},
        "x_y": {"file": "x y.png"},
    }
    for bs in (1, 3):
        cpu_out, npu_out = (wd / f"results/cyclegan_sat2map/outputs/{c}/bs{bs}" for c in ("cpu", "Ascend310P3"))
        got = sorted(p.name for p in npu_out.glob("*.bin"))
        assert got == sorted(p.name for p in cpu_out.glob("*.bin")) == sorted(f"{s}_0.bin" for s in manifest)
        for n in got:
            np.testing.assert_allclose(read_bin(npu_out / n), read_bin(cpu_out / n), atol=1e-5)
    acc = [r for r in rows(wd / "results/tables/accuracy.csv") if r["chip"] == "Ascend310P3"]
    assert [(r["batch_size"], r["samples"], r["passed"]) for r in acc] == [("1", "4", "PASS"), ("3", "4", "PASS")]
    perf = [r for r in rows(wd / "results/tables/perf.csv") if r["chip"] == "Ascend310P3"]
    assert [(r["batch_size"], r["valid"]) for r in perf] == [("1", "VALID"), ("3", "VALID")]
    assert not list((wd / "results/cyclegan_sat2map").glob("ais/*/*"))
