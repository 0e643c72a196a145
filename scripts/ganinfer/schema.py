"""config/schema.yaml, the one source of every config key's type, default and description, read once.

Kept apart from ganinfer.workflow.settings (the DAG-time checks) so that a stage script taking its by-hand defaults
from here imports nothing else.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


@functools.cache
def schema() -> dict:
    """config/schema.yaml, read once."""
    return yaml.safe_load(SCHEMA.read_text())


def setting(key: str) -> dict:
    """The schema of the config setting ``key`` (dotted: ``accuracy.threshold``; a section: ``perf``)."""
    node = schema()
    for part in key.split("."):
        node = node["properties"][part]
    return node
