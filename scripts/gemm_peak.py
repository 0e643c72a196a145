"""Stage `gemm_peak` (roofline): the chip's fp32 GEMM peak, measured once per run with the
runtime that times the models (ONNX Runtime or OpenVINO, same threads and harness settings): a square
MatMul of each size is timed (every size twice, in turn) and the best sustained rate
(2 n^3 / median latency) is the peak.

By hand:  python scripts/gemm_peak.py --chip cpu --out gemm_cpu.json [--threads 2 --sizes 256 512 1024]
"""

import argparse
import os

from ganinfer import cli
from ganinfer.backends import runtime_versions
from ganinfer.backends.onnxruntime import add_provider_option
from ganinfer.bench import BenchSettings, add_arguments, available_cores, job_arguments, provenance, with_settings
from ganinfer.fileio import write_json
from ganinfer.roofline import GEMM_SIZES as SIZES
from ganinfer.roofline import gemm_peak


def run(chip, out, threads=1, sizes=SIZES, repeats=2, bench=None, provider_options=None, config=None):
    settings = BenchSettings.from_config(bench)
    rec = gemm_peak(chip, min(threads, available_cores()), settings, sizes, repeats, provider_options)
    for r in rec["runs"]:
        print(f"{chip} MatMul {r['n']}^3: {r['gflops']:.1f} GFLOP/s (median {r['latency_ms']['p50']:.3f} ms)")
    rec["settings"] = settings.__dict__
    rec["provenance"] = provenance(os.path.dirname(os.path.abspath(__file__)), config, runtime_versions(chip))
    write_json(rec, out)
    peak = f"{rec['peak_gflops']:.1f} GFLOP/s (n={rec['peak_n']}, {rec['threads']} threads)"
    print(f"{chip}: {rec['precision']} GEMM peak {peak} -> {out}")


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chip", default="cpu")
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    p.add_argument("--repeats", type=int, default=2, help="times every size is timed, in turn")
    add_provider_option(p)
    add_arguments(p)
    return cli.add_log(p)


if __name__ == "__main__":
    smk = globals().get("snakemake")
    cli.main(run if smk else with_settings(run), parser, smk, job_arguments)
