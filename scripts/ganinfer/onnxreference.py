"""The reference outputs of a model declared in the config: ONNX Runtime's CPU session on its original graph,
optimisations off, fp32, over the input samples, ``batch`` samples per call (as ``ganinfer.reference``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ganinfer.backends.onnxruntime import NO_SPINNING
from ganinfer.inputs import InputSet
from ganinfer.reference import write_outputs
from ganinfer.spec import ModelSpec


def onnx_session(path: str | Path, threads: int):
    """ONNX Runtime's CPU session on the graph as written: graph optimisations off, fp32."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = max(1, int(threads))
    opts.add_session_config_entry(*NO_SPINNING)  # untimed, beside other jobs
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def onnx_outputs(session, spec: ModelSpec, samples: InputSet, batch: int) -> Iterator[tuple[str, np.ndarray]]:
    """``(stem, output)`` per sample from ONNX Runtime, ``batch`` samples per call (the last one short)."""
    for stems, feeds in samples.batches(max(1, int(batch)), pad=False):
        (result,) = session.run([spec.output.name], feeds)
        yield from zip(stems, result, strict=True)


def write_onnx_reference(path, spec: ModelSpec, inputs: str | Path, batch: int, out: str | Path, threads: int = 1):
    """The declared model's reference (like ``write_reference``); returns (samples, batch used). A graph
    that does not run at ``batch`` (its batch fixed inside, e.g. in a Reshape) is run one sample per call."""
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidArgument, RuntimeException

    samples, session = InputSet(spec, inputs), onnx_session(path, threads)
    try:
        write_outputs(onnx_outputs(session, spec, samples, batch), out)
    except (Fail, InvalidArgument, RuntimeException):
        if batch == 1:
            raise
        batch = 1
        write_outputs(onnx_outputs(session, spec, samples, batch), out)
    return len(samples), batch
