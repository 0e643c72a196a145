"""Export and simplification: names, opset, batch axis, and ONNX Runtime vs PyTorch."""

import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

from common import SCRIPTS
from ganinfer import registry
from ganinfer.accuracy import cosine
from ganinfer.backends.onnxruntime import OrtSession
from ganinfer.networks import load_generator
from ganinfer.onnxexport import export_onnx
from ganinfer.onnxfile import io_names, save_checked
from ganinfer.onnxgraph import clip_max, simplify_onnx


@pytest.fixture(scope="module", params=["dcgan", "gan"])
def exported(request, demo_weights, tmp_path_factory):
    spec = registry.get(request.param)
    out = tmp_path_factory.mktemp("onnx") / f"{spec.name}.onnx"
    export_onnx(spec, str(demo_weights[spec.name]), out)
    return spec, out, demo_weights[spec.name]


def test_export_has_the_guides_names_opset_and_dynamic_batch(exported):
    spec, path, _ = exported
    model = onnx.load(path)
    names = io_names(model)
    assert list(names["inputs"]) == spec.input_names
    assert list(names["output"]) == [spec.output.name]
    assert names["inputs"][spec.input_names[0]] == ["-1", *spec.inputs[0].shape]
    assert model.opset_import[0].version == 11


@pytest.mark.parametrize("bs", [1, 5])
def test_simplified_model_is_fixed_to_its_batch_and_matches_pytorch(exported, tmp_path, bs):
    spec, path, weights = exported
    out = tmp_path / f"{spec.name}_bs{bs}.onnx"
    info = simplify_onnx(spec, str(path), bs, out)
    assert info["inputs"][spec.input_names[0]] == [bs, *spec.inputs[0].shape]
    assert info["output"][spec.output.name] == [bs, *spec.output.shape]

    rng = np.random.default_rng(7)
    feeds = {t.name: rng.standard_normal(t.batch_shape(bs), dtype=np.float32) for t in spec.inputs}
    ort_out = OrtSession(str(out), "cpu", 1).run(feeds)
    net, _ = load_generator(spec, str(weights))
    with torch.no_grad():
        ref = net(*(torch.from_numpy(feeds[n]) for n in spec.input_names)).numpy()
    assert ort_out.shape == ref.shape == (bs, *spec.output.shape)
    for a, b in zip(ort_out, ref, strict=True):
        assert cosine(a, b) >= 0.9999
    assert np.abs(ort_out - ref).max() < 1e-4


def test_clip_max_fixup_gives_every_clip_a_max():
    from onnx import TensorProto, helper

    node = helper.make_node("Clip", ["x", "lo"], ["y"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        [helper.make_tensor("lo", TensorProto.FLOAT, [], [0.0])],
    )
    model = helper.make_model(graph)
    assert clip_max(model) == 1
    assert list(model.graph.node[0].input) == ["x", "lo", "clip_max_value"]
    assert clip_max(model) == 0  # already has a max


def test_save_checked_writes_what_onnx_save_writes_and_nothing_for_an_invalid_graph(exported, tmp_path):
    from onnx import TensorProto, helper

    _, path, _ = exported
    model = onnx.load(path)
    save_checked(model, tmp_path / "checked.onnx")
    onnx.save(model, tmp_path / "saved.onnx")
    assert (tmp_path / "checked.onnx").read_bytes() == (tmp_path / "saved.onnx").read_bytes()

    dangling = helper.make_graph(  # "Relu" reads an input that nothing defines
        [helper.make_node("Relu", ["missing"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    with pytest.raises(onnx.checker.ValidationError, match="missing"):
        save_checked(helper.make_model(dangling), tmp_path / "bad.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checked.onnx", "saved.onnx"]


def test_onnxsim_is_imported_without_its_optional_torch_and_sympy():
    """A fresh interpreter (the simplify stage's) loads onnxsim without torch or sympy; both import
    normally afterwards, and a process that holds torch already keeps it."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from ganinfer.onnxgraph import import_onnxsim\n"
        "if sys.argv[2] == 'torch-first': import torch\n"
        "onnxsim = import_onnxsim()\n"
        "print(callable(onnxsim.simplify), 'torch' in sys.modules, 'sympy' in sys.modules)\n"
        "import sympy, torch\n"
        "print(torch.ones(1).item(), sympy.Integer(2) + 1)\n"
    )
    fresh = subprocess.run([sys.executable, "-c", code, str(SCRIPTS), "fresh"], capture_output=True, text=True)
    assert fresh.stdout.split("\n")[:2] == ["True False False", "1.0 3"], fresh.stderr
    held = subprocess.run([sys.executable, "-c", code, str(SCRIPTS), "torch-first"], capture_output=True, text=True)
    assert held.stdout.split("\n")[0] == "True True False", held.stderr


def test_untimed_sessions_do_not_spin():
    """The accuracy runs (shared=True) share the cores with other jobs: their idle intra-op threads sleep;
    the timed sessions keep ONNX Runtime's default (spinning on, the entry unset)."""
    from ganinfer.backends import open_session
    from ganinfer.gemm import gemm_graph

    key = "session.intra_op.allow_spinning"
    graph = gemm_graph(8).SerializeToString()
    untimed = open_session(graph, "cpu", 2, shared=True).session.get_session_options()
    assert untimed.get_session_config_entry(key) == "0"
    timed = open_session(graph, "cpu", 2).session.get_session_options()
    with pytest.raises(Exception, match=key):
        timed.get_session_config_entry(key)
