"""The quality scripts by hand (quality, quality_stats) on random-weight Inception networks: IS and FID
against the library's own computation, and one error line and no output for each bad input."""

import json

import numpy as np
import pytest
import torch

from common import error_lines, run_script
from ganinfer import inception as inc
from ganinfer import registry
from ganinfer.fileio import read_bin, write_bin
from ganinfer.quality import frechet_distance, gaussian_stats, read_stats, unit_image, write_stats


@pytest.fixture(scope="module")
def weights_files(tmp_path_factory, inception_nets):
    out = tmp_path_factory.mktemp("inception")
    paths = {}
    for variant, net in inception_nets.items():
        paths[variant] = out / f"{variant}.pth"
        torch.save(net.state_dict(), paths[variant])
    return paths


def fake_outputs(folder, count, shape, seed=0):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        write_bin(np.tanh(rng.normal(size=shape)), folder / f"input_{i:05d}_0.bin")
    return folder


def test_quality_without_inception_weights_says_not_configured(tmp_path):
    outputs = fake_outputs(tmp_path / "out", 3, (3, 128, 128))
    out = tmp_path / "q.json"
    run_script("score-quality", "--model", "biggan", "--source", "pth", "--outputs", outputs, "--out", out)
    rec = json.loads(out.read_text())
    assert rec["is_status"] == rec["fid_status"] == "not configured"
    assert rec["not_configured"] == ["quality.inception_weights", "quality.reference.biggan"]
    assert rec["images"] == 3


def test_biggan_is_and_fid_by_hand(tmp_path, weights_files, inception_nets):
    """Seven copies of one output: every p(y|x) is p(y), so IS = exp(0) = 1 in each split (std 0), and the
    covariance is 0, so FID = |f - mu_ref|^2 + Tr(S_ref) with f the image's pool3 feature."""
    (tmp_path / "out").mkdir()
    image = np.tanh(np.random.default_rng(0).normal(size=(3, 128, 128)))
    for i in range(7):
        write_bin(image, tmp_path / "out" / f"input_{i:05d}_0.bin")
    outputs = tmp_path / "out"
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(20, 2048))
    mu_ref, sigma_ref = gaussian_stats(feats)
    write_stats(tmp_path / "ref.npz", mu_ref, sigma_ref, 20, "random")
    args = ["--model", "biggan", "--source", "cpu", "--bs", 4, "--outputs", outputs, "--splits", 3, "--batch", 4]
    args += ["--inception", weights_files["torchvision"], "--reference", tmp_path / "ref.npz"]
    run_script("score-quality", *args, "--out", tmp_path / "q.json")
    rec = json.loads((tmp_path / "q.json").read_text())
    assert rec["is_status"] == rec["fid_status"] == "ok" and rec["is_splits"] == 3
    assert rec["is_mean"] == pytest.approx(1.0, abs=1e-9) and rec["is_std"] == pytest.approx(0.0, abs=1e-9)
    pool, _ = inc.extract(inception_nets["torchvision"], [[unit_image(image.astype(np.float32), "tanh", "minmax")]])
    expected = float(np.sum((pool[0] - mu_ref) ** 2) + np.trace(sigma_ref))
    assert rec["fid"] == pytest.approx(expected, rel=1e-5)
    assert rec["images"] == 7 and rec["outputs"] == str(outputs) and rec["source"] == "cpu"
    assert rec["inception"]["variant"] == "torchvision" and len(rec["inception"]["sha256"]) == 64
    assert rec["reference"]["count"] == 20 and rec["batch_size"] == 4
    assert any("N=7 <= 2048" in n for n in rec["notes"]) and any("reference N=20" in n for n in rec["notes"])


def test_dgnet_fid_against_statistics_of_an_image_folder(tmp_path, weights_files, inception_nets):
    from PIL import Image

    rng = np.random.default_rng(1)
    for ident in ("0002", "0007"):
        (tmp_path / "market" / ident).mkdir(parents=True)
        for k in range(2):
            pixels = rng.integers(0, 256, size=(128, 64, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "market" / ident / f"{ident}_c1s1_{k}.jpg")
    stats = tmp_path / "stats.npz"
    run_script(
        "compute-fid-stats", "--model", "dgnet", "--images", tmp_path / "market", "--inception", weights_files["fid"],
        "--out", stats,
    )  # fmt: skip
    mu, sigma, extra = read_stats(stats, 2048, "")
    assert extra["count"] == 4 and np.allclose(sigma, sigma.T)
    outputs = fake_outputs(tmp_path / "out", 2, (3, 256, 128))
    args = ["--model", "dgnet", "--source", "pth", "--outputs", outputs, "--out", tmp_path / "q.json"]
    run_script("score-quality", *args, "--inception", weights_files["fid"], "--reference", stats)
    rec = json.loads((tmp_path / "q.json").read_text())
    assert rec["is_status"] == "not measured" and rec["fid_status"] == "ok"
    assert rec["is_mean"] is None and rec["images"] == 2
    # the FID of the two outputs' pool3 features against the folder's statistics, recomputed here
    spec, q = registry.get("dgnet"), registry.quality("dgnet")
    files = sorted(outputs.iterdir())
    images = [unit_image(read_bin(f, spec.output.shape), q.images, spec.postprocess) for f in files]
    pool, _ = inc.extract(inception_nets["fid"], [images])
    assert rec["fid"] == pytest.approx(frechet_distance(*gaussian_stats(pool), mu, sigma), rel=1e-5)
    assert rec["inception"]["variant"] == "fid" and rec["reference"]["source"] == str(tmp_path / "market")


def test_quality_bad_inputs_give_one_error_line_and_no_output(tmp_path, weights_files):
    outputs = fake_outputs(tmp_path / "out", 2, (3, 128, 128))
    np.savez(tmp_path / "moments.npz", mean=np.zeros(2048))
    base = ["--model", "biggan", "--source", "pth", "--outputs", outputs, "--out", tmp_path / "q.json"]
    proc = run_script(
        "score-quality",
        *base,
        "--inception",
        weights_files["fid"],
        "--reference",
        tmp_path / "moments.npz",
        check=False,
    )
    assert proc.returncode == 1
    (line,) = error_lines(proc)
    assert line.startswith(f"error: {weights_files['fid']}: not torchvision Inception-v3 weights (12 missing keys")
    assert "point quality.inception_weights at inception_v3_google.pth" in proc.stderr
    proc = run_script(
        "score-quality", *base, "--inception", weights_files["torchvision"], "--reference", tmp_path / "moments.npz",
        check=False,
    )  # fmt: skip
    assert error_lines(proc) == [
        f"error: {tmp_path / 'moments.npz'}: needs arrays 'mu' and 'sigma' (found mean); "
        "fix quality.reference.biggan (an .npz with mu and sigma, or an image folder)"
    ]
    np.savez(tmp_path / "negative.npz", mu=np.zeros(2048), sigma=-np.eye(2048))
    proc = run_script(
        "score-quality", *base, "--inception", weights_files["torchvision"], "--reference", tmp_path / "negative.npz",
        check=False,
    )  # fmt: skip
    (line,) = error_lines(proc)
    assert line.startswith(f"error: {tmp_path / 'negative.npz'}: sigma2 is not a covariance matrix (eigenvalue -1")
    assert not (tmp_path / "q.json").exists()
    proc = run_script("score-quality", "--model", "dcgan", "--source", "pth", *base[4:], check=False)
    assert error_lines(proc) == ["error: model 'dcgan' has no quality metric (IS/FID); models with one: biggan, dgnet"]
