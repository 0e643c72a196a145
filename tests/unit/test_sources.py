"""A stage's source files (ganinfer.workflow.sources): every kind of import is followed, a model's network module only
where the stage runs networks, and the library has no import cycle (the whole workflow's edits:
tests/workflow/test_reruns.py)."""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path

from common import ROOT, SCRIPTS
from ganinfer.workflow.sources import job_sources


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
    got = set(job_sources(tmp_path / "entry.py", cwd=tmp_path))
    assert got == set(files) - {"ganinfer/unused.py"}


def test_job_sources_give_a_model_its_own_network_only_where_the_stage_runs_networks(tmp_path):
    pkg = tmp_path / "ganinfer"
    (pkg / "models").mkdir(parents=True)
    files = {
        "stage_net.py": "from ganinfer import networks\n",
        "stage_plain.py": "from ganinfer import cli\n",
        "ganinfer/__init__.py": "",
        "ganinfer/cli.py": "def f():\n    from ganinfer.declared import build\n",
        "ganinfer/declared.py": "from ganinfer import spec\n",
        "ganinfer/spec.py": "",
        "ganinfer/networks.py": "import importlib\nM = lambda n: importlib.import_module(f'ganinfer.models.{n}')\n",
        "ganinfer/models/__init__.py": "",
        "ganinfer/models/a.py": "from ganinfer.models import helper\n",
        "ganinfer/models/helper.py": "",
        "ganinfer/models/b.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    own = ["ganinfer.models.a", "ganinfer.models.b", "ganinfer.declared"]
    net = set(job_sources(tmp_path / "stage_net.py", ["ganinfer.models.a"], own, cwd=tmp_path))
    assert net == {
        "stage_net.py",
        "ganinfer/__init__.py",
        "ganinfer/networks.py",
        "ganinfer/models/__init__.py",
        "ganinfer/models/a.py",
        "ganinfer/models/helper.py",
    }
    # a stage that runs no network gets none; every stage runs the declared models' builder (through cli)
    plain = set(job_sources(tmp_path / "stage_plain.py", ["ganinfer.models.a"], own, cwd=tmp_path))
    assert plain == {"stage_plain.py", "ganinfer/__init__.py", "ganinfer/cli.py"}
    declared = set(job_sources(tmp_path / "stage_plain.py", ["ganinfer.declared"], own, cwd=tmp_path))
    assert declared == plain | {"ganinfer/declared.py", "ganinfer/spec.py"}
    # outside the working folder the paths are absolute (a working folder moved without the workflow)
    outside = job_sources(tmp_path / "stage_plain.py", [], own, cwd=tmp_path / "ganinfer")
    assert outside == sorted(str(tmp_path / f) for f in ("stage_plain.py", "ganinfer/__init__.py", "ganinfer/cli.py"))


def imports(path: Path) -> set[str]:
    """Every ``ganinfer`` module ``path`` imports, at module level or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return {n for n in names if n.split(".")[0] == "ganinfer"}


def test_the_library_has_no_import_cycle():
    root = SCRIPTS
    modules = {}
    for p in (root / "ganinfer").rglob("*.py"):
        parts = list(p.relative_to(root).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph = {
        m: {t for t in imports(p) if t in modules and t != m and not m.startswith(t + ".")} for m, p in modules.items()
    }
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle
    assert graph["ganinfer.registry"] == {"ganinfer.errors", "ganinfer.spec"}
    assert graph["ganinfer.spec"] == set()


def test_no_stage_after_the_reference_runs_the_checkpoint_loader():
    own = ["ganinfer.models.dgnet", "ganinfer.declared", "ganinfer.backends.openvino"]
    for script in (
        "score-accuracy.py",
        "draw-grid.py",
        "write-pngs.py",
        "run-inference.py",
        "time-inference.py",
        "write-tables.py",
        "draw-plots.py",
    ):
        files = job_sources(SCRIPTS / script, ["ganinfer.models.dgnet"], own, cwd=ROOT)
        assert not {"scripts/ganinfer/checkpoint.py", "scripts/ganinfer/networks.py"} & set(files), script
        assert "scripts/ganinfer/models/dgnet.py" not in files
    reference = job_sources(SCRIPTS / "run-reference.py", ["ganinfer.models.dgnet"], own, ROOT)
    assert "scripts/ganinfer/models/dgnet.py" in reference


def test_scripts_holds_the_stage_scripts_alone_under_names_python_cannot_import():
    """Every scripts/*.py is what a rule runs (its script:, or a command line in its shell), and every one
    is named with a hyphen, so no stage script reads as a module of the library beside it."""
    rules = "\n".join(p.read_text() for p in sorted((ROOT / "rules").glob("*.smk")))
    run = set(re.findall(r'"\.\./scripts/([\w-]+\.py)"', rules)) | set(re.findall(r'"scripts", "([\w-]+\.py)"', rules))
    stages = {p.name for p in SCRIPTS.glob("*.py")}
    assert stages == run and len(stages) == 25
    library = {p.stem for p in (SCRIPTS / "ganinfer").rglob("*.py")}
    assert all("-" in name and not name[:-3].isidentifier() for name in stages)
    assert not {name[:-3].replace("-", "_") for name in stages} & library
