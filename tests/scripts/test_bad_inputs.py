"""Bad inputs and user data, by hand (docs/bad-inputs.md lists every case and its message):
one line naming the file or key and the fix, no partial output; every image its own sample."""

import errno
import json
import os
import signal
import subprocess
import sys
from importlib.metadata import requires, version
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from common import ROOT, error_lines, run_script
from ganinfer import registry
from ganinfer.errors import InputError
from ganinfer.fileio import atomic_path, list_bins, read_bin, write_json
from ganinfer.preprocess import make_inputs
from ganinfer.samples import unique_stems
from ganinfer.workflow.settings import check_demo_architecture, coerce
from ganinfer.workflow.tracking import listing, track

HINT = "your config (config/config.yaml, --configfile or --config)"
SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def images(folder: Path, names, size=(40, 30)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(names):
        Image.new("RGB", size, (20 * k % 256, 100, 200)).save(folder / name)
    return folder


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())["samples"]


# case 1: every image is its own sample, stems unique and tool-safe, a manifest back to the files


def test_same_stem_and_dotted_images_are_separate_safe_samples(tmp_path):
    names = ["img1.jpg", "img1.png", "img2.png", "tile.v0.part.png", "x y.png", "a.b.png", "a.c.png", "a_b.png"]
    src = images(tmp_path / "data", names)
    spec = registry.get("cyclegan_sat2map")
    assert make_inputs(spec, "all", 0, tmp_path / "out", dataset=src) == len(names)
    stems = [p.stem for p in list_bins(tmp_path / "out" / "img_sat_maps")]
    assert len(stems) == len(set(stems)) == len(names)
    assert all(set(s) <= SAFE for s in stems)  # no dots, spaces, commas or shell characters
    files = {stem: entry["file"] for stem, entry in manifest(tmp_path / "out").items()}
    assert sorted(files.values()) == sorted(names) and set(files) == set(stems)
    assert files["img1_jpg"] == "img1.jpg" and files["img1_png"] == "img1.png" and files["img2"] == "img2.png"
    assert files["tile_v0_part"] == "tile.v0.part.png" and files["x_y"] == "x y.png"
    assert json.loads((tmp_path / "out" / "inputs.json").read_text())["samples"] == len(names)
    make_inputs(spec, "all", 0, tmp_path / "again", dataset=src)  # deterministic across runs
    assert manifest(tmp_path / "again") == manifest(tmp_path / "out")


def test_unique_stems_resolve_every_collision():
    stems = unique_stems(["a.b", "a_b", "a b", "-x", ""], ["a.b.png", "a_b.png", "a b.png", "-x.png", ".png"])
    assert len(set(stems)) == 5 and all(set(s) <= SAFE and not s.startswith("-") for s in stems)


def test_dgnet_same_stem_images_of_one_identity_are_two_samples(tmp_path):
    root = tmp_path / "train_all"
    images(root / "0001", ["p.jpg", "p.png"], size=(64, 128))
    images(root / "0002", ["0002_c1s1_001051_00.jpg"], size=(64, 128))
    out = tmp_path / "out"
    assert make_inputs(registry.get("dgnet"), 3, 0, out, dataset=root) == 3
    stems = [p.stem for p in list_bins(out / "image1")]
    assert len(set(stems)) == 3 and all(set(s) <= SAFE for s in stems)
    assert sorted(e["file"] for e in manifest(out).values()) == [
        "0001/p.jpg",
        "0001/p.png",
        "0002/0002_c1s1_001051_00.jpg",
    ]


# case 3: fewer images than samples


def test_fewer_images_than_samples_is_an_error(tmp_path):
    src = images(tmp_path / "testA", ["1_A.jpg", "2_A.jpg"])
    out = tmp_path / "out"
    args = ["--model", "cyclegan_sat2map", "--dataset", src, "--out", out]
    proc = run_script("prepare-inputs", "--samples", 5, *args, check=False)
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: {src}: 2 usable images, but samples asks for 5 for model 'cyclegan_sat2map'; add images, "
        f"lower samples.cyclegan_sat2map to 2 or set it to 'all' (in {HINT})"
    ]
    assert not out.exists()
    proc = run_script("prepare-inputs", "--samples", "all", *args)
    assert "cyclegan_sat2map: 2 samples" in proc.stdout and len(list_bins(out / "img_sat_maps")) == 2


# case 4: a corrupt image


def test_corrupt_image_is_one_line_naming_it_in_console_and_log(tmp_path):
    src = images(tmp_path / "testA", ["1_A.jpg"])
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0broken")  # 11 bytes
    log, out = tmp_path / "pre.log", tmp_path / "out"
    proc = run_script(
        "prepare-inputs", "--model", "cyclegan_sat2map", "--samples", "all", "--dataset", src, "--out", out,
        "--log", log, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    (line,) = error_lines(proc)
    assert line.startswith(f"error: {src / 'broken.jpg'}: cannot be read as an image (")
    assert line.endswith("; replace the file or remove it from the dataset folder")
    assert line in log.read_text() and "Traceback" not in proc.stderr + log.read_text()
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# case 5: an unexpected exception: the traceback in the log, its last line on the console


def test_unexpected_exception_goes_to_the_log_with_its_last_line_on_the_console(tmp_path):
    outputs = tmp_path / "out"
    outputs.mkdir()
    np.zeros(32 * 32, dtype="<f4").tofile(outputs / "noise_0000_0.bin")
    (tmp_path / "summary.json").write_text("{not json")
    log = tmp_path / "images.log"
    proc = run_script(
        "draw-grid", "--model", "dcgan", "--outputs", outputs, "--summary", tmp_path / "summary.json",
        "--out", tmp_path / "png", "--grid", tmp_path / "grid.png", "--log", log, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    text = log.read_text()
    assert "Traceback (most recent call last):" in text and "json.decoder.JSONDecodeError" in text
    (line,) = error_lines(proc)
    assert line.startswith("error: json.decoder.JSONDecodeError: Expecting property name")
    assert line.endswith(f"(full traceback in {log})")
    assert not (tmp_path / "png").exists() and not (tmp_path / "grid.png").exists()


# case 6: a corrupt intermediate


def test_truncated_onnx_intermediate_says_how_to_rebuild_it(tmp_path, demo_weights):
    onnx = tmp_path / "results/gan/onnx/gan.onnx"
    run_script("export-onnx", "--model", "gan", "--weights", demo_weights["gan"], "--out", onnx)
    run_script(
        "simplify-onnx",
        "--model",
        "gan",
        "--onnx",
        onnx,
        "--bs",
        4,
        "--out",
        tmp_path / "results/gan/onnx/gan_bs4.onnx",
    )
    run_script("prepare-inputs", "--model", "gan", "--samples", 2, "--out", tmp_path / "in")
    bs4 = Path("results/gan/onnx/gan_bs4.onnx")
    (tmp_path / bs4).write_bytes((tmp_path / bs4).read_bytes()[:5000])
    out = tmp_path / "results/gan/outputs/cpu/bs4"
    proc = run_script(
        "run-inference", "--model", "gan", "--onnx", bs4, "--inputs", "in", "--bs", 4, "--out", out,
        "--summary", f"{out}_summary.json", check=False, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: {bs4}: not a readable ONNX model (INVALID_PROTOBUF); it is built by rule simplify_onnx (corrupt "
        "or truncated): delete it and re-run to rebuild it, or add '-R simplify_onnx' to the snakemake command"
    ]
    assert not out.exists()
    onnx.write_bytes(onnx.read_bytes()[:3000])
    proc = run_script(
        "simplify-onnx", "--model", "gan", "--onnx", "results/gan/onnx/gan.onnx", "--bs", 2, "--out", "x.onnx",
        check=False, cwd=tmp_path,
    )  # fmt: skip
    (line,) = error_lines(proc)
    assert line.startswith("error: results/gan/onnx/gan.onnx: not a readable ONNX model (")
    assert "it is built by rule export_onnx" in line and "'-R export_onnx'" in line


# case 7: disk full


def test_full_disk_is_one_line_naming_the_output_and_free_space(tmp_path):
    """A real full file system (a 256 kB tmpfs) where mounting one is allowed, else ENOSPC raised in place."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = (
        os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", disk]).returncode == 0
    )
    try:
        if mounted:
            out = disk / "inputs"
            log = disk / "logs" / "preprocess.log"  # the log on the full disk too: the console still gets the line
            proc = run_script(
                "prepare-inputs", "--model", "gan", "--samples", 2000, "--out", out, "--log", log, check=False
            )
            (line,) = error_lines(proc)
            assert line.startswith(f"error: {out}: no space left on the device while writing it (")
            assert " MB free in " in line and line.endswith("and re-run")
            assert "Traceback" not in proc.stderr and list(disk.iterdir()) == [disk / "logs"]
        target = tmp_path / "summary.json"

        def fill():
            with atomic_path(target) as tmp:
                tmp.write_text("{}")
                raise OSError(errno.ENOSPC, "No space left on device")

        with pytest.raises(InputError, match=rf"^{target}: no space left on the device while writing it \("):
            fill()
        assert list(tmp_path.iterdir()) == [disk]
    finally:
        if mounted:
            subprocess.run(["umount", disk], check=True)


# case 10: the size of a short .bin, the config hint, model names


def test_short_bin_reports_its_real_size(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"\0" * 123)
    with pytest.raises(InputError, match=r"x\.bin: 123 bytes, expected 400 \(float32 100\)"):
        read_bin(bad, (100,))


def test_unknown_model_names_the_key_and_the_known_models():
    with pytest.raises(InputError) as exc:
        registry.get("DCGAN", "models")
    assert str(exc.value) == (
        f"unknown model 'DCGAN' under 'models': known models are {', '.join(sorted(registry.MODELS))} "
        f"(did you mean 'dcgan'? fix 'models' in {HINT}, or declare it under onnx_models)"
    )


# case 9: nested --config values


def test_nested_config_strings_are_read_as_yaml():
    from snakemake.cli import parse_config

    raw = parse_config(["perf={min_iterations: 5}", "samples={gan: 10}", "demo_architecture={gan: {img_size: 8}}"])
    assert raw["perf"] == {"min_iterations": "5"}  # what Snakemake passes on
    fixed = coerce(raw)
    assert fixed == {
        "perf": {"min_iterations": 5},
        "samples": {"gan": 10},
        "demo_architecture": {"gan": {"img_size": 8}},
    }
    assert coerce({"weights": {"gan": {"path": "0001", "sha256": "1" * 64}}})["weights"]["gan"]["path"] == "0001"
    check_demo_architecture({"demo_architecture": fixed["demo_architecture"]})
    with pytest.raises(InputError) as exc:
        check_demo_architecture({"demo_architecture": {"cyclegan_sat2map": {"ngf": "8"}}})
    assert str(exc.value) == (
        "demo_architecture.cyclegan_sat2map.ngf: '8' is a string, expected a integer like the default 64 "
        f"(fix it in {HINT}; on the command line: --config 'demo_architecture={{cyclegan_sat2map: {{ngf: 64}}}}')"
    )
    # a string key given a number (YAML's `attention: 0`, --config's leaves) reads as its text; a flag does not
    check_demo_architecture({"demo_architecture": {"biggan": {"attention": 0}}})
    with pytest.raises(
        InputError, match=r"^demo_architecture\.biggan\.attention: True is a boolean, expected a string"
    ):
        check_demo_architecture({"demo_architecture": {"biggan": {"attention": True}}})
    with pytest.raises(InputError, match=r"^demo_architecture\.gan\.depth: unknown key; gan takes latent_dim, "):
        check_demo_architecture({"demo_architecture": {"gan": {"depth": 3}}})


# case 12: temporaries of a killed run


def test_temporaries_of_a_killed_process_are_removed_on_the_next_write(tmp_path):
    target = tmp_path / "out.json"
    code = (
        "import os, signal, sys; sys.path.insert(0, sys.argv[2]); from pathlib import Path\n"
        "from ganinfer.fileio import atomic_dir\n"
        "with atomic_dir(Path(sys.argv[1])) as tmp:\n"
        "    (tmp / 'part.bin').write_bytes(b'x')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(target), str(ROOT / "scripts")])
    assert proc.returncode == -signal.SIGKILL
    (stale,) = [p for p in tmp_path.iterdir() if p.name.startswith(".out.json.tmp")]
    live = tmp_path / f".out.json.tmp{os.getppid()}"  # a running process's temporary stays
    live.mkdir()
    write_json({"ok": 1}, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "out.json"])
    assert not stale.exists()


# case 13: the README's commands need only requirements.txt


def test_requirements_hold_what_snakemake_report_needs():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    report_extra = [r.split(";")[0].strip() for r in requires("snakemake") if 'extra == "reports"' in r]
    assert report_extra == ["pygments"]
    assert pins["pygments"] == version("pygments")


# case 2: the listing that tracks a dataset


def test_listing_changes_exactly_when_the_images_change(tmp_path):
    src = images(tmp_path / "data" / "0001", ["a.jpg", "b.png"]).parent
    (src / "notes.txt").write_text("not an image")
    first = track("m_dataset", [str(src)], root=tmp_path / "tracked")
    mtime = os.stat(first).st_mtime_ns
    assert track("m_dataset", [str(src)], root=tmp_path / "tracked") == first
    assert os.stat(first).st_mtime_ns == mtime  # unchanged data: the file is not rewritten
    assert "# " + str(src) + ": 2 images" in Path(first).read_text()
    (src / "notes.txt").write_text("still not an image, longer")
    assert listing([str(src)]) == Path(first).read_text()
    before = os.stat(src / "0001" / "a.jpg")
    images(src / "0001", ["a.jpg"], size=(41, 30))  # replaced in place, old mtime kept
    os.utime(src / "0001" / "a.jpg", ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))
    assert listing([str(src)]) != Path(first).read_text()


# ---- round 2: contradictory settings, loader details, skipped files, YAML syntax ----


def validated(**overrides) -> dict:
    """The embedded config with ``overrides``, defaults filled by the schema (as while the DAG is built)."""
    import yaml
    from snakemake.utils import validate

    config = {**yaml.safe_load((ROOT / "config/config.yaml").read_text()), **overrides}
    validate(config, str(ROOT / "config/schema.yaml"))
    return config


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"perf": {"min_seconds": 5, "max_seconds": 1}},
            "perf.min_seconds (5) is above perf.max_seconds (1): every row would stop at max_seconds short of "
            f"min_seconds; raise perf.max_seconds or lower perf.min_seconds (in {HINT})",
        ),
        (
            {"weights": {"gan": {"path": "g.pth"}}, "demo_architecture": {"gan": {"img_size": 8}}},
            "demo_architecture.gan is set beside weights.gan.path: the checkpoint's shapes give the architecture",
        ),
        (
            {"datasets": {"dcgan": "/data/celeba"}},
            "datasets.dcgan: model 'dcgan' draws its inputs from seeded noise (noise) and reads no images; remove "
            "datasets.dcgan",
        ),
    ],
)
def test_contradictory_settings_name_both_keys(overrides, message):
    from ganinfer.workflow.settings import check_contradictions

    with pytest.raises(InputError) as err:
        check_contradictions(validated(**overrides))
    assert str(err.value).startswith(message)


def test_settings_at_the_boundary_are_not_contradictions():
    from ganinfer.workflow.settings import check_contradictions

    check_contradictions(validated(perf={"min_seconds": 2.5, "max_seconds": 2.5}))  # equal limits
    check_contradictions(validated(datasets={"biggan": "/data/imagenet"}))  # BigGAN's FID reference images
    check_contradictions(validated(weights={"gan": {"path": "g.pth", "sha256": "0" * 64}}))


def test_a_checkpoint_key_mismatch_names_the_keys(tmp_path):
    import torch

    from ganinfer import networks

    spec = registry.get("gan")
    state = networks.demo_checkpoint(spec, 0)
    path = tmp_path / "g.pth"
    cases = [
        ({k: v for k, v in state.items() if k != "model.2.weight"}, "(1 missing key: model.2.weight);"),
        ({**state, "extra.w": torch.zeros(1)}, "(1 unexpected key: extra.w);"),
        (
            {**state, "model.2.weight": torch.zeros(3, 3)},
            "(1 tensor of another shape: model.2.weight 3x3 in the file, 256x128 in the network);",
        ),
        (
            {k: v for k, v in state.items() if not k.startswith(("model.2.", "model.3.", "model.5."))},
            "(9 missing keys: model.2.bias, model.2.weight, model.3.bias and 6 more);",
        ),
        ({k: v for k, v in state.items() if k != "model.0.weight"}, "(1 missing key: model.0.weight);"),
    ]
    for sd, detail in cases:
        torch.save(sd, path)
        with pytest.raises(InputError) as err:
            networks.load_generator(spec, str(path))
        assert str(err.value) == (
            f"{path}: not a Vanilla GAN (PyTorch-GAN MLP) checkpoint {detail} point weights.gan.path at the "
            "ACL_PyTorch/contrib/cv/gan/GAN weights"
        )


def test_a_pickled_module_or_a_broken_file_says_what_it_is(tmp_path):
    import torch

    from ganinfer import checkpoint

    spec = registry.get("dcgan")
    module = tmp_path / "G.pth"
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)), module)
    with pytest.raises(InputError) as err:
        checkpoint.read_checkpoint(spec, module)
    assert str(err.value) == (
        f"{module}: holds a pickled Python object (torch.nn.modules.container.Sequential), not only tensors: a "
        "whole module saved with torch.save(model), or objects beside the weights, which are not loaded (that "
        "would run code from the file); save the weights alone with torch.save(model.state_dict(), 'G.pth') and "
        "point weights.dcgan.path at that file"
    )
    cut = tmp_path / "cut.pth"
    cut.write_bytes(module.read_bytes()[:300])
    with pytest.raises(InputError, match=r"cut.pth: cannot be read as a PyTorch checkpoint \(RuntimeError: "):
        checkpoint.read_checkpoint(spec, cut)
    with pytest.raises(InputError, match=r"point weights.dgnet.path.gen_a at a .pth file"):
        checkpoint.read_checkpoint(registry.get("dgnet"), {"gen_a": cut, "id_a": cut})


def test_files_the_loader_skips_are_logged_and_in_the_manifest(tmp_path, capsys):
    src = images(tmp_path / "maps", ["1_A.jpg", "2_A.png"])
    images(src, ["3_A.gif", "4_A.tif"])
    (src / "notes.txt").write_text("x")
    images(src / "more", ["5_A.jpg"])
    out = tmp_path / "inputs"
    assert make_inputs(registry.get("cyclegan_sat2map"), "all", 0, out, dataset=src) == 2
    kinds = ".bmp/.jpeg/.jpg/.png/.webp"
    expected = {
        f"{src}/3_A.gif": f"not one of the image types read ({kinds})",
        f"{src}/4_A.tif": f"not one of the image types read ({kinds})",
        f"{src}/more": "a sub-folder (the images directly in the dataset folder are read)",
        f"{src}/notes.txt": f"not one of the image types read ({kinds})",
    }
    assert json.loads((out / "manifest.json").read_text())["skipped"] == expected
    assert json.loads((out / "inputs.json").read_text())["skipped"] == 4
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"cyclegan_sat2map: skipped {path}: {why}" for path, why in expected.items()]

    market = images(tmp_path / "market" / "0001", ["a.jpg", "b.gif"]).parent
    images(market / "0001" / "deeper", ["c.jpg"])
    (market / "readme.txt").write_text("x")
    make_inputs(registry.get("dgnet"), "all", 0, tmp_path / "dg", dataset=market)
    assert json.loads((tmp_path / "dg" / "manifest.json").read_text())["skipped"] == {
        f"{market}/0001/b.gif": f"not one of the image types read ({kinds})",
        f"{market}/0001/deeper": "a folder inside an identity folder (only the images directly in it are read)",
        f"{market}/readme.txt": "a file beside the identity sub-folders (only the images inside them are read)",
    }
    # a folder with nothing to skip says so with an empty mapping
    clean = images(tmp_path / "clean", ["1_A.jpg"])
    make_inputs(registry.get("cyclegan_sat2map"), 1, 0, tmp_path / "c", dataset=clean)
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["skipped"] == {}
