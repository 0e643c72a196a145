"""DCGAN generator of PyTorch-GAN (implementations/dcgan/dcgan.py) as ported by the
Ascend ModelZoo: ``forward`` flattens N x 100 x 1 x 1 noise to N x 100, and the
second convolution is 128 -> 32 in the Ascend checkpoint (128 -> 64 upstream).

Layer indices, and therefore state_dict keys, follow upstream exactly: ``l1.0`` is
the Linear, ``conv_blocks.{0..10}`` the BN / Upsample / Conv / LeakyReLU / Tanh stack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class HParams:
    """The generator's sizes; the defaults are the Ascend checkpoint's (the demo weights')."""

    img_size: int = 32
    latent_dim: int = 100
    channels: int = 1
    width: int = 32  # conv2's output channels (64 upstream)


class Generator(nn.Module):
    def __init__(self, hp: HParams):
        super().__init__()
        self.init_size = hp.img_size // 4
        self.l1 = nn.Sequential(nn.Linear(hp.latent_dim, 128 * self.init_size**2))
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 128, 3, stride=1, padding=1),
            nn.BatchNorm2d(128, 0.8),  # second positional argument is eps, as upstream
            nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, hp.width, 3, stride=1, padding=1),
            nn.BatchNorm2d(hp.width, 0.8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(hp.width, hp.channels, 3, stride=1, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z.reshape(z.shape[0], -1)
        out = self.l1(z)
        out = out.view(out.shape[0], 128, self.init_size, self.init_size)
        return self.conv_blocks(out)


def build(**hparams) -> Generator:
    return Generator(HParams(**hparams))


def hparams_from_state_dict(sd: dict) -> dict:
    """Image size, latent size, channels and conv2 width from the tensor shapes."""
    fc = sd["l1.0.weight"]
    side2, rem = divmod(fc.shape[0], 128)
    side = math.isqrt(side2)
    if rem or side * side != side2:
        raise ValueError(f"l1.0.weight has {fc.shape[0]} rows, not 128 * s * s")
    return {
        "img_size": 4 * side,
        "latent_dim": int(fc.shape[1]),
        "channels": int(sd["conv_blocks.9.weight"].shape[0]),
        "width": int(sd["conv_blocks.6.weight"].shape[0]),
    }


def demo_init(model: nn.Module) -> None:
    """Upstream ``weights_init_normal``: conv N(0, 0.02); BN weight N(1, 0.02), bias 0."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.constant_(m.bias, 0.0)
