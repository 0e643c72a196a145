"""What the benchmarks share: the library (``ganinfer``, under scripts/) on the import path, demo graphs and
their inputs, contenders timed in rounds of alternating order, the per-pair ratios, the machine line and the
options every benchmark takes.

A benchmark prints figures (docs/benchmarking.md) and does not pass or fail; no workflow job runs one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from ganinfer import registry  # noqa: E402
from ganinfer.bench import BenchSettings, available_cores, choose_mode, cpu_name, measure  # noqa: E402
from ganinfer.checkpoint import save_atomic  # noqa: E402
from ganinfer.networks import demo_checkpoint  # noqa: E402
from ganinfer.onnxexport import export_onnx  # noqa: E402
from ganinfer.onnxgraph import simplify_onnx  # noqa: E402


def parser(doc: str, threads: int | None = None, threads_help: str | None = None) -> argparse.ArgumentParser:
    """A benchmark's options: its docstring as the help, ``--threads`` (default ``threads``, else every
    available core) and ``--json``."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=threads or available_cores(), help=threads_help)
    p.add_argument("--json", help="also write the figures to this file")
    return p


def print_machine(threads: int) -> None:
    print(f"{cpu_name()}, {available_cores()} cores available, {threads} threads", flush=True)


def write_json(path: str | None, figures) -> None:
    """``figures`` as JSON in ``path`` (``--json``), when given."""
    if path:
        Path(path).write_text(json.dumps(figures, indent=2, default=str))


def feeds_for(spec, bs: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded standard-normal inputs of one batch of ``bs`` for every graph input of ``spec``."""
    rng = np.random.default_rng(seed)
    return {t.name: rng.standard_normal(t.batch_shape(bs), dtype=np.float32) for t in spec.inputs}


def demo_weights(name: str, workdir: Path) -> Path:
    """Demo weights (seed 0, the released architecture) of model ``name``, written in ``workdir``."""
    weights = workdir / f"{name}.pth"
    save_atomic(demo_checkpoint(registry.get(name), 0), weights)
    return weights


def demo_onnx(name: str, weights: Path, bs: int, workdir: Path) -> Path:
    """The simplified ONNX of model ``name`` at batch ``bs`` from ``weights``, as the workflow builds it."""
    spec = registry.get(name)
    exported = workdir / f"{name}_export_bs{bs}.onnx"
    export_onnx(spec, str(weights), exported, None if spec.dynamic_batch else bs)
    onnx = workdir / f"{name}_bs{bs}.onnx"
    simplify_onnx(spec, str(exported), bs, onnx)
    return onnx


def perf_fps(session, feeds: dict, bs: int, settings: BenchSettings) -> tuple[float, str]:
    """Images/s of ``session`` as the perf job measures it (its perf modes probed, the faster timed), and that
    mode's name."""
    modes = session.perf_modes(feeds)
    name, _ = choose_mode(modes, bs)
    rec = measure(modes[name]["call"], bs * modes[name]["batches_per_call"], settings)
    return rec["throughput_fps"], name


def abba(pairs: int, contenders: dict[str, Callable], each_round: Callable | None = None) -> dict[str, list]:
    """Call every contender once per round, ``pairs`` rounds, the order reversed every round (ABBA: drift and
    order effects cancel in per-round ratios); returns each contender's results in round order.
    ``each_round(i, results)`` runs after round ``i`` (0-based)."""
    names = list(contenders)
    results: dict[str, list] = {n: [] for n in names}
    for i in range(pairs):
        for name in names if i % 2 == 0 else names[::-1]:
            results[name].append(contenders[name]())
        if each_round:
            each_round(i, results)
    return results


def paired_ratios(num: list[float], den: list[float]) -> list[float]:
    return [x / y for x, y in zip(num, den, strict=True)]


def ratio_stats(ratios: list[float]) -> tuple[float, float, float]:
    """Median and interquartile range (q1, q3) of per-pair ratios."""
    q1, q3 = np.percentile(ratios, [25, 75])
    return statistics.median(ratios), float(q1), float(q3)
