"""Conda environments per stage: every rule that runs code declares one, every env file parses
and pins exact versions (the pip ones equal to requirements.txt), and Snakemake accepts them
with --use-conda. No conda channel is reachable here, so conda itself is a stub that answers
only the questions of a dry run and fails anything that would create an environment."""

import re
import stat
from pathlib import Path
from types import SimpleNamespace

import yaml

from common import ROOT, new_workdir, snakemake, tool_env

ENVS = sorted((ROOT / "envs").glob("*.yaml"))
EXACT = re.compile(r"([A-Za-z0-9_.-]+) ?==? ?(\d[\w.]*)")


def requirements():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def workflow_rules(workdir):
    """(name, conda env, runs nothing) of every rule, from the workflow Snakemake loads."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import OutputSettings, ResourceSettings

    with SnakemakeApi(OutputSettings()) as api:
        wf = api.workflow(resource_settings=ResourceSettings(cores=1), snakefile=ROOT / "Snakefile", workdir=workdir)
        return [(r.name, r.conda_env, r.norun) for r in wf._workflow.rules]


def env_files(env) -> set[Path]:
    """The env file(s) a rule's conda: names; a function of the chip is asked for every kind of chip."""
    chips = ("cpu", "cuda", "tensorrt", "openvino", "Ascend310P3")
    names = {env(SimpleNamespace(chip=c)) for c in chips} if callable(env) else {env}
    return {(ROOT / "rules" / name).resolve() for name in names}


def test_every_rule_that_runs_code_declares_a_conda_env(tmp_path):
    rules = workflow_rules(new_workdir(tmp_path))
    assert len(rules) > 10
    for name, env, norun in rules:
        if norun:  # `all`: only inputs
            continue
        assert env, f"rule {name} has no conda:"
        assert env_files(env) <= set(ENVS), f"rule {name}: {env} is not in envs/"
    used = set().union(*(env_files(env) for _, env, _ in rules if env))
    assert used == set(ENVS), "an env file no rule uses"


def test_env_files_parse_and_pin_exact_versions():
    pins = requirements()
    assert len(ENVS) == 7
    for path in ENVS:
        env = yaml.safe_load(path.read_text())
        assert env["channels"] == ["conda-forge", "nodefaults"], path.name
        deps = env["dependencies"]
        conda = [d for d in deps if isinstance(d, str)]
        pip = next(d["pip"] for d in deps if isinstance(d, dict))
        assert {EXACT.fullmatch(d)[1] for d in conda} == {"python", "pip"}, path.name
        assert pip, path.name
        for spec in pip:
            name, version = spec.split("==")
            assert re.fullmatch(r"\d[\w.]*", version), spec
            wanted = pins.get(name.lower(), version)
            assert version == wanted, f"{path.name}: {spec} but requirements.txt has {wanted}"


STUB_CONDA = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/calls.log"
case "$*" in
  "info --json") echo '{"conda_prefix": "'"$(dirname "$0")"'/prefix", "platform": "linux-64"}' ;;
  "--version") echo "conda 25.1.1" ;;
  "config --get channel_priority --json") echo '{"get": {"channel_priority": "strict"}}' ;;
  *) echo "stub conda: would need a channel: $*" >&2; exit 1 ;;
esac
"""


def test_use_conda_dry_run_plans_one_env_per_stage(tmp_path):
    stub = tmp_path / "bin" / "conda"
    stub.parent.mkdir()
    stub.write_text(STUB_CONDA)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    env = tool_env(False)
    env["PATH"] = f"{stub.parent}:{env['PATH']}"
    wd = new_workdir(tmp_path / "wd")
    proc = snakemake(
        "results/tables/perf.csv",
        "--use-conda",
        "-n",
        "--config",
        "chips=[cpu,cuda,openvino,Ascend310P3]",
        cwd=wd,
        env=env,
    )
    planned = re.findall(r"Conda environment (\S+) will be created", proc.stdout + proc.stderr)
    assert sorted(Path(p).resolve() for p in planned) == ENVS
    calls = (stub.parent / "calls.log").read_text().splitlines()
    assert calls == ["info --json", "--version", "config --get channel_priority --json"]
    # --conda-create-envs-only creates the environments even with -n: conda is asked for the first
    proc = snakemake("--use-conda", "--conda-create-envs-only", "-n", cwd=wd, env=env, check=False)
    assert proc.returncode != 0 and "stub conda: would need a channel: env create" in proc.stdout + proc.stderr
