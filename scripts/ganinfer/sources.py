"""The source files a stage runs: its entry script and every ``ganinfer`` module it imports, directly or
through other modules. The rules declare them as inputs, so editing a library module reruns the jobs of
every stage that imports it (Snakemake itself tracks only the entry script's code).

Imports are read with ``ast`` (nothing is imported or run), so the list is known while the DAG is built;
imports inside functions count too. Written by hand: ``modulefinder`` would follow numpy and torch too.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = "ganinfer"


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
def stage_sources(script: str) -> tuple[str, ...]:
    """The entry script and every ``ganinfer`` module it reaches, sorted (absolute paths)."""
    script_path = Path(script).resolve()
    root = script_path.parent
    seen: set[Path] = set()
    todo = [script_path]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for dotted in _imports(path, root):
            parts = dotted.split(".")
            # a package's __init__ runs before any of its modules
            for i in range(1, len(parts) + 1):
                found = _module_file(root, ".".join(parts[:i]))
                if found is not None:
                    todo.append(found)
    return tuple(sorted(str(p) for p in seen))
