"""The two Inception-v3 variants of IS / FID: keys and sizes against torchvision and pytorch-fid, shapes,
TensorFlow's pooling, strict loading, batch-size invariance and the input preparation (random weights:
the ``inception_nets`` fixture)."""

import numpy as np
import pytest
import torch

from ganinfer import inception as inc
from ganinfer.errors import InputError


def test_inception_keys_and_sizes_match_torchvision_and_pytorch_fid(inception_nets):
    tv, fid = inception_nets["torchvision"].state_dict(), inception_nets["fid"].state_dict()
    assert len(tv) == 580 and len(fid) == 566
    assert sum(p.numel() for p in inception_nets["torchvision"].parameters()) == 27_161_264
    assert sum(p.numel() for p in inception_nets["fid"].parameters()) == 23_850_960
    assert set(tv) - set(fid) == {k for k in tv if k.startswith("AuxLogits.")}
    assert tv["fc.weight"].shape == (1000, 2048) and fid["fc.weight"].shape == (1008, 2048)
    for key in ("Conv2d_1a_3x3.conv.weight", "Conv2d_1a_3x3.bn.running_var", "Mixed_5b.branch_pool.conv.weight"):
        assert key in tv and key in fid
    assert tv["Mixed_6e.branch7x7dbl_5.conv.weight"].shape == (192, 192, 1, 7)
    assert tv["Mixed_7c.branch3x3dbl_3b.conv.weight"].shape == (384, 384, 3, 1)
    assert tv["AuxLogits.fc.weight"].shape == (1000, 768)
    assert inception_nets["fid"].Mixed_5b.branch1x1.bn.eps == 0.001


def test_inception_forward_shapes(inception_nets):
    x = torch.rand(2, 3, 299, 299)
    with torch.no_grad():
        for variant, classes in (("torchvision", 1000), ("fid", 1008)):
            pool = inception_nets[variant].pool3(x)
            assert pool.shape == (2, 2048) and torch.isfinite(pool).all()
            assert inception_nets[variant](x).shape == (2, classes)


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


def test_inception_weights_load_strictly_with_module_prefix(tmp_path, inception_nets):
    path = tmp_path / "inception_v3_google.pth"
    torch.save({f"module.{k}": v for k, v in inception_nets["torchvision"].state_dict().items()}, path)
    loaded = inc.load(path, "torchvision", "inception_weights")
    x = torch.rand(1, 3, 299, 299)
    with torch.no_grad():
        assert torch.equal(loaded.pool3(x), inception_nets["torchvision"].pool3(x))


def test_inception_weights_saved_without_num_batches_tracked_load(tmp_path, inception_nets):
    """Files saved before BatchNorm had num_batches_tracked (older releases of the weights) load too."""
    state = {k: v for k, v in inception_nets["fid"].state_dict().items() if not k.endswith("num_batches_tracked")}
    assert len(state) == 472
    torch.save(state, tmp_path / "pt_inception.pth")
    loaded = inc.load(tmp_path / "pt_inception.pth", "fid", "fid_inception_weights")
    assert torch.equal(loaded.fc.weight, inception_nets["fid"].fc.weight)


def test_inception_weights_of_the_wrong_variant_or_incomplete_are_rejected(tmp_path, inception_nets):
    state = inception_nets["torchvision"].state_dict()
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


def test_features_do_not_depend_on_the_batch_size(inception_nets):
    rng = np.random.default_rng(5)
    images = [rng.uniform(size=(3, 64, 48)).astype(np.float32) for _ in range(2)]
    for net in inception_nets.values():
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
