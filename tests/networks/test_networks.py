"""DCGAN and vanilla GAN generators against the upstream key/shape facts."""

from dataclasses import asdict

import pytest
import torch

from ganinfer import networks, registry
from ganinfer.errors import InputError
from ganinfer.models import dcgan, gan
from ganinfer.workflow.settings import demo_hparams

# PyTorch-GAN dcgan.py: l1.0 Linear, conv_blocks 0 BN, 2 Conv, 3 BN(eps .8), 6 Conv, 7 BN(eps .8), 9 Conv
DCGAN_KEYS_ASCEND = {
    "l1.0.weight": (8192, 100),
    "l1.0.bias": (8192,),
    "conv_blocks.0.weight": (128,),
    "conv_blocks.0.bias": (128,),
    "conv_blocks.0.running_mean": (128,),
    "conv_blocks.0.running_var": (128,),
    "conv_blocks.0.num_batches_tracked": (),
    "conv_blocks.2.weight": (128, 128, 3, 3),
    "conv_blocks.2.bias": (128,),
    "conv_blocks.3.weight": (128,),
    "conv_blocks.3.bias": (128,),
    "conv_blocks.3.running_mean": (128,),
    "conv_blocks.3.running_var": (128,),
    "conv_blocks.3.num_batches_tracked": (),
    "conv_blocks.6.weight": (32, 128, 3, 3),
    "conv_blocks.6.bias": (32,),
    "conv_blocks.7.weight": (32,),
    "conv_blocks.7.bias": (32,),
    "conv_blocks.7.running_mean": (32,),
    "conv_blocks.7.running_var": (32,),
    "conv_blocks.7.num_batches_tracked": (),
    "conv_blocks.9.weight": (1, 32, 3, 3),
    "conv_blocks.9.bias": (1,),
}

GAN_KEYS = {
    "model.0.weight": (128, 100),
    "model.0.bias": (128,),
    "model.2.weight": (256, 128),
    "model.2.bias": (256,),
    "model.5.weight": (512, 256),
    "model.5.bias": (512,),
    "model.8.weight": (1024, 512),
    "model.8.bias": (1024,),
    "model.11.weight": (784, 1024),
    "model.11.bias": (784,),
}
for _i, _c in ((3, 256), (6, 512), (9, 1024)):
    GAN_KEYS.update({f"model.{_i}.{k}": (_c,) for k in ("weight", "bias", "running_mean", "running_var")})
    GAN_KEYS[f"model.{_i}.num_batches_tracked"] = ()


def shapes(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_dcgan_ascend_variant_matches_upstream_keys_and_sizes():
    g = dcgan.build()
    assert shapes(g) == DCGAN_KEYS_ASCEND
    assert n_params(g) == 1_012_737


@pytest.mark.parametrize(
    ("hparams", "params"),
    [
        ({"img_size": 32, "latent_dim": 100, "channels": 1, "width": 64}, 1_049_985),  # upstream at 32
        ({"img_size": 28, "latent_dim": 100, "channels": 1, "width": 64}, 856_065),  # upstream at 28
        ({"img_size": 28, "latent_dim": 100, "channels": 1, "width": 32}, 818_817),
    ],
)
def test_dcgan_hparams_are_read_from_tensor_shapes(hparams, params):
    g = dcgan.build(**hparams)
    assert n_params(g) == params
    assert dcgan.hparams_from_state_dict(g.state_dict()) == hparams
    z = torch.randn(3, hparams["latent_dim"], 1, 1)
    assert g.eval()(z).shape == (3, 1, hparams["img_size"], hparams["img_size"])


def test_dcgan_batchnorm_eps_is_upstreams():
    g = dcgan.build()
    assert [m.eps for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)] == [1e-5, 0.8, 0.8]


def test_gan_matches_upstream_keys_and_sizes():
    g = gan.build()
    assert shapes(g) == GAN_KEYS
    assert len(GAN_KEYS) == 25
    assert n_params(g) == 1_510_032
    assert [m.eps for m in g.modules() if isinstance(m, torch.nn.BatchNorm1d)] == [0.8, 0.8, 0.8]
    assert g.eval()(torch.randn(2, 100)).shape == (2, 1, 28, 28)


def test_dcgan_checkpoint_layout_with_module_prefix_loads_strictly(tmp_path):
    """The Ascend checkpoint: ckpt['G'] with DataParallel 'module.' prefixes, plus D and optimizers."""
    torch.manual_seed(1)
    g = dcgan.build(img_size=32, latent_dim=100, channels=1, width=64)
    ckpt = {"G": {f"module.{k}": v for k, v in g.state_dict().items()}, "D": {}, "optimizer_G": {}, "amp": {}}
    path = tmp_path / "checkpoint-amp-epoch_200.pth"
    torch.save(ckpt, path)
    loaded, hparams = networks.load_generator(registry.get("dcgan"), str(path))
    assert hparams["width"] == 64
    assert not loaded.training
    for k, v in g.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k


def test_gan_bare_state_dict_loads_strictly(tmp_path):
    torch.manual_seed(2)
    g = gan.build()
    path = tmp_path / "generator_8p_0.0008_128.pth"
    torch.save({f"module.{k}": v for k, v in g.state_dict().items()}, path)
    loaded, _ = networks.load_generator(registry.get("gan"), str(path))
    z = torch.randn(4, 100)
    assert torch.equal(loaded(z), g.eval()(z))


def test_uninitialized_build_skips_the_initializers_and_loading_draws_nothing(tmp_path):
    """Built under uninitialized(), a module takes no random draw; load_generator then fills every
    tensor from the checkpoint (a float16 file is cast to the module's float32, as before)."""
    from ganinfer.models import uninitialized

    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    with uninitialized():
        layer = torch.nn.Linear(64, 64)
    assert torch.equal(torch.rand(3), expected)
    assert layer.weight.shape == (64, 64)

    g = gan.build()
    path = tmp_path / "gan_fp16.pth"
    torch.save({k: v.half() for k, v in g.state_dict().items()}, path)
    torch.manual_seed(6)
    expected = torch.rand(3)
    torch.manual_seed(6)
    loaded, _ = networks.load_generator(registry.get("gan"), str(path))
    assert torch.equal(torch.rand(3), expected)
    for k, v in g.state_dict().items():
        assert loaded.state_dict()[k].dtype == v.dtype, k
        assert torch.equal(loaded.state_dict()[k], v.half().to(v.dtype)), k


def test_wrong_architecture_is_one_clear_error(tmp_path):
    path = tmp_path / "gan.pth"
    torch.save(gan.build().state_dict(), path)
    with pytest.raises(InputError, match=r"gan\.pth: expected the dcgan generator under key 'G'"):
        networks.load_generator(registry.get("dcgan"), str(path))
    torch.save({"G": gan.build().state_dict()}, path)
    with pytest.raises(InputError, match=r"not a DCGAN .* checkpoint .*weights\.dcgan\.path"):
        networks.load_generator(registry.get("dcgan"), str(path))


def test_demo_weights_are_seeded_and_in_the_real_layout():
    a = networks.demo_checkpoint(registry.get("dcgan"), seed=3)
    b = networks.demo_checkpoint(registry.get("dcgan"), seed=3)
    c = networks.demo_checkpoint(registry.get("dcgan"), seed=4)
    assert set(a) == {"G"}
    assert all(torch.equal(a["G"][k], b["G"][k]) for k in a["G"])
    assert not torch.equal(a["G"]["conv_blocks.2.weight"], c["G"]["conv_blocks.2.weight"])
    # upstream weights_init_normal: conv weights N(0, 0.02)
    assert abs(float(a["G"]["conv_blocks.2.weight"].std()) - 0.02) < 0.002
    assert isinstance(networks.demo_checkpoint(registry.get("gan"), seed=0)["model.0.weight"], torch.Tensor)


def test_the_config_check_reads_each_network_s_defaults_from_its_source():
    """ganinfer.workflow.settings reads a network's HParams defaults without importing torch: the values the
    class gives; a demo architecture override changes that size alone."""
    for name in ("biggan", "cyclegan", "dcgan", "dgnet", "gan"):
        assert demo_hparams(name) == asdict(networks.network_module(name).HParams()), name
    sd = networks.demo_checkpoint(registry.get("dcgan"), 0, {"width": 8})["G"]
    assert dcgan.hparams_from_state_dict(sd) == {**demo_hparams("dcgan"), "width": 8}
