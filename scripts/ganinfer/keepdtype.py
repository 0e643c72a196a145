"""ATC's ``--keep_dtype`` file: the operators ATC leaves in their original precision.

The format (CANN's ATC manual, ``--keep_dtype``): one entry per line, either an operator name of the
original model or ``OpType::<type>`` with the operator's Ascend IR type. The workflow's keep lists
(the registry's ``AtcSpec.keep_dtype``, a declared model's ``atc.keep_dtype``, the keep-list search's
file) use these entries; the fp16 emulation chip reads them as ONNX op types and node names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganinfer.errors import InputError
from ganinfer.fileio import write_text

OPTYPE = "OpType::"
# ONNX op types whose Ascend IR type has another name; the rest keep their ONNX name. DG-Net's guide keeps
# its InstanceNormalization nodes with OpType::InstanceNorm.
ASCEND_IR = {"InstanceNormalization": "InstanceNorm"}
ONNX_TYPE = {ir: onnx for onnx, ir in ASCEND_IR.items()}


@dataclass(frozen=True)
class KeepList:
    """Operators kept in fp32: ONNX op types and node names."""

    op_types: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()

    def entries(self) -> list[str]:
        """The lines of ATC's file: ``OpType::<Ascend IR type>`` per op type, then the node names."""
        return [OPTYPE + ASCEND_IR.get(t, t) for t in self.op_types] + list(self.nodes)

    def __bool__(self) -> bool:
        return bool(self.op_types or self.nodes)


def parse(entries, where: str) -> KeepList:
    """A keep list from ATC entries (``OpType::<type>`` or a node name); ``where`` names the source in errors."""
    types, nodes = [], []
    for raw in entries:
        entry = str(raw).strip()
        if not entry:
            continue
        if any(c.isspace() for c in entry):
            raise InputError(f"{where}: '{entry}' holds a space; ATC's --keep_dtype takes one operator per line")
        if entry.startswith(OPTYPE):
            kind = entry[len(OPTYPE) :]
            if not kind:
                raise InputError(f"{where}: '{entry}' names no type; write OpType::<type>, e.g. OpType::Pow")
            types.append(ONNX_TYPE.get(kind, kind))
        else:
            nodes.append(entry)
    return KeepList(tuple(dict.fromkeys(types)), tuple(dict.fromkeys(nodes)))


def read(path: str | Path) -> KeepList:
    """The keep list of an ATC ``--keep_dtype`` file."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read the keep_dtype file ({exc.strerror}); run the keep-list search "
            "(snakemake results/<model>/precision/keep_dtype.cfg) or set ascend.keep_dtype: registry"
        ) from None
    return parse(text.splitlines(), str(path))


def write(keep: KeepList, path: str | Path) -> None:
    """ATC's file for ``keep`` (empty when nothing is kept), written atomically."""
    write_text("".join(f"{line}\n" for line in keep.entries()), path)
