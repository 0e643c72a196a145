"""IS and FID against closed forms, the two Inception-v3 variants, and the quality scripts by hand."""

import json

import numpy as np
import pytest
import torch
from conftest import error_lines, run_script

from ganinfer import inception as inc
from ganinfer import registry
from ganinfer.errors import InputError
from ganinfer.fileio import read_bin, write_bin
from ganinfer.quality import (
    frechet_distance,
    gaussian_stats,
    inception_score,
    read_stats,
    softmax,
    unit_image,
    write_stats,
)

# ---- Fréchet distance ----------------------------------------------------------------


def closed_form_commuting(mu1, a, mu2, b):
    """FID of N(mu1, Q diag(a) Q^T) and N(mu2, Q diag(b) Q^T): |mu1 - mu2|^2 + sum (sqrt a - sqrt b)^2."""
    return float(np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))


def test_fid_of_diagonal_gaussians_is_the_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=64), rng.normal(size=64)
    a, b = rng.uniform(0.1, 4.0, 64), rng.uniform(0.1, 4.0, 64)
    fid = frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
    assert fid == pytest.approx(closed_form_commuting(mu1, a, mu2, b), rel=1e-10)


def test_fid_of_full_covariances_sharing_eigenvectors_is_the_closed_form():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(48, 48)))
    a, b = rng.uniform(0.01, 3.0, 48), rng.uniform(0.01, 3.0, 48)
    mu1, mu2 = rng.normal(size=48), rng.normal(size=48)
    fid = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    assert fid == pytest.approx(closed_form_commuting(mu1, a, mu2, b), rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_fid_of_non_commuting_2x2_covariances_is_the_closed_form(seed):
    """For 2 x 2 PSD M: Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M)), with M = S1 S2 (similar to a PSD matrix)."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    s1, s2 = x @ x.T + 0.1 * np.eye(2), y @ y.T + 0.1 * np.eye(2)
    mu1, mu2 = rng.normal(size=2), rng.normal(size=2)
    tr_sqrt = np.sqrt(np.trace(s1 @ s2) + 2 * np.sqrt(np.linalg.det(s1) * np.linalg.det(s2)))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_fid_with_singular_and_near_singular_covariances():
    rng = np.random.default_rng(2)
    q, _ = np.linalg.qr(rng.normal(size=(32, 32)))
    a = np.concatenate([rng.uniform(0.5, 2.0, 8), np.zeros(20), np.full(4, 1e-14)])
    b = np.concatenate([np.zeros(16), rng.uniform(0.5, 2.0, 16)])
    mu = rng.normal(size=32)
    fid = frechet_distance(mu, q @ np.diag(a) @ q.T, mu, q @ np.diag(b) @ q.T)
    # sqrt is not Lipschitz at 0: a zero eigenvalue off by rounding (1e-16) adds up to 1e-8 each
    assert fid == pytest.approx(closed_form_commuting(mu, a, mu, b), abs=1e-6)


def test_fid_from_few_samples_in_high_dimension_is_finite_symmetric_and_zero_on_itself():
    """8 samples of 512-d features: rank-7 covariances, where sqrtm returns complex or NaN."""
    rng = np.random.default_rng(3)
    mu1, s1 = gaussian_stats(rng.normal(size=(8, 512)))
    mu2, s2 = gaussian_stats(rng.normal(size=(8, 512)) + 0.5)
    assert np.linalg.matrix_rank(s1) == 7
    forward, backward = frechet_distance(mu1, s1, mu2, s2), frechet_distance(mu2, s2, mu1, s1)
    assert np.isfinite(forward) and forward > 0
    # sqrt is not Lipschitz at 0: each of the d - rank null eigenvalues of S1^1/2 S2 S1^1/2, perturbed by
    # rounding of order eps * ||S1|| * ||S2||, can add up to sqrt(eps * ||S1|| * ||S2||) to tr(covmean), twice.
    norm = np.linalg.eigvalsh(s1).max() * np.linalg.eigvalsh(s2).max()
    null = s1.shape[0] - np.linalg.matrix_rank(s1)
    assert forward == pytest.approx(backward, abs=2 * null * np.sqrt(np.finfo(float).eps * norm))
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-8 * np.trace(s1))


def test_fid_of_sampled_gaussians_approaches_the_closed_form():
    rng = np.random.default_rng(4)
    a, b = np.array([1.0, 2.0, 0.5]), np.array([0.5, 1.0, 2.0])
    mu1, mu2 = np.zeros(3), np.array([1.0, 0.0, -1.0])
    x = rng.normal(size=(200_000, 3)) * np.sqrt(a) + mu1
    y = rng.normal(size=(200_000, 3)) * np.sqrt(b) + mu2
    fid = frechet_distance(*gaussian_stats(x), *gaussian_stats(y))
    assert fid == pytest.approx(closed_form_commuting(mu1, a, mu2, b), abs=0.02)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m, s: (m, np.where(np.eye(len(m)) > 0, np.nan, s)), "sigma2 has NaN"),
        (lambda m, s: (m + np.inf, s), "mu2 has NaN or infinite"),
        (lambda m, s: (m[:-1], s), "shapes differ"),
        (lambda m, s: (m, s - 5 * np.eye(len(m))), "sigma2 is not a covariance matrix"),
    ],
)
def test_fid_rejects_bad_statistics(change, message):
    mu, sigma = np.zeros(4), np.eye(4)
    with pytest.raises(ValueError, match=message):
        frechet_distance(mu, sigma, *change(mu.copy(), sigma.copy()))


# ---- Inception Score ------------------------------------------------------------------


def test_is_of_uniform_predictions_is_one():
    mean, std = inception_score(np.full((100, 1000), 1e-3), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 7, 1000])
def test_is_of_n_distinct_one_hot_classes_is_n(n):
    probs = np.tile(np.eye(n, 1000), (10, 1))  # every split holds each of the n classes once
    mean, std = inception_score(probs, splits=10)
    assert mean == pytest.approx(n, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)


def test_is_of_two_soft_classes_is_the_closed_form():
    """Half the samples predict [q, 1-q], half [1-q, q]: p(y) is uniform, IS = exp(log 2 - H(q))."""
    q = 0.8
    probs = np.tile([[q, 1 - q], [1 - q, q]], (50, 1))
    entropy = -(q * np.log(q) + (1 - q) * np.log(1 - q))
    mean, _ = inception_score(probs, splits=10)
    assert mean == pytest.approx(np.exp(np.log(2) - entropy), rel=1e-12)


def test_is_splits_are_consecutive_chunks_and_report_the_spread():
    """17 rows in 2 splits: chunks of 8 (2 classes, then 4 classes), the last row dropped."""
    probs = np.concatenate([np.tile(np.eye(2, 4), (4, 1)), np.tile(np.eye(4), (2, 1)), np.eye(1, 4)])
    assert inception_score(probs, splits=2) == pytest.approx((3.0, 1.0))


def test_is_needs_a_sample_per_split():
    with pytest.raises(ValueError, match="cannot fill 10 splits"):
        inception_score(np.eye(8), splits=10)


def test_softmax_is_stable_in_float64():
    p = softmax(np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]))
    assert np.allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]]) and p.dtype == np.float64


# ---- the Inception-v3 networks ------------------------------------------------------------


@pytest.fixture(scope="module")
def nets():
    return {v: inc.random_init(inc.build(v), seed=1) for v in inc.VARIANTS}


def test_inception_keys_and_sizes_match_torchvision_and_pytorch_fid(nets):
    tv, fid = nets["torchvision"].state_dict(), nets["fid"].state_dict()
    assert len(tv) == 580 and len(fid) == 566
    assert sum(p.numel() for p in nets["torchvision"].parameters()) == 27_161_264
    assert sum(p.numel() for p in nets["fid"].parameters()) == 23_850_960
    assert set(tv) - set(fid) == {k for k in tv if k.startswith("AuxLogits.")}
    assert tv["fc.weight"].shape == (1000, 2048) and fid["fc.weight"].shape == (1008, 2048)
    for key in ("Conv2d_1a_3x3.conv.weight", "Conv2d_1a_3x3.bn.running_var", "Mixed_5b.branch_pool.conv.weight"):
        assert key in tv and key in fid
    assert tv["Mixed_6e.branch7x7dbl_5.conv.weight"].shape == (192, 192, 1, 7)
    assert tv["Mixed_7c.branch3x3dbl_3b.conv.weight"].shape == (384, 384, 3, 1)
    assert tv["AuxLogits.fc.weight"].shape == (1000, 768)
    assert nets["fid"].Mixed_5b.branch1x1.bn.eps == 0.001


def test_inception_forward_shapes(nets):
    x = torch.rand(2, 3, 299, 299)
    with torch.no_grad():
        for variant, classes in (("torchvision", 1000), ("fid", 1008)):
            pool = nets[variant].pool3(x)
            assert pool.shape == (2, 2048) and torch.isfinite(pool).all()
            assert nets[variant](x).shape == (2, classes)


def test_fid_variant_pools_like_tensorflow():
    """Mixed_5b..7b average without the padded zeros; Mixed_7c max-pools."""
    x = torch.ones(1, 1, 4, 4)
    assert inc._branch_pool(x, "avg")[0, 0, 0, 0].item() == pytest.approx(4 / 9)
    assert inc._branch_pool(x, "avg_no_pad")[0, 0, 0, 0].item() == pytest.approx(1.0)
    y = torch.arange(16.0).view(1, 1, 4, 4)
    assert inc._branch_pool(y, "max")[0, 0, 0, 0].item() == 5.0
    fid = inc.build("fid")
    assert [fid.Mixed_5b.pool, fid.Mixed_6e.pool, fid.Mixed_7b.pool, fid.Mixed_7c.pool] == [
        "avg_no_pad",
        "avg_no_pad",
        "avg_no_pad",
        "max",
    ]
    assert inc.build("torchvision").Mixed_7c.pool == "avg"


def test_inception_weights_load_strictly_with_module_prefix(tmp_path, nets):
    path = tmp_path / "inception_v3_google.pth"
    torch.save({f"module.{k}": v for k, v in nets["torchvision"].state_dict().items()}, path)
    loaded = inc.load(path, "torchvision", "inception_weights")
    x = torch.rand(1, 3, 299, 299)
    with torch.no_grad():
        assert torch.equal(loaded.pool3(x), nets["torchvision"].pool3(x))


def test_inception_weights_saved_without_num_batches_tracked_load(tmp_path, nets):
    """Files saved before BatchNorm had num_batches_tracked (older releases of the weights) load too."""
    state = {k: v for k, v in nets["fid"].state_dict().items() if not k.endswith("num_batches_tracked")}
    assert len(state) == 472
    torch.save(state, tmp_path / "pt_inception.pth")
    loaded = inc.load(tmp_path / "pt_inception.pth", "fid", "fid_inception_weights")
    assert torch.equal(loaded.fc.weight, nets["fid"].fc.weight)


def test_inception_weights_of_the_wrong_variant_or_incomplete_are_rejected(tmp_path, nets):
    state = nets["torchvision"].state_dict()
    path = tmp_path / "w.pth"
    torch.save(state, path)
    unexpected = r"w.pth: not fid Inception-v3 weights \(14 unexpected keys: AuxLogits\.\S+, AuxLogits"
    with pytest.raises(InputError, match=unexpected):
        inc.load(path, "fid", "fid_inception_weights")
    torch.save({k: v for k, v in state.items() if not k.startswith("Mixed_7c.branch_pool.")}, path)
    missing = r"5 missing keys: Mixed_7c.branch_pool.bn.bias, .* and 2 more\); point quality.inception_weights"
    with pytest.raises(InputError, match=missing):
        inc.load(path, "torchvision", "inception_weights")
    torch.save({**state, "fc.weight": torch.zeros(10, 2048)}, path)
    reshaped = r"\(1 tensor of another shape: fc.weight 10x2048 in the file, 1000x2048 in the network\)"
    with pytest.raises(InputError, match=reshaped):
        inc.load(path, "torchvision", "inception_weights")
    with pytest.raises(InputError, match="Inception weights not found; point quality.inception_weights at"):
        inc.load(tmp_path / "absent.pth", "torchvision", "inception_weights")


def test_features_do_not_depend_on_the_batch_size(nets):
    rng = np.random.default_rng(5)
    images = [rng.uniform(size=(3, 64, 48)).astype(np.float32) for _ in range(2)]
    for net in nets.values():
        one = inc.extract(net, [[im] for im in images])
        both = inc.extract(net, [images])
        for a, b in zip(one, both, strict=True):
            assert a.dtype == np.float64 and a.shape[0] == 2
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_prepare_follows_biggan_and_pytorch_fid():
    x = torch.rand(1, 3, 128, 128)
    tv = inc.prepare(x, "torchvision")
    assert tv.shape == (1, 3, 299, 299)
    mean, std = torch.tensor(inc.IMAGENET_MEAN), torch.tensor(inc.IMAGENET_STD)
    corner = (x[0, :, 0, 0] - mean) / std  # align_corners=True keeps the corner pixels
    assert torch.allclose(tv[0, :, 0, 0], corner, atol=1e-6)
    assert torch.allclose(tv[0, :, -1, -1], (x[0, :, -1, -1] - mean) / std, atol=1e-6)
    same = torch.rand(1, 3, 299, 299)
    assert torch.allclose(inc.prepare(same, "torchvision"), (same - mean.view(3, 1, 1)) / std.view(3, 1, 1))
    assert torch.allclose(inc.prepare(same, "fid"), 2 * same - 1, atol=1e-6)  # resize of 299 is the identity
    assert inc.prepare(torch.full((1, 3, 256, 128), 0.25), "fid").unique().item() == pytest.approx(-0.5)


# ---- reference statistics ---------------------------------------------------------------------


def test_reference_statistics_round_trip_and_bad_files(tmp_path):
    mu, sigma = np.arange(4.0), np.eye(4)
    write_stats(tmp_path / "ref.npz", mu, sigma, 12, "some/folder")
    got_mu, got_sigma, extra = read_stats(tmp_path / "ref.npz", 4, "FIX")
    assert np.array_equal(got_mu, mu) and np.array_equal(got_sigma, sigma)
    assert extra == {"count": 12, "source": "some/folder"}
    np.savez(tmp_path / "keys.npz", m=mu, s=sigma)
    with pytest.raises(InputError, match=r"keys.npz: needs arrays 'mu' and 'sigma' \(found m, s\); FIX"):
        read_stats(tmp_path / "keys.npz", 4, "FIX")
    with pytest.raises(InputError, match=r"mu \(4,\) and sigma \(4, 4\), but pool3 features need \(2048,\)"):
        read_stats(tmp_path / "ref.npz", 2048, "FIX")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(InputError, match="cannot be read as an .npz"):
        read_stats(tmp_path / "junk.npz", 4, "FIX")


# ---- the scripts by hand ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def weights_files(tmp_path_factory, nets):
    out = tmp_path_factory.mktemp("inception")
    paths = {}
    for variant, net in nets.items():
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
    run_script("quality", "--model", "biggan", "--source", "pth", "--outputs", outputs, "--out", tmp_path / "q.json")
    rec = json.loads((tmp_path / "q.json").read_text())
    assert rec["is_status"] == rec["fid_status"] == "not configured"
    assert rec["not_configured"] == ["quality.inception_weights", "quality.reference.biggan"]
    assert rec["images"] == 3


def test_biggan_is_and_fid_by_hand(tmp_path, weights_files, nets):
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
    run_script("quality", *args, "--out", tmp_path / "q.json")
    rec = json.loads((tmp_path / "q.json").read_text())
    assert rec["is_status"] == rec["fid_status"] == "ok" and rec["is_splits"] == 3
    assert rec["is_mean"] == pytest.approx(1.0, abs=1e-9) and rec["is_std"] == pytest.approx(0.0, abs=1e-9)
    pool, _ = inc.extract(nets["torchvision"], [[unit_image(image.astype(np.float32), "tanh", "minmax")]])
    expected = float(np.sum((pool[0] - mu_ref) ** 2) + np.trace(sigma_ref))
    assert rec["fid"] == pytest.approx(expected, rel=1e-5)
    assert rec["images"] == 7 and rec["outputs"] == str(outputs) and rec["source"] == "cpu"
    assert rec["inception"]["variant"] == "torchvision" and len(rec["inception"]["sha256"]) == 64
    assert rec["reference"]["count"] == 20 and rec["batch_size"] == 4
    assert any("N=7 <= 2048" in n for n in rec["notes"]) and any("reference N=20" in n for n in rec["notes"])


def test_dgnet_fid_against_statistics_of_an_image_folder(tmp_path, weights_files, nets):
    from PIL import Image

    rng = np.random.default_rng(1)
    for ident in ("0002", "0007"):
        (tmp_path / "market" / ident).mkdir(parents=True)
        for k in range(2):
            pixels = rng.integers(0, 256, size=(128, 64, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "market" / ident / f"{ident}_c1s1_{k}.jpg")
    stats = tmp_path / "stats.npz"
    run_script(
        "quality_stats", "--model", "dgnet", "--images", tmp_path / "market", "--inception", weights_files["fid"],
        "--out", stats,
    )  # fmt: skip
    mu, sigma, extra = read_stats(stats, 2048, "")
    assert extra["count"] == 4 and np.allclose(sigma, sigma.T)
    outputs = fake_outputs(tmp_path / "out", 2, (3, 256, 128))
    args = ["--model", "dgnet", "--source", "pth", "--outputs", outputs, "--out", tmp_path / "q.json"]
    run_script("quality", *args, "--inception", weights_files["fid"], "--reference", stats)
    rec = json.loads((tmp_path / "q.json").read_text())
    assert rec["is_status"] == "not measured" and rec["fid_status"] == "ok"
    assert rec["is_mean"] is None and rec["images"] == 2
    # the FID of the two outputs' pool3 features against the folder's statistics, recomputed here
    spec, q = registry.get("dgnet"), registry.quality("dgnet")
    files = sorted(outputs.iterdir())
    images = [unit_image(read_bin(f, spec.output.shape), q.images, spec.postprocess) for f in files]
    pool, _ = inc.extract(nets["fid"], [images])
    assert rec["fid"] == pytest.approx(frechet_distance(*gaussian_stats(pool), mu, sigma), rel=1e-5)
    assert rec["inception"]["variant"] == "fid" and rec["reference"]["source"] == str(tmp_path / "market")


def test_quality_bad_inputs_give_one_error_line_and_no_output(tmp_path, weights_files):
    outputs = fake_outputs(tmp_path / "out", 2, (3, 128, 128))
    np.savez(tmp_path / "moments.npz", mean=np.zeros(2048))
    base = ["--model", "biggan", "--source", "pth", "--outputs", outputs, "--out", tmp_path / "q.json"]
    proc = run_script(
        "quality", *base, "--inception", weights_files["fid"], "--reference", tmp_path / "moments.npz", check=False
    )
    assert proc.returncode == 1
    (line,) = error_lines(proc)
    assert line.startswith(f"error: {weights_files['fid']}: not torchvision Inception-v3 weights (12 missing keys")
    assert "point quality.inception_weights at inception_v3_google.pth" in proc.stderr
    proc = run_script(
        "quality", *base, "--inception", weights_files["torchvision"], "--reference", tmp_path / "moments.npz",
        check=False,
    )  # fmt: skip
    assert error_lines(proc) == [
        f"error: {tmp_path / 'moments.npz'}: needs arrays 'mu' and 'sigma' (found mean); "
        "fix quality.reference.biggan (an .npz with mu and sigma, or an image folder)"
    ]
    np.savez(tmp_path / "negative.npz", mu=np.zeros(2048), sigma=-np.eye(2048))
    proc = run_script(
        "quality", *base, "--inception", weights_files["torchvision"], "--reference", tmp_path / "negative.npz",
        check=False,
    )  # fmt: skip
    (line,) = error_lines(proc)
    assert line.startswith(f"error: {tmp_path / 'negative.npz'}: sigma2 is not a covariance matrix (eigenvalue -1")
    assert not (tmp_path / "q.json").exists()
    proc = run_script("quality", "--model", "dcgan", "--source", "pth", *base[4:], check=False)
    assert error_lines(proc) == ["error: model 'dcgan' has no quality metric (IS/FID); models with one: biggan, dgnet"]
