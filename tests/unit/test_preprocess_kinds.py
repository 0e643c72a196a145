"""Inputs of BigGAN, CycleGAN and DG-Net as their guides build them; checkpoint parts."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from common import error_lines, run_script
from ganinfer import checkpoint, networks, registry
from ganinfer.accuracy import channel_cosine
from ganinfer.errors import InputError
from ganinfer.fileio import list_bins, read_bin
from ganinfer.preprocess import IMAGENET_MEAN, IMAGENET_STD, make_inputs

SMALL = {"biggan": {"ch": 8}, "dgnet": {"dim": 4, "width": 8, "mlp_dim": 32, "id_dim": 256}}


@pytest.fixture(scope="module")
def small_weights(tmp_path_factory):
    out = tmp_path_factory.mktemp("w")
    paths = {}
    for model, arch in SMALL.items():
        paths[model] = out / f"{model}.pth"
        checkpoint.save_atomic(networks.demo_checkpoint(registry.get(model), 0, arch), paths[model])
    return paths


def test_biggan_inputs_follow_the_guides_split(tmp_path, small_weights):
    spec = registry.get("biggan")
    make_inputs(spec, 3, 9, tmp_path, small_weights["biggan"])
    shared = checkpoint.generator_state(spec, torch.load(small_weights["biggan"]), "w")["shared.weight"].numpy()
    ys = np.load(tmp_path / "gen_y.npz")["y"]
    assert ys.shape == (3,) and json.loads((tmp_path / "inputs.json").read_text())["classes"] == ys.tolist()
    names = [p.name for p in list_bins(tmp_path / "noise")]
    assert names == ["input_00000.bin", "input_00001.bin", "input_00002.bin"]
    for i, name in enumerate(names):
        noise = read_bin(tmp_path / "noise" / name, (1, 20))
        label = read_bin(tmp_path / "label" / name, (5, 148))
        z = np.random.default_rng([9, i]).standard_normal((1, 120), dtype=np.float32)
        assert np.array_equal(noise[0], z[0, :20])
        for k in range(5):
            assert np.array_equal(label[k, :128], shared[ys[i]])
            assert np.array_equal(label[k, 128:], z[0, 20 * (k + 1) : 20 * (k + 2)])


def test_cyclegan_inputs_from_a_configured_folder(tmp_path):
    src = tmp_path / "testA"
    src.mkdir()
    Image.new("RGB", (300, 300), (255, 0, 0)).save(src / "2_A.jpg")
    Image.new("RGB", (512, 256), (0, 0, 0)).save(src / "10_A.png")
    (src / "notes.txt").write_text("not an image")
    assert make_inputs(registry.get("cyclegan_sat2map"), "all", 0, tmp_path / "out", dataset=src) == 2
    files = list_bins(tmp_path / "out" / "img_sat_maps")
    assert [p.name for p in files] == ["2_A.bin", "10_A.bin"]  # natural order, every image
    red = read_bin(files[0], (3, 256, 256))
    assert np.allclose(red[0], 1.0, atol=0.02) and np.allclose(red[1:], -1.0, atol=0.02)  # (x - .5) / .5
    assert np.allclose(read_bin(files[1], (3, 256, 256)), -1.0)


def test_cyclegan_demo_inputs_are_seeded_photos(tmp_path):
    spec = registry.get("cyclegan_map2sat")
    make_inputs(spec, 3, 0, tmp_path / "a")
    make_inputs(spec, 3, 0, tmp_path / "b")
    files = list_bins(tmp_path / "a" / "img_maps_sat")
    assert [p.name for p in files] == ["0_B.bin", "1_B.bin", "2_B.bin"]
    x = read_bin(files[0], (3, 256, 256))
    assert x.min() >= -1 and x.max() <= 1 and x.std() > 0.1  # a real photograph, not a constant
    assert files[0].read_bytes() == (tmp_path / "b" / "img_maps_sat" / "0_B.bin").read_bytes()


def test_dgnet_pairs_from_an_image_folder(tmp_path):
    root = tmp_path / "train_all"
    for k, colour in enumerate([(200, 10, 10), (10, 200, 10), (10, 10, 200)]):
        (root / f"{k:04d}").mkdir(parents=True)
        Image.new("RGB", (64, 128), colour).save(root / f"{k:04d}" / f"{k:04d}_c1s1_0001.jpg")
    make_inputs(registry.get("dgnet"), 3, 0, tmp_path / "out", dataset=root)
    names = [p.stem for p in list_bins(tmp_path / "out" / "image1")]
    assert sorted(n.split("_", 2)[1] for n in names) == ["000", "001", "002"]  # every identity once
    for name in names:
        st, ident, rest = name.split("_", 2)
        assert rest == f"gan{int(ident):04d}_c1s1_0001"
        rgb = read_bin(tmp_path / "out" / "image2" / f"{name}.bin", (3, 256, 128))
        colour = (rgb * IMAGENET_STD + IMAGENET_MEAN)[:, 100, 60] * 255
        assert np.allclose(colour, [[200, 10, 10], [10, 200, 10], [10, 10, 200]][int(ident)], atol=2)
        grey = read_bin(tmp_path / "out" / "image1" / f"{name}.bin", (1, 256, 128))
        expected = np.array([[200, 10, 10], [10, 200, 10], [10, 10, 200]][int(st)]) / 255 - IMAGENET_MEAN[:, 0, 0]
        assert grey[0, 100, 60] == pytest.approx((expected / IMAGENET_STD[:, 0, 0]).mean(), abs=0.02)


def test_missing_dataset_folder_is_one_line(tmp_path):
    proc = run_script(
        "prepare-inputs",
        "--model",
        "cyclegan_sat2map",
        "--samples",
        2,
        "--dataset",
        tmp_path / "nope",
        "--out",
        tmp_path / "out",
        check=False,
    )
    assert proc.returncode == 1
    assert error_lines(proc) == [
        f"error: {tmp_path / 'nope'}: dataset folder not found; it should hold maps testA (aerial photos, "
        "<n>_A.jpg) (fix datasets in your config (config/config.yaml, --configfile or --config))"
    ]
    assert not (tmp_path / "out").exists()


def test_channel_cosine_is_per_pixel_over_channels():
    a = np.zeros((3, 1, 2), dtype=np.float32)
    b = np.zeros((3, 1, 2), dtype=np.float32)
    a[:, 0, 0], b[:, 0, 0] = [1, 0, 0], [1, 0, 0]  # cos 1
    a[:, 0, 1], b[:, 0, 1] = [1, 0, 0], [0, 1, 0]  # cos 0
    assert channel_cosine(a, b, (3, 1, 2)) == pytest.approx(0.5)


def test_dgnet_checkpoint_in_two_files(tmp_path):
    spec = registry.get("dgnet")
    demo = networks.demo_checkpoint(spec, 0, SMALL["dgnet"])
    assert set(demo) == {"gen_a", "id_a"} and set(demo["gen_a"]) == {"a"}  # gen_*.pt / id_*.pt layout
    torch.save(demo["gen_a"], tmp_path / "gen_00100000.pt")
    torch.save({"a": {f"module.{k}": v for k, v in demo["id_a"]["a"].items()}}, tmp_path / "id_00100000.pt")
    run_script(
        "prepare-weights",
        "--model",
        "dgnet",
        "--path",
        f"gen_a={tmp_path / 'gen_00100000.pt'}",
        "--path",
        f"id_a={tmp_path / 'id_00100000.pt'}",
        "--out",
        tmp_path / "dgnet.pth",
        "--info",
        tmp_path / "dgnet.json",
    )
    info = json.loads((tmp_path / "dgnet.json").read_text())
    assert info["weights"] == "real" and set(info["sha256"]) == {"gen_a", "id_a"}
    model, hparams = networks.load_generator(spec, tmp_path / "dgnet.pth")
    assert hparams["width"] == 8
    with pytest.raises(InputError, match=r"needs the parts gen_a, id_a; set weights\.dgnet\.path to a mapping"):
        networks.load_generator(spec, tmp_path / "gen_00100000.pt")


def test_demo_architecture_overrides_are_checked():
    with pytest.raises(InputError, match=r"demo_architecture\.biggan: unknown keys depth"):
        networks.demo_checkpoint(registry.get("biggan"), 0, {"depth": 3})


def test_the_two_cyclegan_directions_get_different_demo_weights():
    a = networks.demo_checkpoint(registry.get("cyclegan_sat2map"), 0, {"ngf": 4, "n_blocks": 1})
    b = networks.demo_checkpoint(registry.get("cyclegan_map2sat"), 0, {"ngf": 4, "n_blocks": 1})
    assert not torch.equal(a["model.1.weight"], b["model.1.weight"])
