"""The PyTorch reference does not depend on its batch: every registry model (small demo
architectures), 5 samples at batch 1 and at batch 3 (a short last batch of 2)."""

import numpy as np
import pytest
import torch

from common import stage
from ganinfer import checkpoint, networks, registry
from ganinfer.fileio import list_bins, read_bin
from ganinfer.inputs import InputSet
from ganinfer.preprocess import make_inputs
from ganinfer.reference import outputs

reference = stage("run-reference")

SMALL = {
    "biggan": {"ch": 8},
    "cyclegan_sat2map": {"ngf": 4, "n_blocks": 1},
    "cyclegan_map2sat": {"ngf": 4, "n_blocks": 1},
    "dgnet": {"dim": 4, "width": 8, "mlp_dim": 32, "id_dim": 256},
}
SAMPLES, BATCH = 5, 3

# How far apart batch 1 and batch 3 may be in float32 (max |diff|; 0 = bit for bit). The math is
# batch-independent (float64 below agrees to 1e-12); what differs is the kernels' rounding: a
# Linear of one row runs as a GEMV, of several as a GEMM, and oneDNN picks its 3x3 convolution
# kernel by the batch size (with oneDNN off the convolutions agree bit for bit). Measured (2 threads,
# channels-last weights): dcgan 6.7e-8, gan 1.7e-8, biggan 2.7e-6 (|out| <= 1), dgnet 2.4e-4
# (|out| ~ 9: its random-init ResNet-50 appearance code amplifies the Linear and conv rounding);
# CycleGAN (convolutions, transposed convolutions, instance norm, no Linear) is bit for bit.
TOLERANCE = {
    "dcgan": 1e-6,
    "gan": 1e-6,
    "biggan": 1e-5,
    "cyclegan_sat2map": 0.0,
    "cyclegan_map2sat": 0.0,
    "dgnet": 1e-3,
}


def test_every_registry_model_has_a_tolerance():
    assert set(TOLERANCE) == set(registry.MODELS)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Per model: small demo weights and 5 input samples."""
    root = tmp_path_factory.mktemp("ref")
    made = {}
    for name, spec in registry.MODELS.items():
        weights = root / f"{name}.pth"
        checkpoint.save_atomic(networks.demo_checkpoint(spec, 0, SMALL.get(name)), weights)
        make_inputs(spec, SAMPLES, 0, root / name, weights if spec.preprocess_uses_weights else None)
        made[name] = (weights, root / name)
    return made


@pytest.fixture
def keep_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("model", sorted(registry.MODELS))
def test_reference_outputs_do_not_depend_on_the_batch(model, demo, tmp_path, keep_threads):
    weights, inputs = demo[model]
    for batch in (1, BATCH):
        reference.run(model=model, weights=str(weights), inputs=str(inputs), out=tmp_path / f"b{batch}", batch=batch)
    stems = InputSet(registry.get(model), inputs).stems
    for batch in (1, BATCH):  # one file per sample, none for padding
        assert [p.name for p in list_bins(tmp_path / f"b{batch}")] == [f"{s}_0.bin" for s in stems]
    one = np.stack([read_bin(tmp_path / "b1" / f"{s}_0.bin") for s in stems])
    batched = np.stack([read_bin(tmp_path / f"b{BATCH}" / f"{s}_0.bin") for s in stems])
    assert np.isfinite(one).all() and np.unique(one.reshape(SAMPLES, -1), axis=0).shape[0] == SAMPLES
    if TOLERANCE[model] == 0.0:
        assert np.array_equal(one, batched)
    else:
        assert np.abs(one - batched).max() < TOLERANCE[model]


@pytest.mark.parametrize("model", sorted(registry.MODELS))
def test_reference_math_does_not_depend_on_the_batch_in_float64(model, demo):
    """Without float32 kernel rounding a sample's output is its own: batch 1 and batch 3 agree to 1e-12."""
    weights, inputs = demo[model]
    spec = registry.get(model)
    net, _ = networks.load_generator(spec, str(weights))
    net = net.double()
    samples = InputSet(spec, inputs)
    one = np.stack([y for _, y in outputs(net, spec, samples, 1)])
    batched = np.stack([y for _, y in outputs(net, spec, samples, BATCH)])
    assert one.dtype == np.float64 and np.abs(one - batched).max() < 1e-12


def test_the_last_batch_is_short_not_padded(demo):
    spec = registry.get("gan")
    net, _ = networks.load_generator(spec, str(demo["gan"][0]))
    rows = []
    net.register_forward_pre_hook(lambda _module, args: rows.append(args[0].shape[0]))
    stems = [stem for stem, _ in outputs(net, spec, InputSet(spec, demo["gan"][1]), BATCH)]
    assert rows == [3, 2] and stems == InputSet(spec, demo["gan"][1]).stems


def test_reference_uses_the_threads_it_is_given(demo, tmp_path, keep_threads, capsys):
    weights, inputs = demo["gan"]
    torch.set_num_threads(2)
    reference.run(model="gan", weights=str(weights), inputs=str(inputs), out=tmp_path / "r", batch=4, threads=1)
    assert torch.get_num_threads() == 1 and "batch 4, 1 threads" in capsys.readouterr().out
