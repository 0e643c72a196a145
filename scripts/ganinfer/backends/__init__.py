"""Chips and the backend that serves each.

A chip value from the config selects a backend; everything after inference (outputs,
accuracy, images, tables) is backend-independent.
"""

from __future__ import annotations

import re

from ganinfer.errors import InputError

# chip value -> (backend, ONNX Runtime execution providers)
ORT_CHIPS = {
    "cpu": ("onnxruntime", ["CPUExecutionProvider"]),
}
ASCEND_CHIP = re.compile(r"Ascend\w+")


def supported_chips() -> list[str]:
    return list(ORT_CHIPS)


def backend_of(chip: str) -> str:
    if chip in ORT_CHIPS:
        return ORT_CHIPS[chip][0]
    raise InputError(
        f"unknown chip '{chip}': supported chips are {', '.join(supported_chips())} "
        "(fix 'chips' in config/config.yaml or on the command line)"
    )
