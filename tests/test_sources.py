"""A stage's source files (ganinfer.sources) are its rules' inputs: editing a library module reruns the jobs
of exactly the stages that import it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SCRIPTS

from ganinfer.sources import stage_sources

WORKFLOW = ("Snakefile", "rules", "scripts", "config", "envs", "report", "profiles")


def rel(paths, root) -> set[str]:
    return {Path(p).relative_to(root).as_posix() for p in paths}


def test_sources_follow_every_kind_of_import(tmp_path):
    pkg = tmp_path / "ganinfer"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "entry.py": "import os\nfrom ganinfer import a\nfrom ganinfer.b import f\n",
        "ganinfer/__init__.py": "",
        "ganinfer/a.py": "import ganinfer.sub.c\n",
        "ganinfer/b.py": "def f():\n    from ganinfer import d\n    return d\n",
        "ganinfer/sub/__init__.py": "",
        "ganinfer/sub/c.py": "from numpy import ganinfer\n",
        "ganinfer/d.py": "import importlib\nMOD = importlib.import_module('ganinfer.e')\n",
        "ganinfer/e.py": "from . import f\nfrom .sub import g\n",
        "ganinfer/f.py": "",
        "ganinfer/sub/g.py": "",
        "ganinfer/unused.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    got = rel(stage_sources(str(tmp_path / "entry.py")), tmp_path)
    assert got == set(files) - {"ganinfer/unused.py"}


def test_the_stages_sources_are_what_they_import():
    acc = rel(stage_sources(str(SCRIPTS / "accuracy.py")), SCRIPTS)
    assert {"accuracy.py", "ganinfer/__init__.py", "ganinfer/accuracy.py", "ganinfer/registry.py"} <= acc
    assert "ganinfer/bench.py" not in acc and "ganinfer/backends/__init__.py" not in acc
    perf = rel(stage_sources(str(SCRIPTS / "perf.py")), SCRIPTS)
    # the OpenVINO session is imported by name (backends.SESSION_BACKENDS)
    assert {"ganinfer/bench.py", "ganinfer/stats.py", "ganinfer/backends/openvino.py"} <= perf
    assert "ganinfer/accuracy.py" not in perf


def dry_run_jobs(wd: Path, *args) -> dict[str, int]:
    """Rule -> job count of a dry run ({} when there is nothing to be done)."""
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-j1", *args],
        cwd=wd,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = proc.stdout.splitlines()
    if "Job stats:" not in lines:
        assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout
        return {}
    table = lines[lines.index("Job stats:") + 3 :]
    jobs = {}
    for line in table[: table.index("")]:
        name, count = line.split()
        jobs[name] = int(count)
    jobs.pop("total")
    return jobs


def test_touching_a_library_module_reruns_the_stages_that_import_it(tmp_path):
    wd = tmp_path / "wf"
    wd.mkdir()
    for name in WORKFLOW:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, wd / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, wd / name)
    target = "results/dcgan/accuracy/cpu/bs1.json"
    args = [target, "--config", "models=[dcgan]", "chips=[cpu]", "batch_sizes=[1]", "samples=2"]
    subprocess.run([sys.executable, "-m", "snakemake", "-j2", *args], cwd=wd, capture_output=True, check=True)
    assert dry_run_jobs(wd, *args) == {}

    # a newer file with the same content is no change: Snakemake compares the checksums it recorded
    module = wd / "scripts/ganinfer/accuracy.py"
    later = (wd / target).stat().st_mtime + 10
    os.utime(module, (later, later))
    assert dry_run_jobs(wd, *args) == {}
    edit(module)
    assert dry_run_jobs(wd, *args) == {"accuracy": 1}

    # the inputs module is read by the inference and reference stages: they rerun, and so does accuracy
    edit(wd / "scripts/ganinfer/inputs.py")
    assert dry_run_jobs(wd, *args) == {"accuracy": 1, "infer_onnxruntime": 1, "reference": 1}


def edit(path: Path) -> None:
    path.write_text(path.read_text() + "\n# edited\n")
