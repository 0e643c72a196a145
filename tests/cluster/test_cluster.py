"""The workflow on a real SLURM: a one-node cluster on localhost (tests/cluster/slurm_local.sh,
partitions cpu and npu, the node declares npu:4) driven through profiles/slurm-npu, with the
test-only atc / ais_bench simulator standing in for CANN. SLURM's own job records must show the
Ascend-class jobs in the npu partition with the npu gres and every other job in cpu without;
the results must equal a local run's. Run by `make test-cluster` (root: it installs and starts
slurmctld, slurmd and munge)."""

import csv
import os
import re
import subprocess

import numpy as np
import pytest

from common import ROOT, new_workdir, snakemake, tool_env
from ganinfer.fileio import read_bin

pytestmark = pytest.mark.skipif(
    os.environ.get("SLURM_LOCAL_TEST") != "1",
    reason="starts a local SLURM as root (apt-get install slurmctld slurmd slurm-client munge): make test-cluster",
)

SLURM_LOCAL = ROOT / "tests" / "cluster" / "slurm_local.sh"
ASCEND_RULES = {"compile_atc", "infer_ais_bench", "perf_ais_bench"}
TINY = """
models: [dcgan]
chips: [cpu, Ascend310P3]
batch_sizes: [2]
samples: 5
perf: {warmup: 1, warmup_seconds: 0, min_iterations: 3, min_seconds: 0.01, max_seconds: 5.0, max_cov: 10.0}
ascend: {probe_loop: 3, warmup_count: 1}
"""


def slurm_dir():
    return os.environ.get("SLURM_LOCAL_DIR", "/tmp/slurm-local")


@pytest.fixture(scope="module")
def cluster():
    """The local cluster, started for this module and stopped after it."""
    start = subprocess.run(["bash", str(SLURM_LOCAL), "start"], capture_output=True, text=True, timeout=600)
    assert start.returncode == 0, start.stdout + start.stderr
    env = {**tool_env(simulator=True), "SLURM_CONF": f"{slurm_dir()}/slurm.conf"}
    try:
        yield env
    finally:
        subprocess.run(["bash", str(SLURM_LOCAL), "stop"], capture_output=True, text=True, timeout=120)


def node(env):
    """CPUs and memory (MB) of the node, as SLURM sees it."""
    out = subprocess.run(
        ["scontrol", "-o", "show", "node", "localhost"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return int(re.search(r"CPUTot=(\d+)", out)[1]), int(re.search(r"RealMemory=(\d+)", out)[1])


def comment_rule(comment):
    """The plugin's job comment: rule_<rule>_wildcards_<values>, or rule_<group>_<rules> for a group."""
    return re.fullmatch(r"rule_(.+?)(_wildcards_.*)?", comment)[1]


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The tiny config once through SLURM (profiles/slurm-npu) and once locally."""
    cpus, mem = node(cluster)
    slurm_wd = new_workdir(tmp_path_factory.mktemp("slurm"))
    (slurm_wd / "tiny.yaml").write_text(TINY)
    # the site values of the profile set for this one node; status by squeue (no slurmdbd here)
    proc = snakemake(
        "--notemp",  # the tests read the device outputs
        "results/tables/perf.csv",
        "--workflow-profile",
        ROOT / "profiles" / "slurm-npu",
        "--configfile",
        "tiny.yaml",
        "--cores",
        cpus,
        "--resources",
        f"mem_mb={mem}",
        "--slurm-status-command",
        "squeue",
        "--slurm-no-account",
        "--slurm-init-seconds-before-status-checks",
        2,
        "--verbose",
        cwd=slurm_wd,
        env=cluster,
    )
    local_wd = new_workdir(tmp_path_factory.mktemp("local"))
    (local_wd / "tiny.yaml").write_text(TINY)
    snakemake(
        "--notemp", "results/tables/perf.csv", "-j2", "--configfile", "tiny.yaml", cwd=local_wd, env=tool_env(True)
    )
    return slurm_wd, local_wd, proc.stdout + proc.stderr


def test_profile_used_and_jobs_submitted_with_sbatch(runs):
    _, _, log = runs
    assert "Using workflow specific profile" in log and "profiles/slurm-npu" in log
    calls = [line.split(" --wrap=")[0] for line in log.splitlines() if line.startswith("sbatch call: ")]
    print("\n".join(calls))
    submitted = {}
    for call in calls:
        rule = comment_rule(re.search(r"--comment (\S+)", call)[1])
        submitted[rule] = call
        if rule in ASCEND_RULES:
            assert " -p npu " in call and " --gres=npu:1" in call, call
        else:
            assert " -p cpu " in call and "--gres" not in call, call
    assert ASCEND_RULES <= set(submitted)
    assert {"infer_onnxruntime", "perf_onnxruntime", "reference"} <= set(submitted)
    # tiny jobs grouped: accuracy and images of both chips in one submission
    assert "evaluate_accuracy_images" in submitted
    assert not {"accuracy", "images", "weights", "simplify_onnx"} & set(submitted)
    assert "--exclusive" in submitted["perf_onnxruntime"] and "--exclusive" in submitted["perf_ais_bench"]


def test_slurm_records_show_npu_gres_only_for_ascend_jobs(runs, cluster):
    _, _, log = runs
    run_id = re.search(r"SLURM run ID: (\S+)", log)[1]
    out = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--name", run_id, "--format=%i|%k|%P|%b|%T"],
        env=cluster,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    print(out)
    jobs = [line.split("|") for line in out.splitlines()]
    assert len(jobs) >= 8
    for job_id, comment, partition, tres_per_node, state in jobs:
        assert state == "COMPLETED", (job_id, comment)
        if comment_rule(comment) in ASCEND_RULES:
            assert (partition, tres_per_node) == ("npu", "gres:npu:1"), comment
        else:
            assert (partition, tres_per_node) == ("cpu", "N/A"), comment
    assert ASCEND_RULES <= {comment_rule(j[1]) for j in jobs}
    # slurmctld's completion log has a line for every one of these jobs
    jobcomp = open(f"{slurm_dir()}/jobcomp.txt").read().splitlines()
    for job_id, _, partition, _, _ in jobs:
        line = next(x for x in jobcomp if x.startswith(f"JobId={job_id} "))
        print(line)
        assert "JobState=COMPLETED" in line and f"Partition={partition} " in line and "ExitCode=0:0" in line


def test_results_equal_a_local_run(runs):
    slurm_wd, local_wd, _ = runs
    # The PyTorch reference is not bit-reproducible from run to run on every CPU: on a 2-core Intel Xeon VM with
    # AMX two runs with the same 2 threads differed by up to 5.4e-6 (oneDNN's threaded kernels), so the columns
    # measured against it are compared to that rounding; the inputs and the chips' outputs stay byte for byte.
    near = ("mean_cosine", "min_cosine", "mean_abs_diff", "max_abs_diff", "acc_percent", "worst_sample")
    acc, local_acc = rows(slurm_wd / "results/tables/accuracy.csv"), rows(local_wd / "results/tables/accuracy.csv")
    assert [{k: v for k, v in r.items() if k not in near} for r in acc] == [
        {k: v for k, v in r.items() if k not in near} for r in local_acc
    ]
    for ours, theirs in zip(acc, local_acc, strict=True):
        for k in ("mean_cosine", "min_cosine", "acc_percent"):
            assert ours[k] == theirs[k], (ours, k)
        for k in ("mean_abs_diff", "max_abs_diff"):
            assert float(ours[k]) == pytest.approx(float(theirs[k]), abs=1e-5), (ours, k)
    assert {(r["chip"], r["backend"]) for r in acc} == {("cpu", "onnxruntime"), ("Ascend310P3", "ais_bench")}
    key = ("model", "chip", "batch_size", "backend", "weights")
    perf = [tuple(r[k] for k in key) for r in rows(slurm_wd / "results/tables/perf.csv")]
    assert perf == [tuple(r[k] for k in key) for r in rows(local_wd / "results/tables/perf.csv")]
    for folder in ("inputs/noise", "reference", "outputs/cpu/bs2", "outputs/Ascend310P3/bs2"):
        ours = sorted((slurm_wd / "results/dcgan" / folder).glob("*.bin"))
        theirs = sorted((local_wd / "results/dcgan" / folder).glob("*.bin"))
        assert [p.name for p in ours] == [p.name for p in theirs] and len(ours) == 5
        if folder == "reference":
            for a, b in zip(ours, theirs, strict=True):
                np.testing.assert_allclose(read_bin(a), read_bin(b), rtol=0, atol=1e-5)
        else:
            assert [p.read_bytes() for p in ours] == [p.read_bytes() for p in theirs], folder
