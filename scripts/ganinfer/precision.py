"""The keep-list search: which op types (then, if asked, which nodes) ATC must keep in fp32 for a model's
fp16 accuracy to pass, found on the fp16 emulation chip (``cpu-fp16``).

Every step runs the accuracy run of the chip (``ganinfer.runner``) with one keep list and compares its
outputs with the reference (``ganinfer.accuracy``), as the accuracy table does. The search:

1. ``baseline``: nothing kept (ATC's ``force_fp16``); if it passes, nothing needs keeping. The model's
   own list (registry or declaration) is run too (``registry``), for comparison only.
2. ``all``: every candidate type kept (the graph then runs in fp32); each type ``alone``, and every type
   but one (``left_out``). Types are ranked by the minimum cosine without them (lowest first: the ones
   the model cannot do without), then by the minimum cosine they give alone (highest first).
3. ``add``: types in rank order until the accuracy passes; ``drop``: each kept type removed again,
   least important first, where the accuracy still passes without it.
4. ``nodes`` (if asked): each kept type narrowed to the smallest half, quarter, ... of its nodes that
   still passes, and replaced by those node names.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ganinfer.accuracy import compare_folders
from ganinfer.backends import FP16_CHIP, open_session
from ganinfer.keepdtype import KeepList
from ganinfer.runner import run_folder
from ganinfer.spec import ModelSpec

SKIPPED = ("Constant",)  # hold data, compute nothing: the conversion turns them into weights


def candidates(model) -> dict[str, list[str]]:
    """Op type -> its node names, in graph order, for every op type that reads or writes a float tensor."""
    from onnx import TensorProto, shape_inference

    typed = shape_inference.infer_shapes(model).graph
    floats = {
        v.name
        for v in (*typed.value_info, *typed.input, *typed.output)
        if v.type.tensor_type.elem_type == TensorProto.FLOAT
    } | {i.name for i in typed.initializer if i.data_type == TensorProto.FLOAT}
    found: dict[str, list[str]] = {}
    for i, node in enumerate(model.graph.node):
        if node.op_type in SKIPPED or not floats & {*node.input, *node.output}:
            continue
        found.setdefault(node.op_type, []).append(node.name or f"{node.op_type}_{i}")
    return found


class Evaluator:
    """One step: the fp16 chip's accuracy run on the model's inputs with a keep list, against the reference."""

    def __init__(self, spec: ModelSpec, onnx: str, inputs: str, reference: str, bs: int, threshold: float, threads=1):
        self.spec, self.onnx, self.inputs, self.reference = spec, onnx, inputs, reference
        self.bs, self.threshold, self.threads = bs, threshold, threads
        self.shape = spec.output.shape if "channel_cosine" in spec.accuracy else None

    def __call__(self, keep: KeepList) -> dict:
        session = open_session(self.onnx, FP16_CHIP, self.threads, {"keep_dtype": keep.entries()}, shared=True)
        with tempfile.TemporaryDirectory(prefix="keep_dtype_") as tmp:
            out, summary = Path(tmp) / "out", Path(tmp) / "summary.json"
            run_folder(session, self.spec, self.inputs, self.bs, str(out), str(summary), {})
            acc = compare_folders(out, self.reference, self.threshold, self.shape)
        return {k: acc[k] for k in ("samples", "min_cosine", "mean_cosine", "worst_sample", "passed")}


def search(evaluate: Callable[[KeepList], dict], types: dict[str, list[str]], own: KeepList, nodes: bool) -> dict:
    """The search of the module's docstring; ``evaluate`` runs one keep list, ``types`` are the candidates
    (op type -> node names), ``own`` is the model's own list. Returns the report: every step, the ranking,
    the keep list found (``keep_dtype``, ATC's entries) and whether it passes."""
    steps: list[dict] = []

    def step(kind: str, keep: KeepList, **extra) -> dict:
        t0 = time.perf_counter()
        result = evaluate(keep)
        steps.append(
            {
                "step": len(steps),
                "kind": kind,
                **extra,
                "op_types": list(keep.op_types),
                "nodes": list(keep.nodes),
                "keep_dtype": keep.entries(),
                **result,
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )
        return result

    names = list(types)
    found = KeepList()
    ranking: list[dict] = []
    baseline = step("baseline", KeepList())
    if own:
        step("registry", own)
    if baseline["passed"]:
        return _report(steps, found, baseline, ranking, names)
    best = step("all", KeepList(tuple(names)))
    if not best["passed"]:
        return _report(steps, KeepList(tuple(names)), best, ranking, names)
    effect = {}
    for t in names:
        alone = step("alone", KeepList((t,)), op_type=t)["min_cosine"]
        left_out = step("left_out", KeepList(tuple(n for n in names if n != t)), op_type=t)["min_cosine"]
        effect[t] = (left_out, -alone)
        ranking.append({"op_type": t, "alone_min_cosine": alone, "left_out_min_cosine": left_out})
    order = sorted(names, key=lambda t: effect[t])  # stable: ties keep the graph's order
    ranking.sort(key=lambda r: order.index(r["op_type"]))
    kept: list[str] = []
    for t in order:
        kept.append(t)
        best = step("add", KeepList(tuple(kept)), op_type=t)
        if best["passed"]:
            break
    for t in reversed(list(kept)):
        if len(kept) == 1:
            break
        trial = [k for k in kept if k != t]
        result = step("drop", KeepList(tuple(trial)), op_type=t)
        if result["passed"]:
            kept, best = trial, result
    found = KeepList(tuple(kept))
    if nodes:
        found, best = _narrow(step, found, best, types)
    return _report(steps, found, best, ranking, names)


def _narrow(step, found: KeepList, best: dict, types: dict[str, list[str]]) -> tuple[KeepList, dict]:
    """Each kept type replaced by the smallest half (of a half, ...) of its nodes that still passes."""
    for t in list(found.op_types):
        others = tuple(k for k in found.op_types if k != t)
        chosen = list(types[t])
        while len(chosen) > 1:
            halves = (chosen[: len(chosen) // 2], chosen[len(chosen) // 2 :])
            for half in halves:
                result = step("nodes", KeepList(others, (*found.nodes, *half)), op_type=t)
                if result["passed"]:
                    chosen, best = half, result
                    break
            else:
                break
        if len(chosen) < len(types[t]):
            found = KeepList(others, (*found.nodes, *chosen))
        elif len(chosen) == 1:  # the type's only node: its name says the same
            found = KeepList(others, (*found.nodes, *chosen))
    return found, best


def _report(steps: list[dict], found: KeepList, final: dict, ranking: list[dict], names: list[str]) -> dict:
    return {
        "candidates": names,
        "ranking": ranking,
        "keep_dtype": found.entries(),
        "op_types": list(found.op_types),
        "nodes": list(found.nodes),
        "passed": bool(final["passed"]),
        "min_cosine": final["min_cosine"],
        "mean_cosine": final["mean_cosine"],
        "steps": steps,
    }
