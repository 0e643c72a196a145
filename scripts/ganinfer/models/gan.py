"""Vanilla GAN generator of PyTorch-GAN (implementations/gan/gan.py): an MLP
100 -> 128 -> 256 -> 512 -> 1024 -> 784 with BatchNorm1d(eps=0.8) and LeakyReLU(0.2)
between the hidden layers, Tanh, reshaped to N x 1 x 28 x 28.

All layers sit in one ``nn.Sequential`` called ``model`` as upstream, so the keys are
``model.{0,2,5,8,11}.{weight,bias}`` and ``model.{3,6,9}.*`` for the norms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

HIDDEN = (128, 256, 512, 1024)


@dataclass(frozen=True)
class HParams:
    """The generator's sizes; the defaults are upstream's (the demo weights')."""

    latent_dim: int = 100
    img_size: int = 28
    channels: int = 1


class Generator(nn.Module):
    def __init__(self, hp: HParams):
        super().__init__()
        self.img_shape = (hp.channels, hp.img_size, hp.img_size)
        layers: list[nn.Module] = []
        width_in = hp.latent_dim
        for i, width in enumerate(HIDDEN):
            layers.append(nn.Linear(width_in, width))
            if i > 0:
                layers.append(nn.BatchNorm1d(width, 0.8))  # positional eps, as upstream
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            width_in = width
        layers += [nn.Linear(width_in, hp.channels * hp.img_size * hp.img_size), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        img = self.model(z)
        return img.view(img.shape[0], *self.img_shape)


def build(**hparams) -> Generator:
    return Generator(HParams(**hparams))


def hparams_from_state_dict(sd: dict) -> dict:
    """Latent size and image size (single channel, square) from the first and last Linear."""
    out_features = int(sd["model.11.weight"].shape[0])
    side = math.isqrt(out_features)
    if side * side != out_features:
        raise ValueError(f"model.11.weight has {out_features} outputs, not a square image")
    return {"latent_dim": int(sd["model.0.weight"].shape[1]), "img_size": side, "channels": 1}


def demo_init(model: nn.Module) -> None:
    """Upstream trains from PyTorch's default initialisation: nothing to change."""
