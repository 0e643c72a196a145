"""Models declared in the config by their ONNX file alone (onnx_models): the whole DAG on cpu and a
simulated Ascend310P3, the inputs each kind makes, the batch axis, and one line per bad declaration."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml

from common import error_lines, new_workdir, run_script, snakemake, tool_env
from ganinfer import registry
from ganinfer.declared import build_spec
from ganinfer.fileio import read_bin
from ganinfer.spec import ModelSpec, TensorSpec

SIM = tool_env(simulator=True)


def tiny_generator(path, batch=None, fixed_reshape=False, onehot=0):
    """A small conv generator: z (N x 64, plus an optional one-hot of ``onehot`` classes) -> N x 3 x 32 x 32
    in [-1, 1]; ``batch`` fixes the batch axis, ``fixed_reshape`` also bakes it into the Reshape."""
    import torch
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(64 + onehot, 16 * 8 * 8)
            self.up = nn.Sequential(
                nn.ConvTranspose2d(16, 8, 4, 2, 1),
                nn.BatchNorm2d(8),
                nn.ReLU(),
                nn.ConvTranspose2d(8, 3, 4, 2, 1),
                nn.Tanh(),
            )

        def forward(self, z, *y):
            h = self.fc(torch.cat([z, *y], 1) if y else z)
            return self.up(h.view(batch if fixed_reshape else -1, 16, 8, 8))

    torch.manual_seed(0)
    net = Tiny().eval()
    names = ["z", "y"][: 1 + bool(onehot)]
    dummy = tuple(torch.zeros(batch or 2, n) for n in (64, onehot)[: len(names)])
    dynamic = None if batch else {n: {0: "N"} for n in [*names, "img"]}
    torch.onnx.export(
        net,
        dummy,
        str(path),
        input_names=names,
        output_names=["img"],
        dynamic_axes=dynamic,
        opset_version=13,
        dynamo=False,
    )
    return path


@pytest.fixture(scope="module")
def tinygen(tmp_path_factory):
    return tiny_generator(tmp_path_factory.mktemp("onnx") / "tinygen.onnx")


def declaration(onnx, **extra):
    return {
        "onnx": str(onnx),
        "inputs": [{"name": "z", "shape": [64], "kind": "normal"}],
        "postprocess": "tanh",
        **extra,
    }


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_a_declared_model_runs_through_every_stage_on_cpu_and_simulated_ascend(tinygen, tmp_path):
    import onnxruntime as ort

    wd = new_workdir(tmp_path)
    config = {
        "models": ["tinygen"],
        "chips": ["cpu", "Ascend310P3"],
        "onnx_models": {"tinygen": declaration(tinygen, atc={"input_format": "ND", "keep_dtype": ["OpType::Pow"]})},
        "samples": {"tinygen": 12},
        "batch_sizes": {"tinygen": [1, 4]},
        "perf": {"warmup": 1, "warmup_seconds": 0, "min_iterations": 10, "min_seconds": 0.3, "max_seconds": 3.0},
        "ascend": {"probe_loop": 3, "warmup_count": 1},
        "images": {"pngs": "all"},  # a PNG per sample of every run (a model without IS/FID has none by default)
    }
    (wd / "t.yaml").write_text(yaml.safe_dump(config))
    env = {**SIM, "AIS_BENCH_SIM_DEVICE_MS": "0.05"}
    snakemake("results/tables/perf.csv", "-j2", "--configfile", "t.yaml", cwd=wd, env=env)

    perf = {(r["chip"], r["batch_size"]): r for r in rows(wd / "results/tables/perf.csv")}
    assert set(perf) == {(c, b) for c in ("cpu", "Ascend310P3") for b in ("1", "4")}
    assert {r["weights"] for r in perf.values()} == {"onnx"}
    assert perf[("Ascend310P3", "4")]["backend"] == "ais_bench" and perf[("cpu", "4")]["backend"] == "onnxruntime"
    # MACs of the simplified graph: Linear 64 x 1024, ConvTranspose 16 -> 8 (4 x 4) from 8 x 8, 8 -> 3 from 16 x 16
    assert int(perf[("cpu", "1")]["macs_per_image"]) == 64 * 1024 + 16 * 8 * 16 * 8 * 8 + 8 * 3 * 16 * 16 * 16

    acc = rows(wd / "results/tables/accuracy.csv")
    assert len(acc) == 4
    for r in acc:
        assert r["passed"] == "PASS" and r["samples"] == "12" and float(r["min_cosine"]) > 0.99999
        assert r["reference"] == "ONNX Runtime CPU fp32, original graph"
    assert "| ONNX Runtime CPU fp32, original graph | 12 |" in (wd / "results/tables/accuracy.md").read_text()

    # the reference is ONNX Runtime on the user's file, over the seeded inputs
    session = ort.InferenceSession(str(tinygen), providers=["CPUExecutionProvider"])
    for i in (0, 11):
        z = read_bin(wd / f"results/tinygen/inputs/z/{i:05d}.bin", (64,))
        np.testing.assert_array_equal(z, np.random.default_rng([0, i]).standard_normal(64, dtype=np.float32))
        (want,) = session.run(["img"], {"z": z[None]})
        np.testing.assert_allclose(
            read_bin(wd / f"results/tinygen/reference/{i:05d}_0.bin", (3, 32, 32)), want[0], atol=1e-6
        )
    for chip in ("cpu", "Ascend310P3"):
        pngs = sorted(p.name for p in (wd / f"results/tinygen/images/{chip}/bs4").glob("*.png"))
        assert pngs == [f"{i:05d}_0.png" for i in range(12)]
        assert (wd / f"results/tinygen/images/{chip}/bs4_grid.png").stat().st_size > 0

    # ATC was given the declared extras
    om = json.loads((wd / "results/tinygen/om/tinygen_bs4_Ascend310P3.om").read_text())
    assert om["input_shape"] == {"z": [4, 64]}
    assert om["options"]["input_format"] == "ND"
    assert (wd / om["options"]["keep_dtype"]).read_text().split() == ["OpType::Pow"]

    # a changed declaration reruns what depends on it; an unchanged one nothing
    assert (
        "Nothing to be done"
        in snakemake("results/tables/perf.csv", "-n", "--configfile", "t.yaml", cwd=wd, env=env).stdout
    )
    config["onnx_models"]["tinygen"]["postprocess"] = "minmax"
    (wd / "t.yaml").write_text(yaml.safe_dump(config))
    dry = snakemake("results/tables/perf.csv", "-n", "--configfile", "t.yaml", cwd=wd, env=env).stdout
    assert "rule import_onnx:" in dry and "rule images:" in dry


def test_a_fixed_batch_graph_serves_every_batch_size_its_graph_allows(tmp_path):
    fixed = tiny_generator(tmp_path / "fixed.onnx", batch=1)
    baked = tiny_generator(tmp_path / "baked.onnx", batch=1, fixed_reshape=True)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"onnx_models": {"fixed": declaration(fixed), "baked": declaration(baked)}}))
    for name in ("fixed", "baked"):
        out, info = tmp_path / f"{name}.imported.onnx", tmp_path / f"{name}.json"
        run_script("import-onnx", "--configfile", cfg, "--model", name, "--out", out, "--info", info)
        record = json.loads(info.read_text())
        assert record["batch"] == 1 and record["inputs"] == {"z": ["-1", 64]} and record["output"]["img"][0] == "-1"
    ok = run_script(
        "simplify-onnx",
        "--configfile",
        cfg,
        "--model",
        "fixed",
        "--onnx",
        tmp_path / "fixed.imported.onnx",
        "--bs",
        4,
        "--out",
        tmp_path / "fixed_bs4.onnx",
    )
    assert ok.returncode == 0 and (tmp_path / "fixed_bs4.onnx").exists()
    proc = run_script(
        "simplify-onnx",
        "--configfile",
        cfg,
        "--model",
        "baked",
        "--onnx",
        tmp_path / "baked.imported.onnx",
        "--bs",
        4,
        "--out",
        tmp_path / "baked_bs4.onnx",
        check=False,
    )
    (line,) = error_lines(proc)
    assert line.startswith(f"error: {tmp_path / 'baked.imported.onnx'}: does not run at batch size 4 (")
    assert line.endswith("serves only that batch: set batch_sizes.baked to it, or re-export with a dynamic batch axis")
    assert not (tmp_path / "baked_bs4.onnx").exists()


def test_the_input_kinds_make_what_they_say(tmp_path):
    from PIL import Image

    graph = tiny_generator(tmp_path / "cond.onnx", onehot=10)
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in ("b 2.png", "a-1.jpg", "c.png"):
        Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(folder / name)
    decl = {
        "onnx": str(graph),
        "inputs": [{"name": "z", "shape": [64]}, {"name": "y", "shape": [10], "kind": "onehot"}],
        "postprocess": "tanh",
    }
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"onnx_models": {"cond": decl}}))
    out = tmp_path / "inputs"
    run_script("prepare-inputs", "--configfile", cfg, "--model", "cond", "--samples", 5, "--seed", 3, "--out", out)
    manifest = json.loads((out / "manifest.json").read_text())["samples"]
    for i in range(5):
        rng = np.random.default_rng([3, i])
        z = rng.standard_normal(64, dtype=np.float32)
        label = int(rng.integers(10))
        np.testing.assert_array_equal(read_bin(out / f"z/{i:05d}.bin", (64,)), z)
        assert read_bin(out / f"y/{i:05d}.bin", (10,)).tolist() == [float(k == label) for k in range(10)]
        assert manifest[f"{i:05d}"]["class"] == {"y": label}

    # images: natural order of the folder, shorter side to the input size, centre crop, the declared range
    spec = TensorSpec("img", (3, 8, 8), "images", str(folder), "unit")
    grey = TensorSpec("g", (1, 8, 8), "images", str(folder), "tanh")
    from ganinfer.preprocess import declared

    fake = ModelSpec(
        name="imgs",
        title="",
        guide="",
        network="",
        checkpoint_key=None,
        inputs=(spec, grey),
        output=TensorSpec("o", (3, 8, 8)),
        file_stem="{:05d}",
        preprocess="declared",
        postprocess="tanh",
    )
    made = tmp_path / "imgs"
    (made).mkdir()
    manifest, _ = declared(fake, 3, 0, made)
    assert [m["file"] for m in manifest.values()] == ["a-1.jpg", "b 2.png", "c.png"]
    with Image.open(folder / "b 2.png") as im:
        resized = im.convert("RGB").resize((12, 8), Image.BILINEAR).crop((2, 0, 10, 8))
    want = np.asarray(resized, dtype=np.float32).transpose(2, 0, 1) / 255.0
    np.testing.assert_allclose(read_bin(made / "img/00001.bin", (3, 8, 8)), want, atol=1e-6)
    luma = np.tensordot(np.array([0.299, 0.587, 0.114], dtype=np.float32), want, axes=1)
    np.testing.assert_allclose(read_bin(made / "g/00001.bin", (1, 8, 8))[0], luma * 2 - 1, atol=1e-5)


def _config_error(tmp_path, decl, **top) -> str:
    """The one line the workflow stops with for this declaration (a dry run, before any job)."""
    wd = new_workdir(tmp_path)
    config = {"models": [top.pop("name", "tinygen")], "onnx_models": {top.pop("key", "tinygen"): decl}, **top}
    (wd / "t.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake("results/tables/perf.csv", "-n", "--configfile", "t.yaml", cwd=wd, check=False)
    assert proc.returncode != 0
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "config error" in line]
    assert len(lines) == 1, proc.stderr[-2000:]
    assert not (wd / "results").exists()
    return lines[0]


HINT = "in your config (config/config.yaml, --configfile or --config)"


def test_bad_declarations_each_stop_the_workflow_with_one_line(tinygen, tmp_path):
    g = str(tinygen)
    cases = [
        (
            {**declaration(g), "inputs": [{"name": "noise", "shape": [64]}]},
            f"config error: {g}: onnx_models.tinygen.inputs[0].name 'noise' does not match the graph's inputs in "
            f"order (z; the graph's input 0 is 'z'); declare them in the graph's order with its names "
            f"(fix onnx_models.tinygen.inputs[0] {HINT})",
        ),
        (
            {**declaration(g), "inputs": [{"name": "z", "shape": [100]}]},
            f"config error: {g}: onnx_models.tinygen.inputs[0].shape [100] differs from the graph's 'z' ['N', 64] "
            f"at axis 1 (100 vs 64); fix onnx_models.tinygen.inputs[0].shape {HINT}",
        ),
        (
            declaration(g + ".missing"),
            f"config error: {g}.missing: ONNX file not found (fix onnx_models.tinygen.onnx {HINT})",
        ),
        (
            {**declaration(g), "inputs": [{"name": "z", "shape": [64], "kind": "uniform"}]},
            "config error: onnx_models.tinygen.inputs.0.kind: 'uniform' is not one of ['normal', 'onehot', 'images']",
        ),
    ]
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(tinygen.read_bytes()[:3000])
    cases.append((declaration(corrupt), f"config error: {corrupt}: not a readable ONNX model ("))
    for i, (decl, line) in enumerate(cases):
        assert _config_error(tmp_path / str(i), decl).startswith(line)
    assert _config_error(tmp_path / "w", declaration(g), weights={"tinygen": {"path": g}}) == (
        "config error: weights.tinygen: 'tinygen' is declared under onnx_models, whose weights are its ONNX file; "
        f"remove weights.tinygen ({HINT})"
    )
    assert _config_error(tmp_path / "d", declaration(g), datasets={"tinygen": str(tmp_path)}).startswith(
        "config error: datasets.tinygen: a declared model's images come from its inputs' folder "
        "(onnx_models.tinygen.inputs[i].folder); move the folder there"
    )
    assert _config_error(tmp_path / "clash", declaration(g), name="dcgan", key="dcgan") == (
        "config error: onnx_models.dcgan: 'dcgan' is a built-in model; give the ONNX model another name "
        "(in onnx_models, models and the per-model keys of your config (config/config.yaml, --configfile or --config))"
    )


@pytest.mark.parametrize(
    ("decl", "message"),
    [
        (
            {"inputs": [{"name": "z", "shape": [64]}, {"name": "y", "shape": [10]}]},
            "the graph has 1 input(s) (z), onnx_models.m.inputs[1] declares one more; remove it",
        ),
        ({"inputs": [{"name": "z", "shape": [64, 1]}]}, "onnx_models.m.inputs[0].shape [64, 1] is 2-d per sample"),
        ({"inputs": [{"name": "z", "shape": [64], "kind": "images"}]}, "kind images needs a shape [C, H, W]"),
        ({"inputs": [{"name": "z", "shape": [64], "folder": "/x"}]}, "folder and range are for kind images"),
        ({"postprocess": "none", "quality": "fid"}, "onnx_models.m.quality: fid scores images"),
        ({"atc": {"out_nodes": "Tanh_9:0"}}, "names the node 'Tanh_9', which the graph does not have"),
        ({"output_shape": [3, 32, 31]}, "onnx_models.m.output_shape [3, 32, 31] does not fit the graph's output 'img'"),
    ],
)
def test_declaration_checks_against_the_graph(tinygen, decl, message):
    from ganinfer.errors import InputError

    registry.declare({"m": {**declaration(tinygen), **decl}}, build_spec)
    try:
        with pytest.raises(InputError, match=None) as info:
            registry.get("m")
        assert message in str(info.value)
    finally:
        registry.declare({})


def test_a_graph_input_of_another_type_or_a_second_output_is_named(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from ganinfer.errors import InputError

    def graph(path, elem, outputs, inputs=1, dims=("N", 4)):
        xs = [helper.make_tensor_value_info(f"x{k}" if k else "x", elem, list(dims)) for k in range(inputs)]
        outs = [helper.make_tensor_value_info(f"y{k}", elem, list(dims)) for k in range(outputs)]
        nodes = [helper.make_node("Identity", ["x"], [f"y{k}"]) for k in range(outputs)]
        onnx.save(helper.make_model(helper.make_graph(nodes, "g", xs, outs)), str(path))
        return str(path)

    decl = {"inputs": [{"name": "x", "shape": [4]}], "postprocess": "none"}
    try:
        registry.declare({"a": {**decl, "onnx": graph(tmp_path / "a.onnx", TensorProto.INT64, 1)}}, build_spec)
        with pytest.raises(InputError, match=r"input 'x' is int64, the workflow feeds float32; export the graph"):
            registry.get("a")
        registry.declare({"b": {**decl, "onnx": graph(tmp_path / "b.onnx", TensorProto.FLOAT, 2)}}, build_spec)
        with pytest.raises(
            InputError, match=r"the graph has 2 outputs \(y0, y1\); the workflow takes one image output"
        ):
            registry.get("b")
        two = graph(tmp_path / "d.onnx", TensorProto.FLOAT, 1, inputs=2)
        registry.declare({"d": {**decl, "onnx": two}}, build_spec)
        with pytest.raises(InputError, match=r"the graph's input\(s\) x1 are not declared; add them"):
            registry.get("d")
        one = graph(tmp_path / "e.onnx", TensorProto.FLOAT, 1, dims=("N", 4, 1))
        registry.declare({"e": {**decl, "onnx": one, "inputs": [{"name": "x", "shape": [4, 2]}]}}, build_spec)
        with pytest.raises(InputError, match=r"differs from the graph's 'x' \['N', 4, 1\] at axis 2 \(2 vs 1\)"):
            registry.get("e")
        registry.declare({"c": {**decl, "onnx": graph(tmp_path / "c.onnx", TensorProto.FLOAT, 1)}}, build_spec)
        assert registry.get("c").output == TensorSpec("y0", (4,))
        assert registry.get("c").atc.input_format == "ND"
    finally:
        registry.declare({})
