"""Benchmark of the reference stage against the accuracy run (run by hand, not a workflow stage,
not a test). Per model (BigGAN by default), on the same input files and the same threads:

  - the reference stage as scripts/run-reference.py runs it (ganinfer.reference.write_reference:
    the PyTorch generator over the input folder, one output file per sample) at batch 1 and
    at accuracy.reference_batch;
  - the accuracy run as scripts/run-inference.py runs it (ganinfer.runner.run_folder, through the
    chip's session, ONNX Runtime for cpu) on the simplified ONNX of each batch size given.

Each contender runs over the whole folder once per round; the order reverses every round
(ABBA), so drift cancels in the per-round ratios. Printed: every round's img/s, the medians,
the median per-round ratio of the batched reference to each accuracy run, and the full-scale
estimate: hours of the reference at its batch against hours of the slowest accuracy run
measured, for config/full.yaml's sample count (an accuracy run pads its last batch).

Demo weights (random init with the exact upstream structure): the released architecture's
cost, noise for images.

Usage:  python benchmarks/reference_stage.py [--models biggan] [--reference-batch N] \
            [--ort-bs 1] [--chips cpu] [--samples N] [--pairs 4] [--threads 2] [--json out.json]
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from common import ROOT, abba, demo_onnx, demo_weights, paired_ratios, parser, print_machine, write_json
from ganinfer import registry
from ganinfer.backends import open_session
from ganinfer.inputs import InputSet
from ganinfer.networks import load_generator
from ganinfer.preprocess import make_inputs
from ganinfer.reference import channels_last, outputs, write_reference
from ganinfer.runner import run_folder
from ganinfer.schema import setting

DEMO_NOTE = (
    "demo weights: random init with the exact upstream structure (the released architecture's cost; "
    "the images are noise)"
)


def full_samples(model: str) -> int:
    """The model's sample count in config/full.yaml (the guides' scale)."""
    samples = yaml.safe_load((ROOT / "config" / "full.yaml").read_text())["samples"]
    return int(samples[model] if isinstance(samples, dict) else samples)


def timed(fn, samples: int) -> float:
    """img/s of one call of ``fn`` over ``samples`` samples, wall clock."""
    t0 = time.perf_counter()
    fn()
    return samples / (time.perf_counter() - t0)


def show_round(i: int, figures: dict[str, list[float]]) -> None:
    print(f"  round {i + 1}: " + ", ".join(f"{n} {v[-1]:.3f}" for n, v in figures.items()) + " img/s", flush=True)


def bench_model(name: str, ref_batch: int, ort_bs: list[int], chips: list[str], samples: int, pairs, threads, work):
    import torch

    torch.set_num_threads(threads)
    spec = registry.get(name)
    work = work / name
    work.mkdir()
    weights = demo_weights(name, work)
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
        onnx = demo_onnx(name, weights, bs, work)
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
    figures = abba(pairs, contenders, show_round)
    batched = figures[f"reference b{ref_batch}"]
    chip_runs = [n for n in figures if not n.startswith("reference")]
    ratios = {n: statistics.median(paired_ratios(batched, figures[n])) for n in chip_runs}
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
    p = parser(__doc__, threads=2, threads_help="default: the reference and accuracy jobs' threads")
    p.add_argument("--models", nargs="+", default=["biggan"])
    p.add_argument("--reference-batch", type=int, default=setting("accuracy.reference_batch")["default"])
    p.add_argument("--ort-bs", type=int, nargs="+", default=[1], help="batch sizes of the accuracy runs")
    p.add_argument("--chips", nargs="+", default=["cpu"], help="in-process chips (sessions) of the accuracy runs")
    p.add_argument("--samples", type=int, help="input samples (default: twice the largest batch)")
    p.add_argument("--pairs", type=int, default=4, help="rounds, the order reversed every round")
    a = p.parse_args(argv)
    samples = a.samples or 2 * max(a.reference_batch, *a.ort_bs)
    print_machine(a.threads)
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
    write_json(a.json, results)


if __name__ == "__main__":
    main()
