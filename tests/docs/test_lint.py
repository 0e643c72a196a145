"""Style gates: snakemake --lint, snakefmt, ruff (the same checks `make lint` runs)."""

import subprocess
import sys
from pathlib import Path

from common import ROOT

BIN = Path(sys.executable).parent


def run(*cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=ROOT)


def test_snakemake_lint_is_clean():
    proc = run(sys.executable, "-m", "snakemake", "--lint")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Congratulations, your workflow is in a good condition!" in out, out


def test_snakefmt_check():
    proc = run(BIN / "snakefmt", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_check_and_format():
    check = run(sys.executable, "-m", "ruff", "check", ".")
    assert check.returncode == 0, check.stdout
    fmt = run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout
