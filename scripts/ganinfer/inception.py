"""Inception-v3 for IS and FID, with torchvision's module names (state_dict keys).

Two variants, one class:

- ``torchvision``: torchvision's ``Inception3`` (1000 classes, aux head), the network of
  BigGAN's ``inception_utils.py`` and of the BigGAN guide; its weights are
  ``inception_v3_google.pth`` (580 keys).
- ``fid``: pytorch-fid's FID Inception, the PyTorch port of the TF graph that TTUR-style
  statistics come from: 1008 classes, no aux head, and the TF pooling in the mixed blocks
  (3x3 average pooling without the padded zeros in Mixed_5b..7b, 3x3 max pooling in
  Mixed_7c); its weights are ``pt_inception-2015-12-05-6726825d.pth`` (566 keys).

Weights are loaded with ``strict=True`` after removing ``module.`` prefixes. Every conv
is BasicConv2d: conv (no bias) + BatchNorm2d (eps 0.001) + ReLU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganinfer.checkpoint import load_tensors, state_mismatch
from ganinfer.errors import InputError
from ganinfer.images import IMAGENET_MEAN, IMAGENET_STD

VARIANTS = {
    # variant: (classes, aux head, pooling of Mixed_5b..5d / 6b..6e / 7b / 7c, weights file)
    "torchvision": (1000, True, ("avg", "avg", "avg", "avg"), "inception_v3_google.pth"),
    "fid": (1008, False, ("avg_no_pad", "avg_no_pad", "avg_no_pad", "max"), "pt_inception-2015-12-05-6726825d.pth"),
}
POOL_DIM = 2048
INPUT_SIZE = 299


def _branch_pool(x: torch.Tensor, pool: str) -> torch.Tensor:
    """The 3x3 stride-1 pooling in front of a mixed block's ``branch_pool`` conv."""
    if pool == "avg":
        return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)
    if pool == "avg_no_pad":
        return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
    return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)


class BasicConv2d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class InceptionA(nn.Module):
    def __init__(self, in_channels: int, pool_features: int, pool: str = "avg"):
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(_branch_pool(x, self.pool))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, bd, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, in_channels: int, channels_7x7: int, pool: str = "avg"):
        super().__init__()
        c7 = channels_7x7
        self.pool = pool
        self.branch1x1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for conv in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = conv(bd)
        bp = self.branch_pool(_branch_pool(x, self.pool))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    def __init__(self, in_channels: int, pool: str = "avg"):
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        bp = self.branch_pool(_branch_pool(x, self.pool))
        return torch.cat([b1, b3, bd, bp], 1)


class InceptionAux(nn.Module):
    """The training-time auxiliary head: only its keys matter here (never run in eval)."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.conv0 = BasicConv2d(in_channels, 128, kernel_size=1)
        self.conv1 = BasicConv2d(128, 768, kernel_size=5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(self.conv0(F.avg_pool2d(x, kernel_size=5, stride=3)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Inception3(nn.Module):
    """torchvision's Inception3 structure; ``variant`` picks the classes, aux head and pooling."""

    def __init__(self, variant: str = "torchvision"):
        super().__init__()
        num_classes, aux, pools, _ = VARIANTS[variant]
        pool_a, pool_c, pool_e1, pool_e2 = pools
        self.variant = variant
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = InceptionA(192, pool_features=32, pool=pool_a)
        self.Mixed_5c = InceptionA(256, pool_features=64, pool=pool_a)
        self.Mixed_5d = InceptionA(288, pool_features=64, pool=pool_a)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128, pool=pool_c)
        self.Mixed_6c = InceptionC(768, channels_7x7=160, pool=pool_c)
        self.Mixed_6d = InceptionC(768, channels_7x7=160, pool=pool_c)
        self.Mixed_6e = InceptionC(768, channels_7x7=192, pool=pool_c)
        if aux:
            self.AuxLogits = InceptionAux(768, num_classes)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool=pool_e1)
        self.Mixed_7c = InceptionE(2048, pool=pool_e2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=0.5)
        self.fc = nn.Linear(POOL_DIM, num_classes)

    def pool3(self, x: torch.Tensor) -> torch.Tensor:
        """N x 3 x 299 x 299 (already normalised) -> N x 2048: the spatial mean after Mixed_7c."""
        x = self.maxpool1(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))))
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (eval: no aux output, dropout inactive)."""
        return self.fc(self.dropout(self.pool3(x)))


def build(variant: str) -> Inception3:
    return Inception3(variant).eval()


def random_init(model: Inception3, seed: int = 0) -> Inception3:
    """Seeded random weights that keep activations finite through the 94 convs (He-normal
    convs, unit BN): a stand-in for the released weights where those are absent (tests)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (1.0 / m.in_features) ** 0.5)
                m.bias.zero_()
    return model


def load(path: str | Path, variant: str, config_key: str) -> Inception3:
    """Build ``variant`` and load ``path`` strictly (``module.`` stripped); bad files are an InputError."""
    _, _, _, expected = VARIANTS[variant]
    hint = f"point quality.{config_key} at {expected}"
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: Inception weights not found; {hint} (or remove the key)")
    state = load_tensors(path, f"quality.{config_key}", expected)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"{path}: not a state_dict of tensors; {hint}")
    state = {k.removeprefix("module."): v for k, v in state.items()}
    model = Inception3(variant)
    # BatchNorm fills in num_batches_tracked for files saved before it existed
    wanted = {k: v for k, v in model.state_dict().items() if k in state or not k.endswith("num_batches_tracked")}
    detail = state_mismatch(wanted, state)
    if detail:
        raise InputError(f"{path}: not {variant} Inception-v3 weights ({detail}); {hint}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:200]
        raise InputError(f"{path}: not {variant} Inception-v3 weights ({detail}); {hint}") from None
    return model.eval()


def prepare(x: torch.Tensor, variant: str) -> torch.Tensor:
    """N x 3 x H x W images in [0, 1] -> the network's input at 299 x 299.

    ``torchvision`` (BigGAN's WrapInception): ImageNet mean/std, then bilinear resize with
    align_corners=True when not already 299. ``fid`` (pytorch-fid): bilinear resize with
    align_corners=False, then 2x - 1.
    """
    if variant == "torchvision":
        mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, dtype=x.dtype).view(1, 3, 1, 1)
        x = (x - mean) / std
        if x.shape[2:] != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=True)
        return x
    x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
    return 2 * x - 1


def extract(model: Inception3, batches) -> tuple[np.ndarray, np.ndarray]:
    """pool3 features (N x 2048) and logits (N x classes), float64, from ``batches``: lists of
    3 x H x W float arrays in [0, 1] (sizes may differ; each image is resized on its own)."""
    pools, logits = [], []
    with torch.no_grad():
        for batch in batches:
            x = torch.cat([prepare(torch.from_numpy(np.asarray(a, np.float32))[None], model.variant) for a in batch])
            pool = model.pool3(x)
            pools.append(pool.double())
            logits.append(model.fc(pool).double())
    if not pools:
        return np.zeros((0, POOL_DIM)), np.zeros((0, model.fc.out_features))
    return torch.cat(pools).numpy(), torch.cat(logits).numpy()
