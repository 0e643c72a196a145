"""Stage `infer` (accuracy run) for the in-process chips (ONNX Runtime, OpenVINO): every input sample through the
simplified model at batch size ``bs``; outputs ``<stem>_0.bin`` as ais_bench names them,
plus an ais_bench-style summary json.

By hand:  python scripts/infer.py --model dcgan --onnx dcgan_bs4.onnx --inputs results/dcgan/inputs \
              --chip cpu --bs 4 --out out/bs4 --summary out/bs4_summary.json
"""

import argparse

from ganinfer import cli, registry
from ganinfer.backends import open_session, runtime_versions
from ganinfer.backends.onnxruntime import add_provider_option
from ganinfer.runner import run_folder


def run(model, onnx, inputs, chip, bs, out, summary, threads=1, provider_options=None):
    spec = registry.get(model)
    session = open_session(onnx, chip, threads, provider_options)
    extra = {
        "chip": chip,
        "backend": session.backend,
        "providers": session.providers,
        "threads": session.threads,
        **runtime_versions(chip),
    }
    rec = run_folder(session, spec, inputs, bs, out, summary, extra)
    print(f"{model} {chip} bs{bs}: {rec['samples']} samples, mean batch time {rec['NPU_compute_time']['mean']:.3f} ms")


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--onnx", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--chip", default="cpu")
    p.add_argument("--bs", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--threads", type=int, default=1)
    add_provider_option(p)
    return cli.add_log(p)


def from_snakemake(smk):
    return dict(
        model=smk.wildcards.model,
        onnx=smk.input.onnx,
        inputs=smk.input.inputs,
        chip=smk.wildcards.chip,
        bs=int(smk.wildcards.bs),
        out=smk.output.outputs,
        summary=smk.output.summary,
        threads=smk.threads,
        provider_options=smk.params.provider_options,
    )


if __name__ == "__main__":
    cli.main(run, parser, globals().get("snakemake"), from_snakemake)
