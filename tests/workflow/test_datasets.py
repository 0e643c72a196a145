"""The workflow on the user's own images and weights: every image a sample under a tool-safe
stem with the user's names in the tables and image files (case 1), and changes to the data
or a configured checkpoint rerun exactly what depends on them (case 2)."""

import csv
import json
import os
import re
import shutil

import pytest
from PIL import Image

from common import new_workdir, run_script, snakemake

CONFIG = """
models: [gan, cyclegan_sat2map]
chips: [cpu]
batch_sizes: {gan: [2], cyclegan_sat2map: [2]}
samples: {gan: 3, cyclegan_sat2map: all}
datasets: {cyclegan_sat2map: data}
weights: {gan: {path: gan.pth}}
demo_architecture: {cyclegan_sat2map: {ngf: 4, n_blocks: 1}}
perf: {warmup: 1, warmup_seconds: 0, min_iterations: 2, min_seconds: 0.01, max_seconds: 5.0, max_cov: 10.0}
images: {grid_count: 4, pngs: smallest}  # PNGs named after the user's files
"""
NAMES = ["img1.jpg", "img1.png", "img2.png", "tile.v0.part.png", "x y.png"]
DOWNSTREAM = {"infer_onnxruntime", "reference", "accuracy", "images", "pngs"}


def picture(path, colour, size=(48, 40)):
    Image.new("RGB", size, colour).save(path)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    wd = new_workdir(tmp_path_factory.mktemp("data"))
    (wd / "c.yaml").write_text(CONFIG)
    (wd / "data").mkdir()
    for k, name in enumerate(NAMES):
        picture(wd / "data" / name, (40 * k, 120, 200))
    run_script("prepare-weights", "--model", "gan", "--out", wd / "gan.pth", "--info", wd / "gan.json")
    snakemake("--notemp", "results/tables/perf.csv", "-j2", "--configfile", "c.yaml", cwd=wd)
    return wd


def planned(wd) -> set[tuple[str, str]]:
    """(rule, model) of every job a dry run schedules (model '' for rules without one)."""
    proc = snakemake("-n", "results/tables/perf.csv", "--configfile", "c.yaml", cwd=wd)
    jobs = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if m := re.fullmatch(r"(?:local)?rule (\w+):", line.strip()):
            jobs.append([m[1], ""])
        elif jobs and (m := re.match(r"wildcards: (?:.*, )?model=(\w+)", line.strip())):
            jobs[-1][1] = m[1]
    return {tuple(job) for job in jobs}


def test_every_image_is_a_sample_with_the_users_names(run):
    r = run / "results/cyclegan_sat2map"
    manifest = json.loads((r / "inputs/manifest.json").read_text())
    files = {stem: e["file"] for stem, e in manifest["samples"].items()}
    assert sorted(files.values()) == sorted(NAMES) and manifest["dataset"] == "data"
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", stem) for stem in files)
    outs = sorted(p.name for p in (r / "outputs/cpu/bs2").glob("*.bin"))
    assert outs == sorted(f"{stem}_0.bin" for stem in files)
    assert sorted(p.name for p in (r / "images/cpu/bs2").glob("*.png")) == sorted(f"{n}.png" for n in NAMES)
    with open(run / "results/tables/accuracy.csv") as f:
        rows = {row["model"]: row for row in csv.DictReader(f)}
    assert rows["cyclegan_sat2map"]["samples"] == "5" and rows["cyclegan_sat2map"]["worst_sample"] in NAMES
    assert rows["gan"]["samples"] == "3" and rows["gan"]["worst_sample"].endswith("_0.bin")
    listing = (run / "resources/tracked/cyclegan_sat2map_dataset.tsv").read_text()
    assert listing.startswith("# data: 5 images\n") and "data/x y.png\t" in listing


def test_changed_data_and_weights_rerun_exactly_their_jobs(run):
    wd = run
    assert planned(wd) == set()  # nothing to do after the run
    old = os.stat(wd / "data/img2.png")
    picture(wd / "data/img2.png", (0, 0, 0))  # replaced in place, its old mtime restored
    os.utime(wd / "data/img2.png", ns=(old.st_atime_ns, old.st_mtime_ns))
    # the model's own rows only: no other model's timed row, no GEMM peak
    cyclegan = {(rule, "cyclegan_sat2map") for rule in {"preprocess", "perf_onnxruntime", "perf_rounds", *DOWNSTREAM}}
    assert planned(wd) == cyclegan | {("tables", "")}
    picture(wd / "data/new.png", (9, 9, 9))  # added
    (wd / "data/img1.jpg").unlink()  # removed
    assert planned(wd) == cyclegan | {("tables", "")}
    # the configured checkpoint replaced in place by another one with an older mtime (cp -p)
    run_script("prepare-weights", "--model", "gan", "--seed", 5, "--out", wd / "other.pth", "--info", wd / "other.json")
    shutil.copyfile(wd / "other.pth", wd / "gan.pth")
    os.utime(wd / "gan.pth", ns=(old.st_atime_ns, old.st_mtime_ns))
    gan = {
        (rule, "gan")
        for rule in {"weights", "export_onnx", "simplify_onnx", "macs", "perf_onnxruntime", "perf_rounds", *DOWNSTREAM}
    }
    assert planned(wd) == cyclegan | gan | {("tables", "")}
    snakemake("--notemp", "results/tables/perf.csv", "-j2", "--configfile", "c.yaml", cwd=wd)
    assert planned(wd) == set()
    names = {
        e["file"]
        for e in json.loads((wd / "results/cyclegan_sat2map/inputs/manifest.json").read_text())["samples"].values()
    }
    assert names == {"img1.png", "img2.png", "tile.v0.part.png", "x y.png", "new.png"}
    assert len(list((wd / "results/cyclegan_sat2map/outputs/cpu/bs2").glob("*.bin"))) == 5
    assert (
        json.loads((wd / "resources/weights/gan.json").read_text())["sha256"]
        == json.loads((wd / "other.json").read_text())["sha256"]
    )


def test_misspelt_paths_stop_before_any_job_and_keep_the_outputs(run):
    """cases 3 and 11: a misspelt checkpoint or too few images fail while the DAG is built."""
    before = (run / "resources/weights/gan.pth").read_bytes()
    for override, message in (
        ("weights={gan: {path: gan.pht}}", "config error: gan.pht: weights file for model 'gan' not found"),
        (
            "samples={cyclegan_sat2map: 9}",
            "config error: data: 5 usable images, but samples asks for 9 for model 'cyclegan_sat2map'; add images, "
            "lower samples.cyclegan_sat2map to 5 or set it to 'all'",
        ),
    ):
        proc = snakemake("-j1", "--configfile", "c.yaml", "--config", override, cwd=run, check=False)
        assert proc.returncode != 0 and message in proc.stdout + proc.stderr
    assert (run / "resources/weights/gan.pth").read_bytes() == before
    assert len(list((run / "results/cyclegan_sat2map/inputs/img_sat_maps").iterdir())) == 5


def test_corrupt_intermediate_and_unexpected_errors_in_a_job(run):
    """cases 6 and 5 through Snakemake: the line names the file and the rebuild, the rule's log holds
    it; an unexpected exception leaves its traceback in the log and its last line on the console."""
    onnx = run / "results/gan/onnx/gan_bs2.onnx"
    onnx.write_bytes(onnx.read_bytes()[:4000])
    proc = snakemake("-j1", "--configfile", "c.yaml", "-f", "results/gan/outputs/cpu/bs2", cwd=run, check=False)
    line = (
        "error: results/gan/onnx/gan_bs2.onnx: not a readable ONNX model (INVALID_PROTOBUF); it is built by rule "
        "simplify_onnx (corrupt or truncated): delete it and re-run to rebuild it, or add '-R simplify_onnx' "
        "to the snakemake command"
    )
    assert proc.returncode != 0 and line in proc.stderr.splitlines()
    assert line in (run / "results/logs/infer/gan_cpu_bs2.log").read_text().splitlines()
    assert not (run / "results/gan/outputs/cpu/bs2").exists()
    onnx.unlink()
    summary = run / "results/gan/outputs/cpu/bs2_summary.json"
    snakemake(str(summary.relative_to(run)), "-j1", "--configfile", "c.yaml", cwd=run)  # rebuilt by its rule
    summary.write_text("{not json")
    proc = snakemake("-j1", "--configfile", "c.yaml", "-f", "results/gan/images/cpu/bs2", cwd=run, check=False)
    log = run / "results/logs/images/gan_cpu_bs2.log"
    assert "Traceback (most recent call last):" in log.read_text()
    assert (
        "error: json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 "
        f"(char 1) (full traceback in {log.relative_to(run)})"
    ) in proc.stderr.splitlines()
