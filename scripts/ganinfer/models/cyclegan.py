"""CycleGAN ResnetGenerator of junyanz/pytorch-CycleGAN-and-pix2pix (models/networks.py),
in both padding layouts that released checkpoints use.

- ``padding='reflect'`` is upstream: ReflectionPad2d(3) around the network and a
  ReflectionPad2d(1) before each 3x3 convolution of a residual block, so the block's
  convolutions sit at ``conv_block.1`` and ``conv_block.5``.
- ``padding='zero'`` is the Ascend ModelZoo port (CycleGAN.patch, and the NPU training
  port that produced the Ascend "maps" checkpoints): the outer pads become ZeroPad2d(3) and
  the block convolutions pad by themselves (``padding=1``), so they sit at ``conv_block.0``
  and ``conv_block.3``. The two layouts are not numerically interchangeable.

The outer layers keep upstream's indices in both layouts (for 9 blocks: ``model.1``,
``model.4``, ``model.7``, ``model.19``, ``model.22``, ``model.26``). InstanceNorm is
``affine=False`` without running statistics, so it has no state_dict entries: 48 keys and
11,378,179 parameters at ngf 64 with 9 blocks. Upstream's ``replicate`` padding has the same
keys as ``reflect``; a checkpoint's keys cannot tell them apart, and ``reflect`` is assumed.

The demo weights use ``padding='zero'``: it is the Ascend layout, whose ONNX graph has no
reflect-mode Pad, the operator that ATC did not accept.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class HParams:
    """The generator's hyper-parameters; the defaults are the Ascend ModelZoo checkpoints' architecture (the
    demo weights'): upstream's ResnetGenerator with 9 blocks, in the Ascend zero-padding layout."""

    input_nc: int = 3
    output_nc: int = 3
    ngf: int = 64
    n_blocks: int = 9
    padding: str = "zero"
    use_dropout: bool = False


PADDINGS = ("reflect", "zero")
N_DOWNSAMPLING = 2  # fixed in upstream's ResnetGenerator
FIRST_BLOCK = 3 * (N_DOWNSAMPLING + 1) + 1  # index of the first residual block in ``model`` (10)

# Positions of the two 3x3 convolutions inside ``conv_block``, per (padding, use_dropout).
_BLOCK_CONVS = {
    ("reflect", False): (1, 5),
    ("reflect", True): (1, 6),
    ("zero", False): (0, 3),
    ("zero", True): (0, 4),
}
_NORM_STATS = ("running_mean", "running_var", "num_batches_tracked")


def _norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


def _outer_pad(padding: str, size: int) -> nn.Module:
    return nn.ReflectionPad2d(size) if padding == "reflect" else nn.ZeroPad2d(size)


class ResnetBlock(nn.Module):
    """``x + conv_block(x)`` with two 3x3 convolutions of ``dim`` channels."""

    def __init__(self, dim: int, padding: str, use_dropout: bool):
        super().__init__()
        layers: list[nn.Module] = []
        for second in (False, True):
            conv_pad = 1
            if padding == "reflect":
                layers.append(nn.ReflectionPad2d(1))
                conv_pad = 0
            layers += [nn.Conv2d(dim, dim, 3, padding=conv_pad, bias=True), _norm(dim)]
            if not second:
                layers.append(nn.ReLU(True))
                if use_dropout:
                    layers.append(nn.Dropout(0.5))
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """c7s1-ngf, two stride-2 downsamplings, ``n_blocks`` residual blocks, two transposed
    upsamplings, c7s1-output_nc, tanh. Upstream uses bias in every convolution because the
    norm is InstanceNorm."""

    def __init__(self, hp: HParams):
        super().__init__()
        if hp.padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, not {hp.padding!r}")
        if hp.n_blocks < 0:
            raise ValueError(f"n_blocks must be >= 0, not {hp.n_blocks}")
        layers: list[nn.Module] = [
            _outer_pad(hp.padding, 3),
            nn.Conv2d(hp.input_nc, hp.ngf, 7, padding=0, bias=True),
            _norm(hp.ngf),
            nn.ReLU(True),
        ]
        ch = hp.ngf
        for _ in range(N_DOWNSAMPLING):
            layers += [nn.Conv2d(ch, ch * 2, 3, stride=2, padding=1, bias=True), _norm(ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [ResnetBlock(ch, hp.padding, hp.use_dropout) for _ in range(hp.n_blocks)]
        for _ in range(N_DOWNSAMPLING):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 3, stride=2, padding=1, output_padding=1, bias=True),
                _norm(ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [_outer_pad(hp.padding, 3), nn.Conv2d(ch, hp.output_nc, 7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def build(**hparams) -> ResnetGenerator:
    return ResnetGenerator(HParams(**hparams))


def outer_indices(n_blocks: int) -> dict:
    """Indices in ``model`` of the parameterised outer layers (9 blocks: 1, 4, 7, 19, 22, 26)."""
    up = FIRST_BLOCK + n_blocks
    return {"in": 1, "down1": 4, "down2": 7, "up1": up, "up2": up + 3, "out": up + 7}


def expected_shapes(hp: HParams) -> dict:
    """Every state_dict key of ``ResnetGenerator(hp)`` with its shape, without building it."""
    ngf, idx = hp.ngf, outer_indices(hp.n_blocks)
    shapes = {}

    def add(index: int | str, weight: tuple, bias: int) -> None:
        shapes[f"model.{index}.weight"] = weight
        shapes[f"model.{index}.bias"] = (bias,)

    add(idx["in"], (ngf, hp.input_nc, 7, 7), ngf)
    add(idx["down1"], (2 * ngf, ngf, 3, 3), 2 * ngf)
    add(idx["down2"], (4 * ngf, 2 * ngf, 3, 3), 4 * ngf)
    for b in range(hp.n_blocks):
        for pos in _BLOCK_CONVS[(hp.padding, hp.use_dropout)]:
            add(f"{FIRST_BLOCK + b}.conv_block.{pos}", (4 * ngf, 4 * ngf, 3, 3), 4 * ngf)
    # ConvTranspose2d weights are in_channels x out_channels x k x k
    add(idx["up1"], (4 * ngf, 2 * ngf, 3, 3), 2 * ngf)
    add(idx["up2"], (2 * ngf, ngf, 3, 3), ngf)
    add(idx["out"], (hp.output_nc, ngf, 7, 7), hp.output_nc)
    return shapes


_BLOCK_KEY = re.compile(r"^model\.(\d+)\.conv_block\.(\d+)\.weight$")


def hparams_from_state_dict(sd: dict) -> dict:
    """Padding layout from the residual-block key names; sizes from the tensor shapes.

    Raises ``KeyError`` when a ResnetGenerator key is missing and ``ValueError`` when the
    keys or shapes do not form one.
    """
    first = sd["model.1.weight"]
    if first.dim() != 4 or tuple(first.shape[2:]) != (7, 7):
        raise ValueError(f"model.1.weight has shape {tuple(first.shape)}, not ngf x input_nc x 7 x 7")
    ngf, input_nc = int(first.shape[0]), int(first.shape[1])

    blocks: dict[int, set[int]] = {}
    for key in sd:
        m = _BLOCK_KEY.match(key)
        if m:
            blocks.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    n_blocks = len(blocks)
    if sorted(blocks) != list(range(FIRST_BLOCK, FIRST_BLOCK + n_blocks)):
        raise ValueError(f"residual blocks at model indices {sorted(blocks)}, not consecutive from {FIRST_BLOCK}")
    layouts = {frozenset(p) for p in blocks.values()}
    if len(layouts) > 1:
        raise ValueError(f"residual blocks mix convolution positions {sorted(map(sorted, layouts))}")
    if n_blocks:
        found = tuple(sorted(layouts.pop()))
        match = [k for k, v in _BLOCK_CONVS.items() if v == found]
        if not match:
            raise ValueError(
                f"residual blocks have convolutions at conv_block.{found}, expected one of "
                "(1, 5) reflect or (0, 3) zero padding"
            )
        padding, use_dropout = match[0]
    else:  # no blocks: the layouts share their keys; keep upstream's default
        padding, use_dropout = "reflect", False

    out = sd[f"model.{outer_indices(n_blocks)['out']}.weight"]
    if out.dim() != 4:
        raise ValueError(f"output convolution weight has shape {tuple(out.shape)}")
    hp = HParams(input_nc, int(out.shape[0]), ngf, n_blocks, padding, use_dropout)
    for key, shape in expected_shapes(hp).items():
        if tuple(sd[key].shape) != shape:
            raise ValueError(f"{key} has shape {tuple(sd[key].shape)}, expected {shape} for {hp}")
    return asdict(hp)


def clean_state_dict(sd: dict) -> dict:
    """Drop InstanceNorm running statistics that old (2018) checkpoints carry.

    Mirrors upstream's ``__patch_instance_norm_state_dict`` (base_model.py), which the Ascend
    export script also applies: ``running_mean``/``running_var``/``num_batches_tracked`` of a
    norm layer without affine parameters are removed. In this generator such a layer can only
    be an InstanceNorm; statistics next to a ``weight`` (a BatchNorm) are kept, so that strict
    loading reports them.
    """
    out = {}
    for key, value in sd.items():
        module, _, leaf = key.rpartition(".")
        if leaf in _NORM_STATS and f"{module}.weight" not in sd:
            continue
        out[key] = value
    return out


def demo_init(model: nn.Module) -> None:
    """Upstream ``init_weights(init_type='normal', init_gain=0.02)``: every Conv/ConvTranspose
    weight N(0, 0.02), bias 0 (InstanceNorm has no parameters)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
