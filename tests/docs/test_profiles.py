"""Cluster profiles without a cluster: the resources and groups every job gets from
profiles/slurm-npu and profiles/donau-npu, read from Snakemake's dry run."""

import importlib.util
import os
import re

import pytest

from common import ROOT, new_workdir, snakemake, tool_env

PLUGINS = ("snakemake_executor_plugin_slurm", "snakemake_executor_plugin_donau")
pytestmark = pytest.mark.skipif(
    os.environ.get("CI") != "true" and not all(importlib.util.find_spec(p) for p in PLUGINS),
    reason="executor plugins not installed: pip install -r requirements-cluster.txt",
)

ASCEND_RULES = {"compile_atc", "infer_ais_bench", "perf_ais_bench"}
TIMED_RULES = {"perf_onnxruntime", "perf_ais_bench", "gemm_peak"}
GROUPS = {
    **dict.fromkeys(["weights", "preprocess", "export_onnx", "simplify_onnx"], "prepare"),
    **dict.fromkeys(["accuracy", "images", "pngs"], "evaluate"),
}
TINY = """
models: [dcgan]
chips: [cpu, Ascend310P3]
batch_sizes: [2]
samples: 3
"""


def dry_run_jobs(tmp_path, profile, config=TINY):
    """(rule, group, wildcards, resources) of every job of a dry run with the profile."""
    wd = new_workdir(tmp_path)
    (wd / "c.yaml").write_text(config)
    proc = snakemake(
        "results/tables/perf.csv",
        "-n",
        "--workflow-profile",
        ROOT / "profiles" / profile,
        "--configfile",
        "c.yaml",
        cwd=wd,
        env=tool_env(False),
    )
    out = proc.stdout + proc.stderr
    assert f"profiles/{profile} for setting default command line arguments" in out
    jobs, group = [], None
    for line in out.splitlines():
        if m := re.search(r"Group job (\w+) ", line):
            group = m[1]
        elif m := re.fullmatch(r"(\s*)rule (\w+):", line):
            jobs.append({"rule": m[2], "group": group if m[1] else None, "wildcards": {}, "resources": {}})
        elif m := re.fullmatch(r"\s+(wildcards|resources): (.*)", line):
            jobs[-1][m[1]] = dict(item.split("=", 1) for item in m[2].split(", "))
    assert jobs
    return jobs


def test_slurm_profile_sends_ascend_jobs_to_npu_nodes(tmp_path):
    jobs = dry_run_jobs(tmp_path, "slurm-npu")
    assert {j["rule"] for j in jobs} >= ASCEND_RULES | {"infer_onnxruntime", "accuracy", "images", "weights"}
    for job in jobs:
        res = job["resources"]
        if job["rule"] in ASCEND_RULES:
            assert (res["slurm_partition"], res["gres"]) == ("npu", "npu:1"), job
        else:
            assert res["slurm_partition"] == "cpu" and not res.get("gres"), job
        if job["rule"] in TIMED_RULES:
            assert res["slurm_extra"] == "--exclusive", job
        assert job["group"] == GROUPS.get(job["rule"]), job


def test_cluster_profiles_send_gpu_chips_to_gpu_nodes(tmp_path):
    config = TINY.replace("chips: [cpu, Ascend310P3]", "chips: [cpu, tensorrt]")
    slurm = dry_run_jobs(tmp_path / "s", "slurm-npu", config)
    donau = dry_run_jobs(tmp_path / "d", "donau-npu", config)
    timed = [j for j in slurm if j["rule"] in ("perf_onnxruntime", "gemm_peak", "infer_onnxruntime")]
    assert len(timed) == 8  # gemm_peak and infer per chip, perf 2 rounds (config/config.yaml) per chip
    for job in timed:
        gpu = job["wildcards"]["chip"] == "tensorrt"
        res = job["resources"]
        # the plugin turns the rules' gpu=1 into --gpus=1 (a gpu gres beside it is refused)
        assert (res["slurm_partition"], res["gres"], res["gpu"]) == (("gpu", "", "1") if gpu else ("cpu", "", "0")), job
    for job in donau:
        if job["rule"] in ("perf_onnxruntime", "gemm_peak", "infer_onnxruntime"):
            assert job["resources"]["queue"] == ("gpu" if job["wildcards"]["chip"] == "tensorrt" else "cpu"), job


def test_cluster_profiles_route_openvino_like_cpu(tmp_path):
    config = TINY.replace("chips: [cpu, Ascend310P3]", "chips: [cpu, openvino]")
    slurm = dry_run_jobs(tmp_path / "s", "slurm-npu", config)
    donau = dry_run_jobs(tmp_path / "d", "donau-npu", config)
    ov = [j for j in slurm if j["wildcards"].get("chip") == "openvino"]
    session_rules = {"infer_onnxruntime", "perf_onnxruntime", "gemm_peak"}
    assert session_rules <= {j["rule"] for j in ov}
    for job in (j for j in ov if j["rule"] in session_rules):
        res = job["resources"]
        assert (res["slurm_partition"], res["gres"], res["gpu"], res["npu"]) == ("cpu", "", "0", "0"), job
        if job["rule"] in ("perf_onnxruntime", "gemm_peak"):
            assert res["slurm_extra"] == "--exclusive", job
    for job in donau:
        if job["wildcards"].get("chip") == "openvino":
            assert job["resources"]["queue"] == "cpu", job


def test_slurm_profile_routes_onnxruntime_on_ascend_chips_to_npu_nodes(tmp_path):
    jobs = dry_run_jobs(tmp_path, "slurm-npu", TINY + "ascend: {runtime: ort-cann}\n")
    ort = [j for j in jobs if j["rule"] in ("infer_onnxruntime", "perf_onnxruntime")]
    assert len(ort) == 6 and not ASCEND_RULES & {j["rule"] for j in jobs}
    for job in ort:
        res = job["resources"]
        if job["wildcards"]["chip"] == "Ascend310P3":
            assert (res["slurm_partition"], res["gres"]) == ("npu", "npu:1"), job
        else:
            assert (res["slurm_partition"], res["gres"]) == ("cpu", ""), job


def test_donau_profile_sends_ascend_jobs_to_the_npu_queue(tmp_path):
    jobs = dry_run_jobs(tmp_path, "donau-npu")
    for job in jobs:
        res = job["resources"]
        assert res["queue"] == ("npu" if job["rule"] in ASCEND_RULES else "cpu"), job
        assert "gres" not in res and "slurm_partition" not in res
        if job["rule"] in TIMED_RULES:
            assert res["exclusive"] == "1", job
        assert job["group"] == GROUPS.get(job["rule"]), job


def test_cluster_doc_documents_the_profiles_and_their_site_values():
    readme = (ROOT / "docs" / "cluster.md").read_text()
    section = readme[readme.index("# Cluster submission") :]
    for text in (
        "snakemake --workflow-profile profiles/slurm-npu results/tables/perf.csv",
        "--workflow-profile profiles/donau-npu",
        "slurm_partition",
        "gres",
        "queue",
        "make test-cluster",
        "requirements-cluster.txt",
    ):
        assert text in section, text
