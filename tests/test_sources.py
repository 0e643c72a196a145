"""A stage's source files (ganinfer.workflow.sources): every kind of import is followed (the whole workflow's edits:
tests/test_reruns.py)."""

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
