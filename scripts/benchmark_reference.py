"""Benchmark of the reference stage against the accuracy run (run by hand, not a workflow stage,
not a test). Per model (BigGAN by default), on the same input files and the same threads:

  - the reference stage as scripts/reference.py runs it (ganinfer.reference.write_reference:
    the PyTorch generator over the input folder, one output file per sample) at batch 1 and
    at accuracy.reference_batch;
  - the accuracy run as scripts/infer.py runs it (ganinfer.runner.run_folder, through the
    chip's session, ONNX Runtime for cpu) on the simplified ONNX of each batch size given.

Each contender runs over the whole folder once per round; the order reverses every round
(ABBA), so drift cancels in the per-round ratios. Printed: every round's img/s, the medians,
the median per-round ratio of the batched reference to each accuracy run, and the full-scale
estimate: hours of the reference at its batch against hours of the slowest accuracy run
measured, for config/full.yaml's sample count (an accuracy run pads its last batch).

Demo weights (random init with the exact upstream structure): the released architecture's
cost, noise for images.

Usage:  python scripts/benchmark_reference.py [--models biggan] [--reference-batch N] \
            [--ort-bs 1] [--chips cpu] [--samples N] [--pairs 4] [--threads 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from ganinfer import registry
from ganinfer.backends import open_session
from ganinfer.bench import available_cores, cpu_name
from ganinfer.checkpoint import save_atomic
from ganinfer.inputs import InputSet
from ganinfer.networks import demo_checkpoint, load_generator
from ganinfer.onnxexport import export_onnx
from ganinfer.onnxgraph import simplify_onnx
from ganinfer.preprocess import make_inputs
from ganinfer.reference import channels_last, outputs, write_reference
from ganinfer.runner import run_folder

CONFIG = Path(__file__).resolve().parents[1] / "config"
DEMO_NOTE = (
    "demo weights: random init with the exact upstream structure (the released architecture's cost; "
    "the images are noise)"
)


def config_value(*keys, name: str = "config.yaml"):
    value = yaml.safe_load((CONFIG / name).read_text())
    for key in keys:
        value = value[key]
    return value


def full_samples(model: str) -> int:
    """The model's sample count in config/full.yaml (the guides' scale)."""
    samples = config_value("samples", name="full.yaml")
    return int(samples[model] if isinstance(samples, dict) else samples)


def timed(fn, samples: int) -> float:
    """img/s of one call of ``fn`` over ``samples`` samples, wall clock."""
    t0 = time.perf_counter()
    fn()
    return samples / (time.perf_counter() - t0)


def abba_rounds(contenders: dict, pairs: int) -> dict[str, list[float]]:
    """Every contender once per round, the order reversed every round; img/s per round."""
    names = list(contenders)
    figures: dict[str, list[float]] = {n: [] for n in names}
    for i in range(pairs):
        for name in names if i % 2 == 0 else names[::-1]:
            figures[name].append(contenders[name]())
        print(f"  round {i + 1}: " + ", ".join(f"{n} {figures[n][-1]:.3f}" for n in names) + " img/s", flush=True)
    return figures


def bench_model(name: str, ref_batch: int, ort_bs: list[int], chips: list[str], samples: int, pairs, threads, work):
    import torch

    torch.set_num_threads(threads)
    spec = registry.get(name)
    work = work / name
    work.mkdir()
    weights = work / f"{name}.pth"
    save_atomic(demo_checkpoint(spec, 0), weights)
    inputs = work / "inputs"
    make_inputs(spec, samples, 0, inputs, weights if spec.preprocess_uses_weights else None)
    net, _ = load_generator(spec, str(weights))

    input_set = InputSet(spec, inputs)
    contenders, warm_ups = {}, []
    for batch in dict.fromkeys((1, ref_batch)):
        out = work / f"reference_b{batch}"
        contenders[f"reference b{batch}"] = lambda batch=batch, out=out: timed(
            lambda: write_reference(net, spec, inputs, batch, out), samples
        )
        warm_ups.append(lambda batch=batch: next(outputs(channels_last(net), spec, input_set, batch)))
    for bs in ort_bs:
        raw = work / f"{name}_raw_bs{bs}.onnx"
        export_onnx(spec, str(weights), raw, None if spec.dynamic_batch else bs)
        onnx = work / f"{name}_bs{bs}.onnx"
        simplify_onnx(spec, str(raw), bs, onnx)
        for chip in chips:
            session = open_session(str(onnx), chip, threads)
            out, summary = work / f"{chip}_bs{bs}", work / f"{chip}_bs{bs}_summary.json"
            contenders[f"{chip} bs{bs}"] = lambda s=session, bs=bs, out=out, summary=summary: timed(
                lambda: run_folder(s, spec, str(inputs), bs, str(out), str(summary), {}), samples
            )
            warm_ups.append(lambda s=session, bs=bs: s.run(input_set.first_batch(bs)))
    print(f"{name}: {samples} samples, {threads} threads; {', '.join(contenders)}", flush=True)
    for warm_up in warm_ups:  # one batch each: first-call allocations, kernel choice, page cache
        warm_up()
    figures = abba_rounds(contenders, pairs)
    batched = figures[f"reference b{ref_batch}"]
    chip_runs = [n for n in figures if not n.startswith("reference")]
    ratios = {n: statistics.median(r / o for r, o in zip(batched, figures[n], strict=True)) for n in chip_runs}
    n_full = full_samples(name)
    fps = {n: statistics.median(v) for n, v in figures.items()}
    ref_hours = n_full / fps[f"reference b{ref_batch}"] / 3600.0
    acc_hours = {}
    for n in chip_runs:
        bs = int(n.rsplit("bs", 1)[1])  # the last batch is padded: rows computed, here and at full scale
        rows_per_s = fps[n] * math.ceil(samples / bs) * bs / samples
        acc_hours[n] = math.ceil(n_full / bs) * bs / rows_per_s / 3600.0
    slowest = max(acc_hours, key=acc_hours.get)
    return {
        "model": name,
        "samples": samples,
        "threads": threads,
        "reference_batch": ref_batch,
        "img_per_s": figures,
        "median_img_per_s": fps,
        "median_ratio_batched_reference_over": ratios,
        "full_samples": n_full,
        "reference_hours": ref_hours,
        "accuracy_hours": acc_hours,
        "slowest_accuracy_run": slowest,
        "keeps_up": ref_hours <= acc_hours[slowest],
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["biggan"])
    p.add_argument("--reference-batch", type=int, default=config_value("accuracy", "reference_batch"))
    p.add_argument("--ort-bs", type=int, nargs="+", default=[1], help="batch sizes of the accuracy runs")
    p.add_argument("--chips", nargs="+", default=["cpu"], help="in-process chips (sessions) of the accuracy runs")
    p.add_argument("--samples", type=int, help="input samples (default: twice the largest batch)")
    p.add_argument("--pairs", type=int, default=4, help="rounds, the order reversed every round")
    p.add_argument("--threads", type=int, default=2, help="default: the reference and accuracy jobs' threads")
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args(argv)
    samples = a.samples or 2 * max(a.reference_batch, *a.ort_bs)
    print(f"{cpu_name()}, {available_cores()} cores available, {a.threads} threads", flush=True)
    print(DEMO_NOTE, flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models:
            results.append(
                bench_model(name, a.reference_batch, a.ort_bs, a.chips, samples, a.pairs, a.threads, Path(tmp))
            )
    print()
    print(DEMO_NOTE)
    print("| model | contender | img/s (median of rounds) | batched reference / it (median of rounds) |")
    print("|---|---|---|---|")
    for r in results:
        for n, fps in r["median_img_per_s"].items():
            ratio = r["median_ratio_batched_reference_over"].get(n)
            print(f"| {r['model']} | {n} | {fps:.3f} | {f'{ratio:.2f}' if ratio else ''} |")
    print()
    for r in results:
        acc = ", ".join(f"{n} {h:.2f} h" for n, h in r["accuracy_hours"].items())
        print(
            f"{r['model']} at full scale ({r['full_samples']:,} samples, config/full.yaml, {r['threads']} threads): "
            f"reference b{r['reference_batch']} {r['reference_hours']:.2f} h; accuracy runs {acc}; "
            f"slowest {r['slowest_accuracy_run']}: the reference "
            f"{'keeps up' if r['keeps_up'] else 'does NOT keep up'}"
        )
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
