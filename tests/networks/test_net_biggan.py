"""BigGAN 128 generator (ganinfer.models.biggan): released key set, SN folding, Ascend inputs, ONNX export.

Most tests use a reduced-width instance (ch=8, attention still at 64); the full-size ones build
the released configuration (70.4 M parameters) and export it once (~282 MB of ONNX).
"""

from __future__ import annotations

import collections
from dataclasses import asdict

import numpy as np
import pytest
import torch

from ganinfer.models import biggan
from ganinfer.preprocess import biggan_inputs

SMALL = {**asdict(biggan.HParams()), "ch": 8, "n_classes": 10}
FULL_PARAMS = 70_433_988
FULL_KEYS = 166
FULL_SHAPES = {
    "shared.weight": (1000, 128),
    "linear.weight": (24576, 20),
    "linear.bias": (24576,),
    "linear.u0": (1, 24576),
    "linear.sv0": (1,),
    "blocks.0.0.conv1.weight": (1536, 1536, 3, 3),
    "blocks.0.0.conv_sc.weight": (1536, 1536, 1, 1),
    "blocks.0.0.bn1.gain.weight": (1536, 148),
    "blocks.0.0.bn1.gain.u0": (1, 1536),
    "blocks.0.0.bn1.bias.sv0": (1,),
    "blocks.0.0.bn1.stored_mean": (1536,),
    "blocks.1.0.conv1.weight": (768, 1536, 3, 3),
    "blocks.1.0.bn2.stored_var": (768,),
    "blocks.3.0.conv2.weight": (192, 192, 3, 3),
    "blocks.3.1.gamma": (),
    "blocks.3.1.theta.weight": (24, 192, 1, 1),
    "blocks.3.1.theta.u0": (1, 24),
    "blocks.3.1.phi.weight": (24, 192, 1, 1),
    "blocks.3.1.g.weight": (96, 192, 1, 1),
    "blocks.3.1.o.weight": (192, 96, 1, 1),
    "blocks.3.1.o.sv0": (1,),
    "blocks.4.0.conv2.bias": (96,),
    "blocks.4.0.bn2.bias.weight": (96, 148),
    "output_layer.0.gain": (96,),
    "output_layer.0.bias": (96,),
    "output_layer.0.stored_mean": (96,),
    "output_layer.0.stored_var": (96,),
    "output_layer.2.weight": (3, 96, 3, 3),
    "output_layer.2.bias": (3,),
    "output_layer.2.u0": (1, 3),
}


def _randomise_inference_state(model):
    """Non-trivial stored BN statistics, BN affine and attention gamma (a fresh G has gamma 0)."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("stored_mean"):
                t.normal_(0.0, 0.3)
            elif name.endswith("stored_var"):
                t.uniform_(0.5, 2.0)
            elif name.endswith("gamma"):
                t.fill_(0.7)
            elif name.startswith("output_layer.0."):
                t.add_(0.1 * torch.randn_like(t))


@pytest.fixture
def small():
    torch.manual_seed(0)
    model = biggan.build(**SMALL)
    biggan.demo_init(model)
    _randomise_inference_state(model)
    return model.eval()


def _inputs(model, n=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.dim_z, generator=g)
    y = torch.randint(0, model.shared.num_embeddings, (n,), generator=g)
    return z, y


def _ops(onnx_path):
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    return collections.Counter(node.op_type for node in graph.node), graph


def _export(model, path, batch=1):
    dummy = (torch.zeros(batch, 1, model.z_chunk_size), torch.zeros(batch, model.num_blocks, model.cond_dim))
    names = ["noise", "label", "image"]
    with torch.no_grad():
        torch.onnx.export(
            model,
            dummy,
            str(path),
            input_names=names[:2],
            output_names=names[2:],
            dynamic_axes={n: {0: "-1"} for n in names},
            opset_version=11,
            do_constant_folding=True,
            dynamo=False,
        )


# --------------------------------------------------------------------------------------------- full size


@pytest.fixture(scope="module")
def full_sd():
    torch.manual_seed(0)
    return biggan.build().state_dict()


def test_full_size_keys_shapes_and_params(full_sd):
    assert len(full_sd) == FULL_KEYS
    for key, shape in FULL_SHAPES.items():
        assert tuple(full_sd[key].shape) == shape, key
    for i in range(5):
        for conv in ("conv1", "conv2", "conv_sc"):
            for leaf in ("weight", "bias", "u0", "sv0"):
                assert f"blocks.{i}.0.{conv}.{leaf}" in full_sd
        for bn in ("bn1", "bn2"):
            for leaf in ("stored_mean", "stored_var", "gain.weight", "gain.u0", "gain.sv0", "bias.weight"):
                assert f"blocks.{i}.0.{bn}.{leaf}" in full_sd
        assert (f"blocks.{i}.1.gamma" in full_sd) == (i == 3)
    assert not any(k.endswith(("gain.bias", "theta.bias", "o.bias")) for k in full_sd)
    sn_layers = [k for k in full_sd if k.endswith(".u0")]
    assert len(sn_layers) == 41
    model = biggan.build()
    assert sum(p.numel() for p in model.parameters()) == FULL_PARAMS
    assert sum(b.numel() for b in model.buffers()) == 63_644


def test_full_size_module_prefix_round_trip(full_sd, tmp_path):
    path = tmp_path / "G_ema.pth"
    torch.save({f"module.{k}": v for k, v in full_sd.items()}, path)
    sd = {k.removeprefix("module."): v for k, v in torch.load(path, map_location="cpu", weights_only=True).items()}
    hp = biggan.hparams_from_state_dict(sd)
    assert hp == asdict(biggan.HParams())
    model = biggan.build(**hp)
    model.load_state_dict(sd, strict=True)
    for k, v in model.state_dict().items():
        assert torch.equal(v, full_sd[k]), k


def test_full_size_onnx_export_size(full_sd, tmp_path):
    """The folded full model exports as plain Conv/Gemm: ~282 MB (833 MB with the SN subgraphs left in)."""
    model = biggan.build()
    model.load_state_dict(full_sd, strict=True)
    model.eval()
    biggan.finalize(model)
    path = tmp_path / "biggan.onnx"
    _export(model, path)
    size = path.stat().st_size
    assert 270e6 < size <= 320e6, size
    ops, graph = _ops(path)
    assert "ReduceL2" not in ops and "Clip" not in ops
    assert ops["Conv"] == 20 and ops["MatMul"] == 22
    assert [i.name for i in graph.input] == ["noise", "label"]
    assert [d.dim_param or d.dim_value for d in graph.input[1].type.tensor_type.shape.dim] == ["-1", 5, 148]


# --------------------------------------------------------------------------------------------- reduced width


def test_small_instance_keeps_attention(small):
    sd = small.state_dict()
    assert len(sd) == FULL_KEYS
    assert tuple(sd["blocks.3.1.theta.weight"].shape) == (2, 16, 1, 1)
    assert biggan.hparams_from_state_dict(sd) == SMALL


def test_ascend_inputs_match_upstream_forward(small):
    z, y = _inputs(small, n=3)
    noise, label = _split(small, z, y)
    assert noise.shape == (3, 1, 20) and label.shape == (3, 5, 148)
    assert torch.equal(noise[:, 0], z[:, :20])
    assert torch.equal(label[:, 2, :128], small.shared.weight[y].detach())
    assert torch.equal(label[:, 2, 128:], z[:, 60:80])
    with torch.no_grad():
        ref = biggan.upstream_forward(small, z, small.shared(y))
        out = small(noise, label)
    assert out.shape == (3, 3, 128, 128)
    assert torch.equal(out, ref)
    assert out.abs().max() <= 1.0 and out.std() > 1e-3


def _split(small, z, y):
    """The preprocess stage's split of (z, y) into the Ascend inputs, as tensors."""
    noise, label = biggan_inputs(small.shared.weight.detach().numpy(), z.numpy(), y.numpy())
    return torch.from_numpy(noise), torch.from_numpy(label)


def test_biggan_inputs_are_float32_contiguous_and_sized_by_the_tensors(small):
    z, y = _inputs(small, n=4)
    noise, label = biggan_inputs(small.shared.weight.detach().numpy(), z.numpy().astype(np.float64), y.numpy())
    assert noise.dtype == np.float32 and label.dtype == np.float32
    assert noise.flags["C_CONTIGUOUS"] and label.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(noise[:, 0], z[:, :20].numpy())
    # sizes follow the tensors: a 12-d z over 3 slots gives chunks of 4
    noise, label = biggan_inputs(np.zeros((2, 8), np.float32), np.arange(24.0).reshape(2, 12), [0, 1], 3)
    assert noise.shape == (2, 1, 4) and label.shape == (2, 2, 12)
    np.testing.assert_array_equal(label[1, 1, 8:], [20, 21, 22, 23])
    with pytest.raises(ValueError, match="fewer than 3 slots"):
        biggan_inputs(np.zeros((2, 8), np.float32), np.zeros((2, 2)), [0, 1], 3)


def test_finalize_folds_spectral_norm_exactly(small):
    z, y = _inputs(small, n=2)
    noise, label = _split(small, z, y)
    conv = small.blocks[1][0].conv1
    w = conv.weight.detach().double().reshape(conv.weight.shape[0], -1).numpy()
    u = conv.u0.double().numpy()
    with torch.no_grad():
        ref = small(noise, label)
        biggan.finalize(small)
        out = small(noise, label)
        biggan.finalize(small)  # idempotent
        again = small(noise, label)
    assert (out - ref).abs().max().item() < 1e-5
    assert torch.equal(out, again)
    # upstream semantics, computed independently: one power-iteration step from u0, eps 1e-6
    v = u @ w
    v /= max(np.linalg.norm(v), 1e-6)
    u2 = v @ w.T
    u2 /= max(np.linalg.norm(u2), 1e-6)
    sigma = (v @ w.T @ u2.T).item()
    folded = conv.weight.detach().double().reshape(w.shape).numpy()
    np.testing.assert_allclose(folded, w / sigma, rtol=1e-5, atol=1e-7)
    assert not any(k.endswith((".u0", ".sv0")) for k in small.state_dict())


def test_eval_forward_does_not_touch_u0_but_training_does(small):
    lin = small.blocks[0][0].bn1.gain
    u_before = lin.u0.clone()
    x = torch.randn(2, lin.in_features)
    with torch.no_grad():
        lin(x)
    assert torch.equal(lin.u0, u_before)
    lin.train()
    with torch.no_grad():
        lin(x)
    assert not torch.equal(lin.u0, u_before)
    assert abs(lin.u0.norm().item() - 1.0) < 1e-5
    assert lin.sv0.item() > 0


def test_onnx_export_small_matches_onnxruntime(small, tmp_path):
    import onnxruntime as ort

    biggan.finalize(small)
    path = tmp_path / "small.onnx"
    _export(small, path, batch=2)
    ops, graph = _ops(path)
    assert "ReduceL2" not in ops and "Clip" not in ops and "Expand" not in ops
    # 20 ccbn linears (no bias) + 2 attention bmm; the stem linear is the only Gemm: no power iteration left
    assert ops["Conv"] == 20 and ops["MatMul"] == 22 and ops["Gemm"] == 1 and ops["Softmax"] == 1
    for value in (*graph.input, *graph.output):
        assert value.type.tensor_type.shape.dim[0].dim_param == "-1"
    z, y = _inputs(small, n=3, seed=5)
    noise, label = _split(small, z, y)
    with torch.no_grad():
        ref = small(noise, label).numpy()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = sess.run(["image"], {"noise": noise.numpy(), "label": label.numpy()})
    assert out.shape == (3, 3, 128, 128)
    a, b = out.ravel().astype(np.float64), ref.ravel().astype(np.float64)
    assert a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) >= 0.9999
    assert np.abs(a - b).max() < 1e-4


# --------------------------------------------------------------------------------------------- wrong checkpoints


def test_wrong_architecture_is_rejected(small):
    sd = small.state_dict()
    missing = {k: v for k, v in sd.items() if k != "blocks.3.1.o.u0"}
    with pytest.raises(KeyError):
        biggan.hparams_from_state_dict(missing)
    with pytest.raises(RuntimeError):
        biggan.build(**SMALL).load_state_dict(missing, strict=True)
    with pytest.raises(KeyError):
        biggan.hparams_from_state_dict({"l1.0.weight": torch.zeros(8192, 100)})  # a DCGAN
    extra = {**sd, "blocks.2.1.gamma": torch.tensor(0.0)}  # half an attention block
    with pytest.raises(KeyError):
        biggan.hparams_from_state_dict(extra)
    bad_shape = {**sd, "blocks.2.0.conv2.weight": torch.zeros(32, 32, 1, 1)}
    with pytest.raises(ValueError):
        biggan.hparams_from_state_dict(bad_shape)
    non_hier = {**sd, "blocks.0.0.bn1.gain.weight": torch.zeros(128, 128)}
    with pytest.raises(ValueError):
        biggan.hparams_from_state_dict(non_hier)
    with pytest.raises(ValueError):
        biggan.build(**{**SMALL, "hier": False})
