"""Stage `gemm_peak` (roofline): the chip's fp32 GEMM peak, measured once per run with the
runtime that times the models (ONNX Runtime or OpenVINO, same threads and harness settings): a square
MatMul of each size is timed (every size twice, in turn) and the best sustained rate
(2 n^3 / median latency) is the peak.

By hand:  python scripts/measure-gemm-peak.py --chip cpu --out gemm_cpu.json [--threads 2 --sizes 256 512 1024]
"""

import os
from typing import Annotated

from ganinfer import cli
from ganinfer.backends import runtime_versions
from ganinfer.backends.onnxruntime import PROVIDER_OPTIONS
from ganinfer.bench import BenchSettings, available_cores, provenance
from ganinfer.fileio import write_json
from ganinfer.gemm import GEMM_REPEATS, gemm_peak
from ganinfer.gemm import GEMM_SIZES as SIZES


def run(
    out: str,
    bench: Annotated[dict, cli.Setting("perf")],
    chip: str = "cpu",
    threads: int = 1,
    sizes: list[int] = SIZES,
    repeats: Annotated[int, cli.Arg(help="times every size is timed, in turn")] = GEMM_REPEATS,
    provider_options: Annotated[dict | None, PROVIDER_OPTIONS] = None,
    config: Annotated[dict | None, cli.Arg(help="the workflow config (JSON), for the provenance hash")] = None,
):
    settings = BenchSettings.from_config(bench)
    rec = gemm_peak(chip, min(threads, available_cores()), settings, sizes, repeats, provider_options)
    for r in rec["runs"]:
        print(f"{chip} MatMul {r['n']}^3: {r['gflops']:.1f} GFLOP/s (median {r['latency_ms']['p50']:.3f} ms)")
    rec["settings"] = settings.__dict__
    rec["provenance"] = provenance(os.path.dirname(os.path.abspath(__file__)), config, runtime_versions(chip))
    write_json(rec, out)
    peak = f"{rec['peak_gflops']:.1f} GFLOP/s (n={rec['peak_n']}, {rec['threads']} threads)"
    print(f"{chip}: {rec['precision']} GEMM peak {peak} -> {out}")


if __name__ == "__main__":
    cli.main(run)
