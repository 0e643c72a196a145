"""What tests of every kind use: the repository's paths, a stage script run by hand, Snakemake on a working
folder, and the environment of the shell rules' tools. Imported by name (tests/ is on the path); the fixtures
are in conftest.py."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def stage(name: str):
    """The stage script ``scripts/<name>.py`` as a module (its hyphenated name cannot be imported)."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *args, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``scripts/<name>.py`` by hand, as a user would."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPTS / f"{name}.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, "PYTHONPATH": ""},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{name}.py failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def snakemake(*args, cwd: Path, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(map(str, args))} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def new_workdir(path: Path) -> Path:
    """A working folder as a deployed workflow has it: config/config.yaml (and a README) in it."""
    (path / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "config" / "config.yaml", path / "config" / "config.yaml")
    shutil.copy(ROOT / "README.md", path / "README.md")
    return path


def shell_commands(dry_run: str) -> dict[str, str]:
    """Each job's shell command in a ``snakemake -n -p`` output, by ``<rule> <wildcards>`` (in name order, e.g.
    ``infer_ais_bench bs=4, chip=Ascend310P3, model=dcgan``), on one line (the continuation lines joined, every
    run of white space one space)."""
    commands = {}
    for block in dry_run.split("\n\n"):
        rule, wildcards = re.search(r"^rule (\w+):", block, re.M), re.search(r"^    wildcards: (.*)$", block, re.M)
        if rule and wildcards and "Shell command:" in block:
            command = block.split("Shell command:", 1)[1].replace("\\\n", " ")
            commands[f"{rule[1]} {', '.join(sorted(wildcards[1].split(', ')))}"] = " ".join(command.split())
    return commands


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("error: ")]


def tool_env(simulator: bool) -> dict:
    """Environment for shell rules: this Python first on PATH (``python3`` in the Ascend
    rules), and with ``simulator`` the test-only atc / ais_bench simulator."""
    path = [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    env = {**os.environ, "PYTHONPATH": ""}
    if simulator:
        path.insert(0, str(ROOT / "tests" / "sim" / "bin"))
        env["PYTHONPATH"] = str(ROOT / "tests" / "sim")
    env["PATH"] = os.pathsep.join(path)
    return env
