"""The reference outputs of a built-in model: its PyTorch generator over the input samples, ``batch``
samples per call (a declared model's reference is ``ganinfer.onnxreference``).

The network is the one ``load_generator`` returns (eval mode: batch norm uses its stored
statistics, dropout is off), so no sample's output depends on the other samples of its batch.
The last batch is short, never padded. What the batch size may still change is the float
rounding of the CPU kernels (oneDNN picks its convolution kernel by the batch size, a GEMM of
one row is a GEMV): tests/networks/test_reference.py states per model how far batch 1 and a batch of 3
apart may be, and that in float64 they agree to 1e-12.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ganinfer.fileio import atomic_dir, write_bin
from ganinfer.inputs import InputSet
from ganinfer.spec import ModelSpec


def outputs(net, spec: ModelSpec, samples: InputSet, batch: int) -> Iterator[tuple[str, np.ndarray]]:
    """``(stem, output)`` per sample, in the samples' order, from batches of ``batch`` samples
    (the last one short). The inputs are cast to the network's dtype."""
    import torch

    dtype = next(net.parameters()).dtype
    for stems, feeds in samples.batches(max(1, int(batch)), pad=False):
        with torch.inference_mode():
            result = net(*(torch.from_numpy(feeds[n]).to(dtype) for n in spec.input_names))
        result = result.numpy()
        yield from zip(stems, result, strict=True)


def channels_last(net):
    """The network with its 4-d weights in channels-last layout (in place): oneDNN's convolutions
    then skip the layout reorders around each call and nearest upsampling its copies, so the reference
    runs faster (docs/benchmarking.md#figures-behind-design-choices). The inputs stay NCHW; the outputs are
    written in C order whatever their layout."""
    import torch

    return net.to(memory_format=torch.channels_last)


def write_outputs(results: Iterator[tuple[str, np.ndarray]], out: str | Path) -> None:
    """``<out>/<stem>_0.bin`` per result, atomically."""
    with atomic_dir(Path(out)) as tmp:
        for stem, result in results:
            write_bin(result, tmp / f"{stem}_0.bin")


def write_reference(net, spec: ModelSpec, inputs: str | Path, batch: int, out: str | Path) -> int:
    """``<out>/<stem>_0.bin`` per sample of the folder ``inputs`` (atomically), the network in
    channels-last layout; returns the number of samples."""
    samples = InputSet(spec, inputs)
    write_outputs(outputs(channels_last(net), spec, samples, batch), out)
    return len(samples)
