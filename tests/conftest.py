"""Shared fixtures, and each test's kind marker: the name of its folder under tests/."""

from __future__ import annotations

from pathlib import Path

import pytest

from common import run_script

TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Mark every test with its folder under tests/ (`pytest -m unit` runs tests/unit); the kinds are the
    markers pyproject.toml registers that name a folder here, and a test outside their folders stops the run."""
    names = [line.split(":")[0] for line in config.getini("markers")]
    kinds = [name for name in names if (TESTS / name).is_dir()]
    for item in items:
        kind = item.path.relative_to(TESTS).parts[0]
        if kind not in kinds:
            raise pytest.UsageError(f"{item.nodeid}: not in a folder of its kind, tests/{{{','.join(kinds)}}}/")
        item.add_marker(kind)


@pytest.fixture(scope="session")
def demo_weights(tmp_path_factory) -> dict[str, Path]:
    """Demo checkpoints of the two small models, built once by the weights script."""
    out = tmp_path_factory.mktemp("weights")
    paths = {}
    for model in ("dcgan", "gan"):
        run_script("prepare-weights", "--model", model, "--out", out / f"{model}.pth", "--info", out / f"{model}.json")
        paths[model] = out / f"{model}.pth"
    return paths


@pytest.fixture(scope="session")
def inception_nets():
    """The two Inception-v3 variants (torchvision, fid) with seeded random weights."""
    from ganinfer import inception

    return {v: inception.random_init(inception.build(v), seed=1) for v in inception.VARIANTS}
