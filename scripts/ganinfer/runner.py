"""The accuracy run: every input sample through a session, outputs in ais_bench layout.

Outputs go to ``<out>/<stem>_0.bin``, one file per input sample, and an ais_bench-style
summary json (``filesinfo``, ``NPU_compute_time``, ``H2D_latency``, ``D2H_latency``,
``throughput``) is written next to the folder. As in ais_bench (io_oprations.py:
save_tensors_to_file), ``filesinfo`` is keyed per sample, ``batch * bs + j``, each with
that sample's input files (one per model input) and its output files; padding rows get
none. This run is for accuracy; timings worth publishing come from the separate
performance run (``ganinfer.bench``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ganinfer.fileio import atomic_dir, write_bin, write_json
from ganinfer.inputs import InputSet
from ganinfer.spec import ModelSpec
from ganinfer.stats import ais_timing, throughput


def run_folder(session, spec: ModelSpec, inputs_root: str, bs: int, out: str, summary: str, extra: dict) -> dict:
    inputs = InputSet(spec, inputs_root)
    times_ms: list[float] = []
    output_shape: list[int] = []
    filesinfo: dict[str, dict] = {}
    with atomic_dir(Path(out)) as tmp:
        for k, (stems, feeds) in enumerate(inputs.batches(bs)):
            t0 = time.perf_counter()
            result = session.run(feeds)
            times_ms.append((time.perf_counter() - t0) * 1000.0)
            output_shape = list(result.shape[1:])
            for j, stem in enumerate(stems):
                name = f"{stem}_0.bin"
                write_bin(result[j], tmp / name)
                filesinfo[str(k * bs + j)] = {
                    "infiles": [str(inputs.root / t.name / f"{stem}.bin") for t in spec.inputs],
                    "outfiles": [str(Path(out) / name)],
                }
    compute = ais_timing(times_ms)
    record = {
        "filesinfo": filesinfo,
        "args": sys.argv,
        "NPU_compute_time": compute,
        "H2D_latency": ais_timing([]),
        "D2H_latency": ais_timing([]),
        "throughput": throughput(bs, compute["mean"]),
        "npu_compute_time_list": times_ms,
        "pid": os.getpid(),
        "model": spec.name,
        "batch_size": bs,
        "samples": len(inputs),
        "output_shape": output_shape,
        **extra,
    }
    write_json(record, summary)
    return record
