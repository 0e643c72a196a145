"""Stage `perf` (performance run) for ONNX Runtime chips: time the simplified model on
one real input batch with the shared harness (warm-up excluded, minimum iterations and
seconds, percentiles, CoV, VALID flag). Separate from the accuracy run.

By hand:  python scripts/perf.py --model dcgan --onnx dcgan_bs4.onnx --inputs results/dcgan/inputs \
              --chip cpu --bs 4 --out perf.json [--threads 2 --min-seconds 2 --min-iterations 50]
"""

import argparse
import os

from ganinfer import cli, registry
from ganinfer.backends import backend_of
from ganinfer.backends.onnxruntime import OrtSession, add_provider_option, versions
from ganinfer.bench import (
    BenchSettings,
    add_arguments,
    available_cores,
    gpu_name,
    job_arguments,
    measure,
    provenance,
    with_settings,
)
from ganinfer.fileio import write_json
from ganinfer.inputs import InputSet


def run(model, onnx, inputs, chip, bs, out, threads=1, bench=None, provider_options=None, config=None):
    spec = registry.get(model)
    settings = BenchSettings.from_config(bench)
    # the rule may claim every scheduler slot (to run alone); use at most the cores we have
    session = OrtSession(onnx, chip, min(threads, available_cores()), dict(provider_options or {}))
    feeds = InputSet(spec, inputs).first_batch(bs)
    rec = measure(lambda: session.run(feeds), bs, settings)  # host arrays in and out
    timing = {"timing": "end-to-end"}
    device_call = session.device_bound(feeds)
    if device_call is not None:  # GPU: inputs already on the device, as ais_bench and trtexec time
        e2e = rec
        rec = measure(device_call, bs, settings)
        timing = {
            "timing": "device-only",
            "throughput_e2e_fps": e2e["throughput_fps"],
            "e2e_latency_ms": e2e["latency_ms"],
        }
    rt = versions()
    rec = {
        "model": model,
        "chip": chip,
        "backend": backend_of(chip, "ort-cann"),
        "threads": session.threads,
        "providers": session.providers,
        "runtime_version": f"onnxruntime {rt['onnxruntime']}",
        **timing,
        **rec,
        "provenance": provenance(os.path.dirname(os.path.abspath(__file__)), config, rt),
    }
    if session.device is not None:
        rec["provenance"]["device"] = gpu_name(session.device_id)
    write_json(rec, out)
    lat = rec["latency_ms"]
    print(
        f"{model} {chip} bs{bs}: {rec['throughput_fps']:.1f} img/s, mean {lat['mean']:.4f} ms, "
        f"p99 {lat['p99']:.4f} ms, CoV {lat['cov']:.3f}, {lat['count']} it in {rec['duration_s']:.2f} s, "
        f"{'VALID' if rec['valid'] else 'INVALID: ' + rec['invalid_reason']}"
    )


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--onnx", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--chip", default="cpu")
    p.add_argument("--bs", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    add_provider_option(p)
    add_arguments(p)
    return cli.add_log(p)


def from_snakemake(smk):
    return dict(
        **job_arguments(smk),
        model=smk.wildcards.model,
        onnx=smk.input.onnx,
        inputs=smk.input.inputs,
        bs=int(smk.wildcards.bs),
    )


if __name__ == "__main__":
    smk = globals().get("snakemake")
    cli.main(run if smk else with_settings(run), parser, smk, from_snakemake)
