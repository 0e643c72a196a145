"""The source files a job runs, as its rule's code inputs: editing one reruns exactly the jobs that run it.

- A stage's files: its entry script and every ``ganinfer`` module it imports, directly or through other
  modules (imports inside functions count too), except the modules that hold one model's own code.
- A job's own code, loaded by name at run time: its model's (``model_module``: a built-in model's network
  module, or for a model declared in the config the module that builds its spec, ``ganinfer.declared``)
  and its chip's session module where that is not ONNX Runtime's (``backends.session_module``: OpenVINO),
  each with the modules it imports. Such a module is a code input of its model's or chip's jobs alone,
  and only in the stages that import its loader (``LOADERS``: ``ganinfer.networks`` for a network module;
  ``ganinfer.cli``, which declares the config's models in every job, for the spec builder;
  ``ganinfer.backends`` for a session module).

Paths are relative to the working directory, so a finished run copied elsewhere, or opened from a cluster
node that mounts it under another path, keeps the same inputs.

Imports are read with ``ast`` (nothing is imported or run), so the lists are known while the DAG is built.
Written by hand: ``modulefinder`` would follow numpy and torch too, and knows no per-model code.
"""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "ganinfer"
NETWORKS = "ganinfer.models"  # the package of the network modules (ModelSpec.network names one)
DECLARED = "ganinfer.declared"  # builds a declared model's spec from its onnx_models entry
SESSIONS = "ganinfer.backends"  # the package of the session modules (backends.session_module names one)
# the module through which stages run each kind of own code: a module, or a package for all of its modules
LOADERS = {NETWORKS: "ganinfer.networks", DECLARED: "ganinfer.cli", SESSIONS: "ganinfer.backends"}


def model_module(network: str) -> str:
    """The dotted module holding a model's own code: ``network``'s module, or for a declared model
    (no network) the spec builder."""
    return f"{NETWORKS}.{network}" if network else DECLARED


def _module_file(root: Path, dotted: str) -> Path | None:
    """``ganinfer.a.b`` -> scripts/ganinfer/a/b.py or .../b/__init__.py; None when it is no module."""
    base = root.joinpath(*dotted.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@functools.cache  # every stage walks the shared modules again: each file is parsed once per DAG
def _imports(path: Path, root: Path) -> frozenset[str]:
    """Dotted names of what ``path`` imports from ``ganinfer`` (``from ganinfer.a import b`` gives
    ``ganinfer.a`` and ``ganinfer.a.b``, a module or not), and of string constants naming a module
    (``importlib.import_module("ganinfer.backends.openvino")``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: from the importing module's package
                package = path.relative_to(root).with_suffix("").parts[: -node.level]
                module = ".".join([*package, *filter(None, [module])])
            if module.split(".")[0] == PACKAGE:
                names.add(module)
                names.update(f"{module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(PACKAGE + "."):
            names.add(node.value)
    return frozenset(names)


@functools.cache
def closure(start: Path, root: Path, excluded: frozenset[Path] = frozenset()) -> frozenset[Path]:
    """``start`` and every module it reaches through ``ganinfer`` imports, never entering ``excluded``."""
    seen: set[Path] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen or path in excluded:
            continue
        seen.add(path)
        for dotted in _imports(path, root):
            parts = dotted.split(".")
            # a package's __init__ runs before any of its modules
            for i in range(1, len(parts) + 1):
                found = _module_file(root, ".".join(parts[:i]))
                if found is not None:
                    todo.append(found)
    return frozenset(seen)


def _loader(module: str) -> str:
    return LOADERS.get(module) or LOADERS[module.rpartition(".")[0]]


def job_sources(
    script: str | os.PathLike,
    own: Iterable[str | None] = (),
    excluded: Iterable[str] = (),
    cwd: str | os.PathLike | None = None,
) -> list[str]:
    """The code inputs of one job: the stage's files (``script``'s closure, none of the ``excluded``
    modules entered: every module that only some jobs run) and, for each of the job's ``own`` modules
    whose loader the stage imports, that module's closure; sorted. Relative to ``cwd`` (default: the
    working directory) when the scripts lie inside it (a clone run in place, moved as a whole), else
    absolute (a working folder of its own, moved without the workflow)."""
    script = Path(script).resolve()
    root = script.parent
    skip = frozenset(p for p in (_module_file(root, m) for m in excluded) if p is not None)
    files = set(closure(script, root, skip))
    for module in filter(None, own):
        path = _module_file(root, module)
        if _module_file(root, _loader(module)) in files:
            files |= closure(path, root, skip - {path})
    base = Path(cwd or os.getcwd()).resolve()
    inside = root.is_relative_to(base)
    return sorted(os.path.relpath(p, base) if inside else str(p) for p in files)
