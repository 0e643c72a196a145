"""Stage `perf` (performance run) for the in-process chips (ONNX Runtime, OpenVINO): time the simplified model on
one real input batch with the shared harness (warm-up excluded, minimum iterations and
seconds, percentiles, CoV, VALID flag). Separate from the accuracy run. A backend with
several performance modes (OpenVINO: LATENCY vs THROUGHPUT) is probed briefly first; the
faster is timed and the record names it with both probe figures.

By hand:  python scripts/time-inference.py --model dcgan --onnx dcgan_bs4.onnx --inputs results/dcgan/inputs \
              --chip cpu --bs 4 --out perf.json [--threads 2 --min-seconds 2 --min-iterations 50]
"""

import os
from typing import Annotated

from ganinfer import cli, registry
from ganinfer.backends import open_session, runtime_versions
from ganinfer.backends.onnxruntime import PROVIDER_OPTIONS
from ganinfer.bench import (
    BenchSettings,
    available_cores,
    choose_mode,
    gpu_name,
    measure,
    provenance,
)
from ganinfer.fileio import write_json
from ganinfer.inputs import InputSet


def run(
    model: str,
    bs: int,
    onnx: str,
    inputs: str,
    out: str,
    bench: Annotated[dict, cli.Setting("perf")],
    chip: str = "cpu",
    threads: int = 1,
    provider_options: Annotated[dict | None, PROVIDER_OPTIONS] = None,
    config: Annotated[dict | None, cli.Arg(help="the workflow config (JSON), for the provenance hash")] = None,
):
    spec = registry.get(model)
    settings = BenchSettings.from_config(bench)
    # the rule may claim every scheduler slot (to run alone); use at most the cores we have
    session = open_session(onnx, chip, min(threads, available_cores()), provider_options)
    feeds = InputSet(spec, inputs).first_batch(bs)
    modes = session.perf_modes(feeds)  # a backend with several (OpenVINO) is probed, the faster kept
    name, choice = choose_mode(modes, bs)
    per_call = modes[name]["batches_per_call"]
    rec = measure(modes[name]["call"], bs * per_call, settings)  # host arrays in and out
    rec["batch_size"] = bs
    timing = {"timing": "end-to-end"}
    if choice["probes"]:
        # latency_ms is per call: batches_per_call batches in flight at once
        timing.update(perf_mode=name, batches_per_call=per_call, mode_probe=choice)
    device_call = session.device_bound(feeds)
    if device_call is not None:  # GPU: inputs already on the device, as ais_bench and trtexec time
        e2e = rec
        rec = measure(device_call, bs, settings)
        timing = {
            "timing": "device-only",
            "throughput_e2e_fps": e2e["throughput_fps"],
            "e2e_latency_ms": e2e["latency_ms"],
        }
    rt = runtime_versions(chip)
    rec = {
        "model": model,
        "chip": chip,
        "backend": session.backend,
        "threads": session.threads,
        "providers": session.providers,
        "runtime_version": " ".join(f"{k} {v}" for k, v in rt.items()),
        **timing,
        **rec,
        "provenance": provenance(os.path.dirname(os.path.abspath(__file__)), config, rt),
    }
    if session.device is not None:
        rec["provenance"]["device"] = gpu_name(session.device_id)
    write_json(rec, out)
    lat = rec["latency_ms"]
    mode = f" [{name}]" if choice["probes"] else ""
    print(
        f"{model} {chip} bs{bs}{mode}: {rec['throughput_fps']:.1f} img/s, mean {lat['mean']:.4f} ms, "
        f"p99 {lat['p99']:.4f} ms, CoV {lat['cov']:.3f}, {lat['count']} it in {rec['duration_s']:.2f} s, "
        f"{'VALID' if rec['valid'] else 'INVALID: ' + rec['invalid_reason']}"
    )


if __name__ == "__main__":
    cli.main(run)
