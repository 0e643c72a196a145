"""The fp16 emulation chip (cpu-fp16) and the keep-list search: the converted graph (fp32 I/O, kept ops in
fp32, every other tensor fp16), its numbers against numpy's float16, ATC's keep_dtype file, the search on a
model planted to overflow in fp16, and the keep file on ATC's command line (simulated Ascend)."""

from __future__ import annotations

import csv
import json
import re
import subprocess

import numpy as np
import pytest
import yaml

from common import new_workdir, shell_commands, snakemake, tool_env
from ganinfer import backends, keepdtype, precision
from ganinfer.accuracy import cosine
from ganinfer.backends import fp16, open_session
from ganinfer.errors import InputError
from ganinfer.keepdtype import KeepList

SIM = tool_env(simulator=True)
Z, C, S = 64, 3, 16  # the planted generator: z (64) -> image 3 x 16 x 16


def planted_generator(path, scale: float = 15.0, seed: int = 0):
    """MatMul z (64) -> 768 activations of RMS about 8 * scale (peaks past 256, whose square passes fp16's
    65504), then the variance normalisation of DG-Net's AdaIN: Pow 2, ReduceMean, Sqrt, Div; Tanh; reshaped
    to a 3 x 16 x 16 image."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(seed).standard_normal((Z, C * S * S)).astype(np.float32) * scale
    nodes = [
        helper.make_node("MatMul", ["z", "W"], ["a"], name="MatMul_0"),
        helper.make_node("Pow", ["a", "two"], ["sq"], name="Pow_1"),
        helper.make_node("ReduceMean", ["sq"], ["ms"], name="ReduceMean_2", axes=[-1], keepdims=1),
        helper.make_node("Sqrt", ["ms"], ["rms"], name="Sqrt_3"),
        helper.make_node("Div", ["a", "rms"], ["n"], name="Div_4"),
        helper.make_node("Tanh", ["n"], ["t"], name="Tanh_5"),
        helper.make_node("Reshape", ["t", "shape"], ["img"], name="Reshape_6"),
    ]
    weights = [
        numpy_helper.from_array(w, "W"),
        numpy_helper.from_array(np.array(2.0, np.float32), "two"),
        numpy_helper.from_array(np.array([-1, C, S, S], np.int64), "shape"),
    ]
    graph = helper.make_graph(
        nodes,
        "planted",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", Z])],
        [helper.make_tensor_value_info("img", TensorProto.FLOAT, ["N", C, S, S])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return model


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = tmp_path_factory.mktemp("planted") / "planted.onnx"
    return path, planted_generator(path)


def elem_types(model) -> dict[str, int]:
    from onnx import shape_inference

    g = shape_inference.infer_shapes(model).graph
    types = {v.name: v.type.tensor_type.elem_type for v in (*g.value_info, *g.input, *g.output)}
    return types | {i.name: i.data_type for i in g.initializer}


def test_the_chip_is_classified_once_with_its_keep_list_options():
    assert backends.classify("cpu-fp16") == backends.Chip(
        "cpu-fp16", "cpu", "session", "onnxruntime-fp16", "onnxruntime.yaml"
    )
    assert backends.session_module("cpu-fp16") == "ganinfer.backends.fp16"
    registry_mode, auto = {"ascend": {"keep_dtype": "registry"}}, {"ascend": {"keep_dtype": "auto"}}
    guide = ["OpType::InstanceNorm", "OpType::Pow", "OpType::ReduceMean"]
    assert backends.session_options("cpu-fp16", registry_mode, "dgnet") == {"keep_dtype": guide}
    assert backends.session_options("cpu-fp16", registry_mode, "dcgan") == {"keep_dtype": []}
    assert backends.session_options("cpu-fp16", auto, "dgnet") == {
        "keep_dtype_file": "results/dgnet/precision/keep_dtype.cfg"
    }
    assert backends.session_options("cpu-fp16", auto, "gemm") == {"keep_dtype": []}  # the GEMM peak's graph


def test_conversion_keeps_fp32_io_and_the_kept_ops_in_fp32(planted):
    from onnx import TensorProto

    _, model = planted
    converted = fp16.to_fp16(model, KeepList(("Pow", "ReduceMean")))
    types = elem_types(converted)
    f32, f16 = TensorProto.FLOAT, TensorProto.FLOAT16
    assert types["z"] == f32 and types["img"] == f32  # graph inputs and outputs stay float32
    assert types["W"] == f16 and types["two"] == f32  # MatMul's weights fp16; the kept Pow's exponent fp32
    by_name = {n.name: n for n in converted.graph.node}
    for kept in ("Pow_1", "ReduceMean_2"):
        assert {types[t] for t in (*by_name[kept].input, *by_name[kept].output)} == {f32}, kept
    assert by_name["ReduceMean_2"].input[0] == by_name["Pow_1"].output[0]  # kept -> kept: no Cast between
    for name in ("MatMul_0", "Sqrt_3", "Div_4", "Tanh_5"):
        assert types[by_name[name].output[0]] == f16, name
    # every fp16 tensor a node writes is read through two Identity nodes, which hold it in fp16
    readers = {}
    for node in converted.graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    for node in converted.graph.node:
        if node.op_type != "Identity" and types.get(node.output[0]) == f16:
            (first,) = readers[node.output[0]]
            (second,) = readers[first.output[0]]
            assert (first.op_type, second.op_type) == ("Identity", "Identity"), node.name
    # a node name keeps that node alone; the input model is left as it was
    by_node = {n.name: n for n in fp16.to_fp16(model, KeepList(nodes=("Sqrt_3",))).graph.node}
    typed = elem_types(fp16.to_fp16(model, KeepList(nodes=("Sqrt_3",))))
    assert typed[by_node["Sqrt_3"].output[0]] == f32 and typed[by_node["Div_4"].output[0]] == f16
    assert [n.op_type for n in model.graph.node] == ["MatMul", "Pow", "ReduceMean", "Sqrt", "Div", "Tanh", "Reshape"]
    assert model.graph.initializer[0].data_type == f32


def test_an_fp32_edge_between_kept_ops_with_several_readers_stays_fp32(planted):
    """MatMul's output feeds Pow and Div; with all three kept it must never pass through fp16."""
    from onnx import TensorProto

    _, model = planted
    converted = fp16.to_fp16(model, KeepList(("MatMul", "Pow", "Div")))
    matmul = next(n for n in converted.graph.node if n.name == "MatMul_0")
    readers = [n for n in converted.graph.node if matmul.output[0] in n.input]
    assert sorted(n.name for n in readers) == ["Div_4", "Pow_1"]
    assert elem_types(converted)[matmul.output[0]] == TensorProto.FLOAT


def test_the_chip_rounds_each_op_output_to_fp16_and_overflows_past_65504(planted, tmp_path):
    """ONNX Runtime alone would compute MatMul -> Pow -> ReduceMean in fp32 (it drops the Casts between nodes
    it has no fp16 kernel for); the chip gives numpy's float16 result."""
    path, _ = planted
    z = np.random.default_rng(1).standard_normal((4, Z)).astype(np.float32)
    fp32 = open_session(str(path), "cpu", 1).run({"z": z})
    w = np.random.default_rng(0).standard_normal((Z, C * S * S)).astype(np.float32) * 15.0
    a16 = (z.astype(np.float16).astype(np.float32) @ w.astype(np.float16).astype(np.float32)).astype(np.float16)
    with np.errstate(over="ignore"):
        assert np.isinf(a16 * a16).any() and not np.isinf(a16).any()  # a fits in fp16, a**2 does not

    # the converter's graph on ONNX Runtime as it is: no overflow, the Casts between fp32-computed nodes dropped
    import onnxruntime as ort

    plain = fp16.import_float16().convert_float_to_float16(planted[1], keep_io_types=True)
    unpinned = ort.InferenceSession(plain.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"z": z})
    assert min(cosine(unpinned[0][i], fp32[i]) for i in range(4)) > 0.9999

    session = open_session(str(path), "cpu-fp16", 1, {"keep_dtype": []})
    assert session.backend == "onnxruntime-fp16" and session.precision == "fp16"
    out = session.run({"z": z})
    assert out.dtype == np.float32 and out.shape == (4, C, S, S)
    # x**2 overflows to inf, so does the mean, x / inf = 0: the image is black; cos 0 against fp32
    np.testing.assert_array_equal(out, 0.0)
    assert max(cosine(out[i], fp32[i]) for i in range(4)) == 0.0

    kept = open_session(str(path), "cpu-fp16", 1, {"keep_dtype": "OpType::Pow,OpType::ReduceMean"}).run({"z": z})
    # numpy's float16 walk of the same graph: Pow and ReduceMean in fp32, every other tensor fp16
    ms = (a16.astype(np.float32) ** 2).mean(axis=-1, keepdims=True).astype(np.float16)
    rms = np.sqrt(ms.astype(np.float32)).astype(np.float16)
    n = (a16.astype(np.float32) / rms.astype(np.float32)).astype(np.float16)
    want = np.tanh(n.astype(np.float32)).astype(np.float16).astype(np.float32).reshape(out.shape)
    np.testing.assert_allclose(kept, want, atol=2**-11)  # one fp16 ulp below 1
    assert min(cosine(kept[i], fp32[i]) for i in range(4)) > 0.9999
    assert np.abs(kept - fp32).max() > 1e-4  # fp16 rounding is there


def test_the_chip_session_keeps_its_identities_and_the_shared_runs_setting(planted):
    """The fp16 session's options: the plain session's (threads, no spinning when shared) plus the
    EliminateIdentity rewrite off, which holds the fp16 barriers."""
    path, _ = planted
    for shared, spinning in ((True, "0"), (False, None)):
        opts = open_session(str(path), "cpu-fp16", 2, {"keep_dtype": []}, shared=shared).session.get_session_options()
        assert opts.get_session_config_entry("optimization.disable_specified_optimizers") == "EliminateIdentity"
        assert opts.intra_op_num_threads == 2 and opts.inter_op_num_threads == 1
        if spinning:
            assert opts.get_session_config_entry("session.intra_op.allow_spinning") == spinning
        else:
            with pytest.raises(Exception, match="allow_spinning"):
                opts.get_session_config_entry("session.intra_op.allow_spinning")


def test_the_keep_file_is_in_atc_format(planted, tmp_path):
    keep = KeepList(("InstanceNormalization", "Pow", "ReduceMean"), ("/dec/model.3/norm/Div",))
    keepdtype.write(keep, tmp_path / "keep.cfg")
    text = (tmp_path / "keep.cfg").read_text()
    assert text == "OpType::InstanceNorm\nOpType::Pow\nOpType::ReduceMean\n/dec/model.3/norm/Div\n"
    assert all(re.fullmatch(r"OpType::[A-Za-z0-9_]+|[^\s#]\S*", line) for line in text.splitlines())
    assert keepdtype.read(tmp_path / "keep.cfg") == keep  # Ascend IR InstanceNorm -> ONNX InstanceNormalization
    keepdtype.write(KeepList(), tmp_path / "empty.cfg")
    assert (tmp_path / "empty.cfg").read_text() == ""
    # the simulated atc (which checks each line) takes the file
    path, _ = planted
    keepdtype.write(KeepList(("Pow", "ReduceMean")), tmp_path / "p.cfg")
    args = ["atc", "--framework=5", f"--model={path}", f"--output={tmp_path / 'p'}", f"--input_shape=z:2,{Z}"]
    args += ["--soc_version=Ascend310P3", "--log=error", "--input_format=ND", f"--keep_dtype={tmp_path / 'p.cfg'}"]
    proc = subprocess.run(args, env=SIM, capture_output=True, text=True)
    assert proc.returncode == 0 and "ATC run success" in proc.stdout, proc.stdout
    assert json.loads((tmp_path / "p.om").read_text())["options"]["keep_dtype"] == str(tmp_path / "p.cfg")


def test_bad_keep_lists_are_one_line(tmp_path):
    with pytest.raises(InputError, match=r"^x: 'OpType::' names no type; write OpType::<type>, e\.g\. OpType::Pow$"):
        keepdtype.parse(["OpType::"], "x")
    with pytest.raises(InputError, match=r"^x: 'OpType::Pow OpType::Sqrt' holds a space"):
        keepdtype.parse(["OpType::Pow OpType::Sqrt"], "x")
    missing = tmp_path / "results/m/precision/keep_dtype.cfg"
    with pytest.raises(InputError) as err:
        fp16.keep_list({"keep_dtype_file": str(missing)})
    assert str(err.value).startswith(f"{missing}: cannot read the keep_dtype file (No such file or directory); run")
    assert "ascend.keep_dtype: registry" in str(err.value) and "\n" not in str(err.value)


def fake(needs):
    """An evaluator that passes when every group of ``needs`` has a member kept (an op type or a node)."""
    calls = []

    def evaluate(keep: KeepList) -> dict:
        kept = {*keep.op_types, *keep.nodes}
        share = sum(bool(kept & group) for group in needs) / len(needs)
        calls.append(keep)
        return {"samples": 2, "min_cosine": share, "mean_cosine": share, "worst_sample": "0", "passed": share == 1}

    return evaluate, calls


def test_search_ranks_adds_drops_and_narrows_to_nodes():
    types = {"MatMul": ["m"], "Pow": ["p1", "p2", "p3", "p4"], "ReduceMean": ["r"], "Tanh": ["t"]}
    evaluate, calls = fake([{"Pow", "p3"}, {"ReduceMean", "r"}])
    report = precision.search(evaluate, types, KeepList(("Pow",)), nodes=False)
    kinds = [s["kind"] for s in report["steps"]]
    assert kinds == ["baseline", "registry", "all", *["alone", "left_out"] * 4, "add", "add", "drop", "drop"]
    assert [r["op_type"] for r in report["ranking"]][:2] == ["Pow", "ReduceMean"]  # lost without them
    assert report["ranking"][0] == {"op_type": "Pow", "alone_min_cosine": 0.5, "left_out_min_cosine": 0.5}
    assert report["keep_dtype"] == ["OpType::Pow", "OpType::ReduceMean"] and report["passed"]
    assert report["steps"][1]["min_cosine"] == 0.5 and not report["steps"][1]["passed"]  # the model's own list
    assert len(calls) == len(report["steps"]) == 15
    # with nodes: Pow narrows to p3 (halves p1 p2 | p3 p4, then p3 | p4); ReduceMean has one node
    evaluate, _ = fake([{"Pow", "p3"}, {"ReduceMean", "r"}])
    narrowed = precision.search(evaluate, types, KeepList(), nodes=True)
    assert narrowed["keep_dtype"] == ["p3", "r"] and narrowed["op_types"] == [] and narrowed["passed"]
    assert [s["nodes"] for s in narrowed["steps"] if s["kind"] == "nodes"] == [["p1", "p2"], ["p3", "p4"], ["p3"]]
    # nothing to keep: one step; nothing passes even in fp32: every type, not passed
    always = precision.search(
        lambda keep: fake([set()])[0](KeepList(("x",))) | {"passed": True}, types, KeepList(), False
    )
    assert [s["kind"] for s in always["steps"]] == ["baseline"] and always["keep_dtype"] == [] and always["passed"]
    evaluate, _ = fake([{"Missing"}])
    failed = precision.search(evaluate, types, KeepList(), False)
    assert not failed["passed"] and failed["op_types"] == list(types) and len(failed["steps"]) == 2


def rows(path):
    with open(path) as f:
        return {(r["chip"], r["batch_size"]): r for r in csv.DictReader(f)}


def test_the_search_finds_the_planted_op_types_and_atc_gets_them(planted, tmp_path):
    path, _ = planted
    wd = new_workdir(tmp_path)
    config = {
        "models": ["planted"],
        "chips": ["cpu", "cpu-fp16", "Ascend310P3"],
        "onnx_models": {"planted": {"onnx": str(path), "inputs": [{"name": "z", "shape": [Z]}], "postprocess": "tanh"}},
        "samples": 6,
        "batch_sizes": {"planted": [2, 3]},
        "perf": {"warmup": 1, "warmup_seconds": 0, "min_iterations": 2, "min_seconds": 0.01, "max_seconds": 2.0},
        "ascend": {"probe_loop": 2, "warmup_count": 1},
    }
    (wd / "t.yaml").write_text(yaml.safe_dump(config))
    targets = [f"results/planted/accuracy/{c}/bs3.json" for c in ("cpu", "cpu-fp16")]
    snakemake(*targets, "results/planted/precision/keep_dtype.cfg", "-j2", "--configfile", "t.yaml", cwd=wd, env=SIM)
    acc = {c: json.loads((wd / f"results/planted/accuracy/{c}/bs3.json").read_text()) for c in ("cpu", "cpu-fp16")}
    assert acc["cpu"]["passed"] and acc["cpu"]["min_cosine"] > 0.99999
    assert not acc["cpu-fp16"]["passed"] and acc["cpu-fp16"]["min_cosine"] == 0.0
    assert acc["cpu-fp16"]["backend"] == "onnxruntime-fp16"

    assert (wd / "results/planted/precision/keep_dtype.cfg").read_text() == "OpType::Pow\nOpType::ReduceMean\n"
    report = json.loads((wd / "results/planted/precision/search.json").read_text())
    assert report["batch_size"] == 2 and report["chip"] == "cpu-fp16" and report["threshold"] == 0.99
    assert report["candidates"] == ["MatMul", "Pow", "ReduceMean", "Sqrt", "Div", "Tanh", "Reshape"]
    steps = report["steps"]
    assert steps[0]["kind"] == "baseline" and steps[0]["min_cosine"] == 0.0 and not steps[0]["passed"]
    assert steps[1]["kind"] == "all" and steps[1]["min_cosine"] > 0.99999  # all in fp32
    assert {r["op_type"] for r in report["ranking"][:2]} == {"Pow", "ReduceMean"}
    assert all(r["left_out_min_cosine"] > 0.99 for r in report["ranking"][2:])
    final = next(s for s in steps if s["kind"] == "add" and s["passed"])
    assert final["op_types"] == ["Pow", "ReduceMean"] and final["min_cosine"] > 0.999 and final["samples"] == 6
    assert report["passed"] and report["min_cosine"] == final["min_cosine"]

    # ascend.keep_dtype auto: ATC's command line takes the search's file, and the fp16 chip runs with it
    auto = ["--configfile", "t.yaml", "--config", "ascend={keep_dtype: auto, probe_loop: 2, warmup_count: 1}"]
    om = "results/planted/om/planted_bs3_Ascend310P3.om"
    dry = shell_commands(snakemake(om, "-n", "-p", *auto, cwd=wd, env=SIM).stdout)
    dry = dry["compile_atc bs=3, chip=Ascend310P3, model=planted"]
    cfg = "results/planted/precision/keep_dtype.cfg"
    assert 'keep= set -- if [ "$#" -gt 0 ]; then' in dry  # no list written: the search's file, when not empty
    assert f'elif [ -s "{cfg}" ]; then keep=--keep_dtype={cfg} fi atc --framework=5' in dry
    assert "--input_format=ND $keep >" in dry
    snakemake(om, "results/planted/accuracy/cpu-fp16/bs3.json", "-j2", *auto, cwd=wd, env=SIM)
    assert json.loads((wd / om).read_text())["options"]["keep_dtype"] == cfg
    rerun = json.loads((wd / "results/planted/accuracy/cpu-fp16/bs3.json").read_text())
    assert rerun["passed"] and rerun["min_cosine"] == pytest.approx(final["min_cosine"], abs=1e-4)
    summary = json.loads((wd / "results/planted/outputs/cpu-fp16/bs3_summary.json").read_text())
    assert summary["providers"][-1] == "fp16 emulation (keep_dtype: OpType::Pow OpType::ReduceMean)"
    # an empty keep file: atc gets no --keep_dtype
    (wd / cfg).write_text("")
    snakemake(om, "-j1", "--forcerun", "compile_atc", *auto, cwd=wd, env=SIM)
    assert "keep_dtype" not in json.loads((wd / om).read_text())["options"]


def test_registry_keep_list_reaches_atc_and_the_fp16_chip_alike(tmp_path):
    """dgnet's guide list: the same entries in the file the compile rule writes for ATC (registry mode) and in the
    chip's options; with auto, ATC's file is the keep-list search's (an input of the compile job)."""
    wd = new_workdir(tmp_path)
    om = "results/dgnet/om/dgnet_bs1_Ascend310P3.om"
    options = backends.session_options("cpu-fp16", {"ascend": {"keep_dtype": "registry"}}, "dgnet")
    assert options["keep_dtype"] == ["OpType::InstanceNorm", "OpType::Pow", "OpType::ReduceMean"]
    compile_atc = shell_commands(snakemake(om, "-n", "-p", cwd=wd, env=SIM).stdout)[
        "compile_atc bs=1, chip=Ascend310P3, model=dgnet"
    ]
    cfg = "results/dgnet/om/dgnet_keep_dtype.cfg"
    assert f"set -- {' '.join(options['keep_dtype'])} if" in compile_atc
    assert f'"$@" >{cfg} keep=--keep_dtype={cfg} elif' in compile_atc
    auto = snakemake(om, "-n", "-p", "--config", "ascend={keep_dtype: auto}", cwd=wd, env=SIM).stdout
    assert "rule keep_dtype_search:" in auto
    compile_atc = shell_commands(auto)["compile_atc bs=1, chip=Ascend310P3, model=dgnet"]
    cfg = "results/dgnet/precision/keep_dtype.cfg"
    assert 'set -- if [ "$#" -gt 0 ]' in compile_atc
    assert f'elif [ -s "{cfg}" ]; then keep=--keep_dtype={cfg} fi' in compile_atc
