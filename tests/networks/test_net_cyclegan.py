"""CycleGAN ResnetGenerator: upstream keys and sizes in both padding layouts, checkpoint
clean-up, shape-based hyper-parameters, and ONNX export parity in onnxruntime."""

from __future__ import annotations

import collections
import time
import warnings
from dataclasses import asdict

import numpy as np
import pytest
import torch

from ganinfer.models import cyclegan

FULL_PARAMS = 11_378_179
LAYOUTS = ("reflect", "zero")
BLOCK_CONVS = {"reflect": (1, 5), "zero": (0, 3)}
# InstanceNorm positions inside ``conv_block`` per layout.
BLOCK_NORMS = {"reflect": (2, 6), "zero": (1, 4)}
SMALL = {"ngf": 8, "n_blocks": 2}


def _model(seed: int = 0, **hparams) -> cyclegan.ResnetGenerator:
    torch.manual_seed(seed)
    model = cyclegan.build(**hparams)
    cyclegan.demo_init(model)
    return model.eval()


@pytest.fixture(scope="module")
def full():
    return {pad: _model(padding=pad) for pad in LAYOUTS}


def _old_checkpoint(sd: dict, padding: str, n_blocks: int = 9) -> dict:
    """``sd`` plus the InstanceNorm running statistics of a 2018-era checkpoint."""
    old = dict(sd)
    up = 10 + n_blocks  # first transposed convolution; 9 blocks: norms at 2, 5, 8, 20, 23
    prefixes = [f"model.{i}" for i in (2, 5, 8, up + 1, up + 4)]
    prefixes += [f"model.{10 + b}.conv_block.{j}" for b in range(n_blocks) for j in BLOCK_NORMS[padding]]
    for p in prefixes:
        old[f"{p}.running_mean"] = torch.zeros(4)
        old[f"{p}.running_var"] = torch.ones(4)
        old[f"{p}.num_batches_tracked"] = torch.tensor(0)
    return old


# ---------------------------------------------------------------- full size, keys and sizes


@pytest.mark.parametrize("padding", LAYOUTS)
def test_full_size_keys_shapes_params(full, padding):
    model = full[padding]
    sd = model.state_dict()
    assert len(sd) == 48
    assert sum(p.numel() for p in model.parameters()) == FULL_PARAMS
    assert list(model.buffers()) == []  # InstanceNorm: affine False, no running stats
    assert len(model.model) == 28
    shapes = {k: list(v.shape) for k, v in sd.items()}
    expected = {
        "model.1.weight": [64, 3, 7, 7],
        "model.1.bias": [64],
        "model.4.weight": [128, 64, 3, 3],
        "model.7.weight": [256, 128, 3, 3],
        "model.19.weight": [256, 128, 3, 3],
        "model.19.bias": [128],
        "model.22.weight": [128, 64, 3, 3],
        "model.22.bias": [64],
        "model.26.weight": [3, 64, 7, 7],
        "model.26.bias": [3],
    }
    for block in range(10, 19):
        for pos in BLOCK_CONVS[padding]:
            expected[f"model.{block}.conv_block.{pos}.weight"] = [256, 256, 3, 3]
            expected[f"model.{block}.conv_block.{pos}.bias"] = [256]
    for key, shape in expected.items():
        assert shapes.get(key) == shape, key
    other = BLOCK_CONVS["zero" if padding == "reflect" else "reflect"]
    assert not [k for k in sd if any(f"conv_block.{p}." in k for p in other)]
    outer = {int(k.split(".")[1]) for k in sd if "conv_block" not in k}
    assert outer == {1, 4, 7, 19, 22, 26}
    assert shapes == {k: list(v) for k, v in cyclegan.expected_shapes(cyclegan.HParams(padding=padding)).items()}
    pads = [type(m).__name__ for m in (model.model[0], model.model[25])]
    assert pads == ["ReflectionPad2d"] * 2 if padding == "reflect" else pads == ["ZeroPad2d"] * 2


@pytest.mark.parametrize("padding", LAYOUTS)
def test_hparams_from_state_dict_full(full, padding):
    hp = cyclegan.hparams_from_state_dict(full[padding].state_dict())
    assert hp == {"input_nc": 3, "output_nc": 3, "ngf": 64, "n_blocks": 9, "padding": padding, "use_dropout": False}


def test_demo_hparams_and_init(full):
    demo = {"input_nc": 3, "output_nc": 3, "ngf": 64, "n_blocks": 9, "padding": "zero", "use_dropout": False}
    assert asdict(cyclegan.HParams()) == demo
    sd = full["zero"].state_dict()
    weights = torch.cat([v.flatten() for k, v in sd.items() if k.endswith(".weight")])
    assert abs(weights.std().item() - 0.02) < 5e-4
    assert abs(weights.mean().item()) < 5e-4
    assert all(not v.any() for k, v in sd.items() if k.endswith(".bias"))


def test_layouts_do_not_cross_load(full):
    with pytest.raises(RuntimeError):
        full["zero"].load_state_dict(full["reflect"].state_dict(), strict=True)
    with pytest.raises(RuntimeError):
        full["reflect"].load_state_dict(full["zero"].state_dict(), strict=True)


@pytest.mark.parametrize("padding", LAYOUTS)
def test_clean_state_dict_drops_old_instance_norm_stats(full, padding):
    sd = full[padding].state_dict()
    old = _old_checkpoint(sd, padding)
    assert len(old) == 48 + 69
    target = cyclegan.build(padding=padding, ngf=64, n_blocks=9)
    with pytest.raises(RuntimeError):
        target.load_state_dict(old, strict=True)
    clean = cyclegan.clean_state_dict(old)
    assert list(clean) == list(sd)
    assert len(old) == 48 + 69  # input left alone
    assert cyclegan.hparams_from_state_dict(clean)["padding"] == padding
    target.load_state_dict(clean, strict=True)
    # statistics next to affine weights (a BatchNorm) are not InstanceNorm ones: kept
    bn = {"x.weight": torch.ones(2), "x.bias": torch.zeros(2), "x.running_mean": torch.zeros(2)}
    assert cyclegan.clean_state_dict(bn) == bn


# ---------------------------------------------------------------- shape-based hyper-parameters


@pytest.mark.parametrize("padding", LAYOUTS)
@pytest.mark.parametrize("hp", [{"ngf": 8, "n_blocks": 2}, {"ngf": 4, "n_blocks": 6, "input_nc": 1, "output_nc": 2}])
def test_hparams_roundtrip_reduced(padding, hp):
    sd = cyclegan.build(padding=padding, **hp).state_dict()
    got = cyclegan.hparams_from_state_dict(sd)
    assert got == {"input_nc": 3, "output_nc": 3, "padding": padding, "use_dropout": False, **hp}
    cyclegan.build(**got).load_state_dict(sd, strict=True)


@pytest.mark.parametrize("padding", LAYOUTS)
def test_dropout_layout_detected(padding):
    sd = cyclegan.build(padding=padding, ngf=4, n_blocks=3, use_dropout=True).state_dict()
    got = cyclegan.hparams_from_state_dict(sd)
    assert got["use_dropout"] is True and got["padding"] == padding
    cyclegan.build(**got).load_state_dict(sd, strict=True)


def test_hparams_rejects_other_networks():
    with pytest.raises(KeyError):
        cyclegan.hparams_from_state_dict({"l1.0.weight": torch.zeros(8192, 100)})
    sd = cyclegan.build(padding="reflect", ngf=4, n_blocks=2).state_dict()
    bad = dict(sd, **{"model.4.weight": torch.zeros(9, 4, 3, 3)})
    with pytest.raises(ValueError):
        cyclegan.hparams_from_state_dict(bad)
    out = cyclegan.outer_indices(2)["out"]
    assert out == 19
    missing = {k: v for k, v in sd.items() if not k.startswith(f"model.{out}.")}
    with pytest.raises(KeyError):
        cyclegan.hparams_from_state_dict(missing)
    mixed = dict(sd)
    for leaf in ("weight", "bias"):
        mixed[f"model.11.conv_block.0.{leaf}"] = mixed.pop(f"model.11.conv_block.1.{leaf}")
        mixed[f"model.11.conv_block.3.{leaf}"] = mixed.pop(f"model.11.conv_block.5.{leaf}")
    with pytest.raises(ValueError):
        cyclegan.hparams_from_state_dict(mixed)
    with pytest.raises(ValueError):
        cyclegan.build(padding="replicate")


def test_project_loader_strict_load(tmp_path):
    """The project's loader: ``module.`` prefixes and old running stats, strict load."""
    from ganinfer import networks

    model = _model(seed=3, padding="zero", **SMALL)
    old = _old_checkpoint(model.state_dict(), "zero", n_blocks=SMALL["n_blocks"])
    old = {f"module.{k}": v for k, v in old.items()}
    path = tmp_path / "latest_net_G_A.pth"
    torch.save(old, path)
    from ganinfer import registry

    spec = registry.get("cyclegan_sat2map")
    loaded, hp = networks.load_generator(spec, str(path))
    assert hp == {"input_nc": 3, "output_nc": 3, "padding": "zero", "use_dropout": False, **SMALL}
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


# ---------------------------------------------------------------- forward and ONNX


@pytest.mark.parametrize("padding", LAYOUTS)
def test_forward_shape_and_range(padding):
    model = _model(padding=padding, **SMALL)
    with torch.no_grad():
        y = model(torch.randn(2, 3, 64, 64) * 3)
    assert y.shape == (2, 3, 64, 64)
    assert y.abs().max() <= 1.0


def _export(model, path, size: int):
    with warnings.catch_warnings():
        # tracer chatter, and "instance_norm is set to train=True": InstanceNorm without running
        # stats always normalises with the input's statistics, which is what is wanted here
        warnings.simplefilter("ignore")
        _export_quiet(model, path, size)


def _export_quiet(model, path, size: int):
    torch.onnx.export(
        model,
        (torch.zeros(1, 3, size, size),),
        str(path),
        dynamo=False,
        opset_version=11,
        input_names=["img_sat_maps"],
        output_names=["maps"],
        dynamic_axes={"img_sat_maps": {0: "-1"}, "maps": {0: "-1"}},
    )


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(len(a), -1).astype(np.float64), b.reshape(len(b), -1).astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _pad_modes(onnx_model) -> list[str]:
    modes = []
    for node in onnx_model.graph.node:
        if node.op_type == "Pad":
            attr = {a.name: a for a in node.attribute}
            modes.append(attr["mode"].s.decode() if "mode" in attr else "constant")
    return modes


def _session(path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("padding", LAYOUTS)
def test_onnx_export_reduced_parity(tmp_path, padding):
    import onnx

    model = _model(seed=1, padding=padding, **SMALL)
    path = tmp_path / f"cyclegan_{padding}.onnx"
    with torch.no_grad():
        _export(model, path, 64)
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    assert graph.opset_import[0].version == 11
    assert [i.name for i in graph.graph.input] == ["img_sat_maps"]
    assert [o.name for o in graph.graph.output] == ["maps"]
    assert graph.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "-1"
    assert graph.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "-1"
    ops = {n.op_type for n in graph.graph.node}
    assert {"InstanceNormalization", "ConvTranspose", "Tanh"} <= ops
    modes = _pad_modes(graph)
    if padding == "zero":
        assert "reflect" not in modes
    else:
        assert modes.count("reflect") == 2 + 2 * SMALL["n_blocks"]

    x = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(7))  # batch 3: dynamic axis
    with torch.no_grad():
        ref = model(x).numpy()
    out = _session(path).run(["maps"], {"img_sat_maps": x.numpy()})[0]
    assert out.shape == ref.shape
    assert _cosine(out, ref).min() >= 0.9999
    assert np.abs(out - ref).max() < 1e-4


def test_onnx_export_full_size_zero(tmp_path, full):
    import onnx

    model = full["zero"]
    path = tmp_path / "model_Ga.onnx"
    with torch.no_grad():
        _export(model, path, 256)
    graph = onnx.load(str(path))
    assert "reflect" not in _pad_modes(graph)
    ops = collections.Counter(n.op_type for n in graph.graph.node)
    assert (ops["Conv"], ops["ConvTranspose"], ops["InstanceNormalization"], ops["Pad"], ops["Tanh"]) == (
        22,
        2,
        23,
        2,
        1,
    )
    x = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(11)) * 2 - 1
    with torch.no_grad():
        ref = model(x).numpy()
    sess = _session(path)
    sess.run(["maps"], {"img_sat_maps": x.numpy()})  # warm-up
    t0 = time.perf_counter()
    out = sess.run(["maps"], {"img_sat_maps": x.numpy()})[0]
    elapsed = time.perf_counter() - t0
    print(f"\nfull-size zero ONNX: {path.stat().st_size / 1e6:.1f} MB, ORT CPU bs1 {elapsed * 1000:.0f} ms/image")
    assert out.shape == (1, 3, 256, 256)
    assert _cosine(out, ref).min() >= 0.9999
