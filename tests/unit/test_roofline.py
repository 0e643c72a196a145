"""Roofline context: MACs counted on ONNX graphs, the GEMM peak stage, and the README pivots."""

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from common import error_lines, run_script
from ganinfer import registry
from ganinfer.gemm import gemm_graph
from ganinfer.onnxexport import export_onnx
from ganinfer.onnxgraph import simplify_onnx
from ganinfer.report.frames import perf_frame
from ganinfer.report.tables import perf_markdown, perf_pivot
from ganinfer.roofline import SHAPE_ONLY_ABOVE, drop_weight_data, graph_macs
from ganinfer.stats import gflops


def _graph(nodes, inputs, output, inits, path):
    vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs]
    out = [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)]
    init = [numpy_helper.from_array(np.zeros(s, np.float32), n) for n, s in inits]
    model = helper.make_model(helper.make_graph(nodes, "g", vi, out, init), opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def test_macs_of_each_counted_op(tmp_path):
    """2 images: grouped 3x3 conv 8->16 (g=2) on 10x10 -> 10x10, transposed 4x4 stride-2 conv 16->4,
    flatten, Gemm (transB) to 5, and a batched MatMul of the conv output with itself."""
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1], group=2),
        helper.make_node("ConvTranspose", ["c1", "w2"], ["c2"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Flatten", ["c2"], ["f"]),
        helper.make_node("Gemm", ["f", "w3"], ["g"], transB=1),
        helper.make_node("MatMul", ["c2", "c2"], ["y"]),
    ]
    path = _graph(
        nodes,
        [("x", [2, 8, 10, 10])],
        "y",
        [("w1", [16, 4, 3, 3]), ("w2", [16, 4, 4, 4]), ("w3", [5, 4 * 20 * 20])],
        tmp_path / "g.onnx",
    )
    info = graph_macs(path)
    conv = 16 * 10 * 10 * 4 * 9  # out pixels x channels x (C_in / group) x k^2
    convt = 16 * 10 * 10 * 4 * 16  # on the input grid: in pixels x C_in x C_out x k^2
    gemm = 5 * 1600
    matmul = 4 * 20 * 20 * 20  # per image: 4 channels of (20 x 20) @ (20 x 20)
    assert info["batch_size"] == 2
    assert info["macs_by_op"] == {"Conv": conv, "ConvTranspose": convt, "Gemm": gemm, "MatMul": matmul}
    assert info["macs_per_image"] == conv + convt + gemm + matmul


@pytest.mark.parametrize(
    "model, macs",
    [
        # published counts of the released networks (Linear 100->8192 + three 3x3 convs; the MLP)
        ("dcgan", 76_611_584),
        ("gan", 100 * 128 + 128 * 256 + 256 * 512 + 512 * 1024 + 1024 * 784),
    ],
)
def test_macs_of_the_released_networks(model, macs, demo_weights, tmp_path):
    spec = registry.get(model)
    export_onnx(spec, str(demo_weights[model]), tmp_path / "m.onnx")
    simplify_onnx(spec, str(tmp_path / "m.onnx"), 4, tmp_path / "m_bs4.onnx")
    out = tmp_path / "macs.json"
    run_script("count-macs", "--model", model, "--onnx", tmp_path / "m_bs4.onnx", "--out", out)
    assert json.loads(out.read_text())["macs_per_image"] == macs


def test_macs_read_a_reshape_target_but_not_the_weights(tmp_path):
    """x (2, 1025) reshaped by a shape initializer to (2, 5, 205), then a MatMul with a (205, 1025) weight:
    2 * 5 * 1025 * 205 MACs, so 5 * 1025 * 205 per image; the weight's data is dropped, its dims kept."""
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"]), helper.make_node("MatMul", ["r", "w"], ["y"])]
    path = _graph(nodes, [("x", [2, 1025])], "y", [("w", [205, 1025])], tmp_path / "m.onnx")
    model = onnx.load(path)
    model.graph.initializer.append(numpy_helper.from_array(np.array([2, 5, 205], np.int64), "shape"))
    onnx.save(model, path)
    assert graph_macs(path)["macs_per_image"] == 5 * 1025 * 205

    sizes = [SHAPE_ONLY_ABOVE, SHAPE_ONLY_ABOVE + 1]
    kept, dropped = (numpy_helper.from_array(np.ones(n, np.float32), f"t{n}") for n in sizes)
    model = helper.make_model(helper.make_graph([], "g", [], [], [kept, dropped]))
    drop_weight_data(model)
    assert numpy_helper.to_array(model.graph.initializer[0]).sum() == SHAPE_ONLY_ABOVE
    assert list(model.graph.initializer[1].dims) == [SHAPE_ONLY_ABOVE + 1]
    assert model.graph.initializer[1].raw_data == b""


def test_macs_need_a_fixed_batch(demo_weights, tmp_path):
    export_onnx(registry.get("gan"), str(demo_weights["gan"]), tmp_path / "gan.onnx")
    proc = run_script(
        "count-macs", "--model", "gan", "--onnx", tmp_path / "gan.onnx", "--out", tmp_path / "o.json", check=False
    )
    assert proc.returncode == 1 and not (tmp_path / "o.json").exists()
    assert error_lines(proc) == [
        f"error: {tmp_path / 'gan.onnx'}: the batch axis is not fixed; count MACs on a simplified per-batch graph"
    ]


def test_gemm_peak_is_the_best_size(tmp_path):
    out = tmp_path / "gemm.json"
    proc = run_script(
        "measure-gemm-peak",
        "--chip",
        "cpu",
        "--out",
        out,
        "--sizes",
        "32",
        "64",
        "--min-seconds",
        "0.05",
        "--warmup-seconds",
        "0",
        "--threads",
        "1",
    )
    rec = json.loads(out.read_text())
    assert [r["n"] for r in rec["runs"]] == [32, 64, 32, 64]  # every size twice, in turn
    for r in rec["runs"]:
        assert r["gflops"] == pytest.approx(2 * r["n"] ** 3 / r["latency_ms"]["p50"] / 1e6)
    assert rec["peak_gflops"] == max(r["gflops"] for r in rec["runs"]) > 0
    assert rec["threads"] == 1 and rec["precision"] == "fp32" and "onnxruntime" in rec["provenance"]["packages"]
    assert f"fp32 GEMM peak {rec['peak_gflops']:.1f} GFLOP/s" in proc.stdout
    assert onnx.checker.check_model(gemm_graph(8)) is None


def _record(chip, bs, fps, valid=True, rounds=(1.0,)):
    """A perf record of dcgan whose rounds are ``fps`` times ``rounds`` (their geometric mean is ``fps``)."""
    lat = {k: 1.0 for k in ("mean", "p50", "p90", "p95", "p99", "std", "cov", "robust_cov")}
    return {
        "model": "dcgan",
        "chip": chip,
        "batch_size": bs,
        "backend": "onnxruntime",
        "throughput_fps": fps,
        "throughput_ci_low": float("nan"),
        "throughput_ci_high": float("nan"),
        "round_fps": [fps * r for r in rounds],
        "rounds": len(rounds),
        "latency_ms": {**lat, "count": 10},
        "duration_s": 1.0,
        "settings": {"warmup": 1},
        "valid": valid,
        "invalid_reason": "",
        "provenance": {"device": chip},
    }


def _table(records, peak=None):
    """perf.csv's frame of ``records``: demo weights, dcgan's MACs, a GEMM peak (GFLOP/s) on cpu."""
    weights = {"dcgan": {"weights": "demo"}}
    return perf_frame(records, weights, {"dcgan": {"macs_per_image": 76611584}}, {"cpu": {"peak_gflops": peak}})


def test_pivot_ratios_best_row_and_check():
    gflops = 2 * 76611584 / 1e9  # per image/s
    rows = [
        _record("Ascend310", 1, 100.0, rounds=(1.0, 1.1)),
        _record("Ascend310", 4, 400.0),
        _record("Ascend310P3", 1, 40.0, rounds=(1.0, 1.1)),
        _record("Ascend310P3", 4, 300.0),
        _record("cpu", 1, 10.0),
        _record("cpu", 4, 30.0, valid=False),
    ]
    check = {"chip": "Ascend310P3", "baseline": "Ascend310", "min_ratio": 0.5}
    table = perf_pivot(
        _table(rows, peak=10.0 * gflops / 0.5), [("Ascend310P3", "Ascend310"), ("Ascend310P3", "cuda")], check
    )
    header, body = list(table.columns), table.values.tolist()
    assert header == [
        "batch size",
        "Ascend310 (img/s)",
        "Ascend310P3 (img/s)",
        "cpu (img/s)",
        "Ascend310P3/Ascend310",
        "Ascend310P3 ≥ 0.5× Ascend310",
        "% of GEMM peak (cpu)",
    ]
    # bs1: the ratio of the paired rounds (both rounds 0.40: no spread), bs4: one round
    assert body[0] == ["bs1", "100", "40.0", "10.0", "0.40 (0.40–0.40)", "FAIL", "50.0 %"]
    assert body[1] == ["bs4", "400", "300", "30.0 (invalid)", "0.75", "PASS", "150.0 %"]
    # best batch per chip; a VALID row beats a faster INVALID one
    assert body[2] == ["best", "400 (bs4)", "300 (bs4)", "10.0 (bs1)", "0.75", "PASS", "50.0 %"]


def test_pivot_without_the_configured_chips_has_no_ratio_columns():
    # both throughputs write as 12.5: the best row is ranked on the numbers
    rows = _table([_record("cpu", 1, 12.46), _record("cpu", 16, 12.54)])
    check = {"chip": "Ascend310P3", "baseline": "Ascend310", "min_ratio": 0.5}
    table = perf_pivot(rows, [("Ascend310P3", "Ascend310")], check)
    assert list(table.columns) == ["batch size", "cpu (img/s)"]
    assert table.values.tolist()[-1] == ["best", "12.5 (bs16)"]
    text = perf_markdown(rows)
    assert text.startswith("**dcgan** (demo weights, 76.6 M MACs per image), throughput in images/s:")
    assert "- cpu: cpu" in text


def test_gflops_counts_two_flops_per_mac():
    assert gflops(76_611_584, 1000.0) == pytest.approx(153.223168)
