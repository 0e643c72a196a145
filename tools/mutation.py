"""`make mutation`: mutmut over the numeric and I/O library modules, then the score.

Stages ``.mutation/`` (git-ignored): ``src/ganinfer`` = a copy of ``scripts/ganinfer`` (mutmut names
modules from paths under ./ or src/), ``tests/``, ``pyproject.toml`` (``[tool.mutmut]`` says which
modules and which tests) and ``config/schema.yaml`` (the harness's defaults). Every run starts from a
clean ``.mutation/mutants`` (mutmut reused verdicts of unchanged source after the tests had changed).
Runs ``mutmut run --max-children N`` (default 1; ``MUTATION_CHILDREN``), then prints killed /
survived / total, the score and every mutant not killed.
Exit status 1 below ``MUTATION_MIN`` percent (default 90).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".mutation"


def sync(src: Path, dst: Path) -> None:
    """Copy ``src`` over ``dst``, keeping files whose content is unchanged (so mutmut's cache holds)."""
    keep = set()
    for path in src.rglob("*"):
        if "__pycache__" in path.parts or path.suffix == ".pyc" or ".hypothesis" in path.parts:
            continue
        rel = path.relative_to(src)
        keep.add(rel)
        target = dst / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif not target.is_file() or target.read_bytes() != path.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    for path in sorted(dst.rglob("*"), reverse=True) if dst.exists() else []:
        rel = path.relative_to(dst)
        if rel not in keep and "__pycache__" not in rel.parts and ".hypothesis" not in rel.parts:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def main() -> int:
    children = os.environ.get("MUTATION_CHILDREN", "1")
    minimum = float(os.environ.get("MUTATION_MIN", "90"))
    STAGE.mkdir(exist_ok=True)
    shutil.rmtree(STAGE / "mutants", ignore_errors=True)  # start clean: mutmut kept old verdicts after test edits
    sync(ROOT / "scripts" / "ganinfer", STAGE / "src" / "ganinfer")
    sync(ROOT / "tests", STAGE / "tests")
    shutil.copy2(ROOT / "pyproject.toml", STAGE / "pyproject.toml")
    (STAGE / "config").mkdir(exist_ok=True)  # the harness's defaults are the schema's
    shutil.copy2(ROOT / "config" / "schema.yaml", STAGE / "config" / "schema.yaml")
    mutmut = [sys.executable, "-m", "mutmut"]
    env = {**os.environ, "PYTHONPATH": ""}
    start = time.monotonic()
    run = subprocess.run([*mutmut, "run", "--max-children", children], cwd=STAGE, env=env)
    seconds = time.monotonic() - start
    subprocess.run([*mutmut, "export-cicd-stats"], cwd=STAGE, env=env, check=True, capture_output=True)
    stats = json.loads((STAGE / "mutants" / "mutmut-cicd-stats.json").read_text())
    listing = subprocess.run([*mutmut, "results"], cwd=STAGE, env=env, capture_output=True, text=True, check=True)
    not_killed = [line.strip() for line in listing.stdout.splitlines() if line.strip()]
    total, killed = stats["total"], stats["killed"]
    score = 100.0 * killed / total if total else 0.0
    print()
    print("mutation score (mutmut, scripts/ganinfer: stats bench accuracy quality fileio inputs runner)")
    print(
        f"  mutants {total}, killed {killed}, survived {stats['survived']}, no tests {stats['no_tests']}, "
        f"timeout {stats['timeout']}, suspicious {stats['suspicious']}, skipped {stats['skipped']}"
    )
    print(f"  score {score:.1f} % killed (minimum {minimum:.0f} %), mutmut run {seconds:.0f} s")
    for line in not_killed:
        print(f"  not killed: {line}")
    print("  (docs/mutation.md says why each survivor is equivalent; `cd .mutation && mutmut show NAME` shows one)")
    return 0 if run.returncode == 0 and score >= minimum else 1


if __name__ == "__main__":
    sys.exit(main())
