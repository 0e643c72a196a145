"""Stage `infer` (accuracy run) for the in-process chips (ONNX Runtime, OpenVINO): every input sample through the
simplified model at batch size ``bs``; outputs ``<stem>_0.bin`` as ais_bench names them,
plus an ais_bench-style summary json.

By hand:  python scripts/run-inference.py --model dcgan --onnx dcgan_bs4.onnx --inputs results/dcgan/inputs \
              --chip cpu --bs 4 --out out/bs4 --summary out/bs4_summary.json
"""

from typing import Annotated

from ganinfer import cli, registry
from ganinfer.backends import open_session, runtime_versions
from ganinfer.backends.onnxruntime import PROVIDER_OPTIONS
from ganinfer.runner import run_folder


def run(
    model: str,
    onnx: str,
    inputs: str,
    chip: Annotated[str, cli.Arg(default="cpu")],
    bs: int,
    out: str,
    summary: str,
    threads: int = 1,
    provider_options: Annotated[dict | None, PROVIDER_OPTIONS] = None,
):
    spec = registry.get(model)
    session = open_session(onnx, chip, threads, provider_options, shared=True)  # untimed, runs beside other jobs
    extra = {
        "chip": chip,
        "backend": session.backend,
        "providers": session.providers,
        "threads": session.threads,
        **runtime_versions(chip),
    }
    rec = run_folder(session, spec, inputs, bs, out, summary, extra)
    print(f"{model} {chip} bs{bs}: {rec['samples']} samples, mean batch time {rec['NPU_compute_time']['mean']:.3f} ms")


if __name__ == "__main__":
    cli.main(run)
