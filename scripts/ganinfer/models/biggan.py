"""BigGAN generator of ajbrock/BigGAN-PyTorch (BigGAN.py, layers.py) with the Ascend
ModelZoo input layout: ``forward(noise, label)`` takes ``noise`` N x 1 x 20 (z chunk 0)
and ``label`` N x 5 x 148 (per block: class embedding ++ z chunk i+1). The embedding
lookup and the concatenation happen outside the graph (the preprocess stage's ``biggan_inputs``), so
``shared.weight`` is in the state_dict but not in the exported graph.

Module names follow upstream, so the released ``G_ema.pth`` (166 keys) loads with
``strict=True``: ``shared``, ``linear``, ``blocks.{i}.0`` (GBlock: conv1, conv2, conv_sc,
bn1, bn2), ``blocks.{i}.1`` (Attention at the configured resolutions) and
``output_layer.{0,1,2}`` (bn, ReLU, conv).

Spectral norm is upstream's own (not ``torch.nn.utils.spectral_norm``): each SN layer
stores the raw ``weight`` plus buffers ``u0`` (1 x out) and ``sv0`` ([1]); every forward
runs one power-iteration step from ``u0`` and divides the weight by the resulting sigma,
even in eval mode. ``finalize`` does that step once and stores ``W / sigma`` so the
exported graph holds plain Conv/Gemm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ganinfer.models import uninitialized


@dataclass(frozen=True)
class HParams:
    """The generator's hyper-parameters; the defaults are the released BigGAN 128's (its launch script's
    G_ch, dim_z, shared_dim, ...; the demo weights')."""

    ch: int = 96
    dim_z: int = 120
    shared_dim: int = 128
    n_classes: int = 1000
    resolution: int = 128
    attention: str = "64"
    hier: bool = True
    bottom_width: int = 4


SN_EPS = 1e-6  # --SN_eps of the released model (upstream default 1e-8 is not used)
BN_EPS = 1e-5

# G_arch of BigGAN.py: channel multipliers of each GBlock, keyed by resolution.
# Block i outputs resolution 8 * 2**i (with the default bottom width 4).
ARCH = {
    32: ((4, 4, 4), (4, 4, 4)),
    64: ((16, 16, 8, 4), (16, 8, 4, 2)),
    128: ((16, 16, 8, 4, 2), (16, 8, 4, 2, 1)),
    256: ((16, 16, 8, 8, 4, 2), (16, 8, 8, 4, 2, 1)),
    512: ((16, 16, 8, 8, 4, 2, 1), (16, 8, 8, 4, 2, 1, 1)),
}
RESOLUTION_OF_BLOCKS = {len(v[0]): k for k, v in ARCH.items()}


# ---------------------------------------------------------------------------------------------
# spectral norm


def _sn_sigma(w_mat: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One upstream power-iteration step: returns (sigma as a 0-d tensor, the new u)."""
    with torch.no_grad():
        v = F.normalize(torch.matmul(u, w_mat), eps=SN_EPS)
        u_new = F.normalize(torch.matmul(v, w_mat.t()), eps=SN_EPS)
    sigma = torch.squeeze(torch.matmul(torch.matmul(v, w_mat.t()), u_new.t()))
    return sigma, u_new


class _SpectralNorm:
    """Mixin for ``nn.Conv2d`` / ``nn.Linear``: buffers ``u0``/``sv0``, weight / sigma."""

    def _init_sn(self, num_outputs: int) -> None:
        self.folded = False
        self.register_buffer("u0", torch.randn(1, num_outputs))
        self.register_buffer("sv0", torch.ones(1))

    def sn_weight(self) -> torch.Tensor:
        """The weight the layer uses: raw weight / sigma (upstream ``W_``), or the folded weight."""
        if self.folded:
            return self.weight
        w_mat = self.weight.view(self.weight.size(0), -1)
        sigma, u_new = _sn_sigma(w_mat, self.u0)
        if self.training:
            with torch.no_grad():
                self.u0[:] = u_new
                self.sv0[:] = sigma
        return self.weight / sigma

    @torch.no_grad()
    def fold(self) -> None:
        """Replace ``weight`` by ``weight / sigma`` (sigma from the stored ``u0``), drop the SN buffers."""
        if self.folded:
            return
        w_mat = self.weight.view(self.weight.size(0), -1)
        sigma, _ = _sn_sigma(w_mat, self.u0)
        self.weight.copy_(self.weight / sigma)
        del self.u0
        del self.sv0
        self.folded = True


class SNConv2d(nn.Conv2d, _SpectralNorm):
    def __init__(self, in_ch: int, out_ch: int, kernel_size: int = 3, padding: int = 1, bias: bool = True):
        nn.Conv2d.__init__(self, in_ch, out_ch, kernel_size, padding=padding, bias=bias)
        self._init_sn(out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.sn_weight(), self.bias, self.stride, self.padding, self.dilation, self.groups)


class SNLinear(nn.Linear, _SpectralNorm):
    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        nn.Linear.__init__(self, in_features, out_features, bias=bias)
        self._init_sn(out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.sn_weight(), self.bias)


# ---------------------------------------------------------------------------------------------
# norms, blocks, attention


class CCBN(nn.Module):
    """Class-conditional BN (layers.ccbn, norm_style 'bn'): gain = 1 + Linear_g(y), bias = Linear_b(y)."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.gain = SNLinear(cond_dim, channels, bias=False)
        self.bias = SNLinear(cond_dim, channels, bias=False)
        self.register_buffer("stored_mean", torch.zeros(channels))
        self.register_buffer("stored_var", torch.ones(channels))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        gain = (1 + self.gain(y)).view(y.size(0), -1, 1, 1)
        bias = self.bias(y).view(y.size(0), -1, 1, 1)
        out = F.batch_norm(x, self.stored_mean, self.stored_var, None, None, self.training, 0.1, BN_EPS)
        return out * gain + bias


class BN(nn.Module):
    """Unconditional BN with learnable gain/bias (layers.bn); key order gain, bias, stored_mean, stored_var."""

    def __init__(self, channels: int):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("stored_mean", torch.zeros(channels))
        self.register_buffer("stored_var", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(x, self.stored_mean, self.stored_var, self.gain, self.bias, self.training, 0.1, BN_EPS)


class GBlock(nn.Module):
    """ccbn -> ReLU -> upsample x2 -> conv3x3 -> ccbn -> ReLU -> conv3x3, plus upsample -> conv1x1 shortcut."""

    def __init__(self, in_ch: int, out_ch: int, cond_dim: int):
        super().__init__()
        self.conv1 = SNConv2d(in_ch, out_ch)
        self.conv2 = SNConv2d(out_ch, out_ch)
        self.conv_sc = SNConv2d(in_ch, out_ch, kernel_size=1, padding=0)
        self.bn1 = CCBN(in_ch, cond_dim)
        self.bn2 = CCBN(out_ch, cond_dim)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn1(x, y))
        h = F.interpolate(h, scale_factor=2)
        x = F.interpolate(x, scale_factor=2)
        h = self.conv1(h)
        h = F.relu(self.bn2(h, y))
        h = self.conv2(h)
        return h + self.conv_sc(x)


class Attention(nn.Module):
    """SA-GAN self-attention (layers.Attention): theta/phi C -> C/8, g C -> C/2, o C/2 -> C, gamma scalar."""

    def __init__(self, ch: int):
        super().__init__()
        self.ch = ch
        self.theta = SNConv2d(ch, ch // 8, kernel_size=1, padding=0, bias=False)
        self.phi = SNConv2d(ch, ch // 8, kernel_size=1, padding=0, bias=False)
        self.g = SNConv2d(ch, ch // 2, kernel_size=1, padding=0, bias=False)
        self.o = SNConv2d(ch // 2, ch, kernel_size=1, padding=0, bias=False)
        self.gamma = nn.Parameter(torch.tensor(0.0))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        c8, c2 = self.ch // 8, self.ch // 2
        hw = x.shape[2] * x.shape[3]
        theta = self.theta(x).view(-1, c8, hw)
        phi = F.max_pool2d(self.phi(x), [2, 2]).view(-1, c8, hw // 4)
        g = F.max_pool2d(self.g(x), [2, 2]).view(-1, c2, hw // 4)
        beta = F.softmax(torch.bmm(theta.transpose(1, 2), phi), -1)
        o = self.o(torch.bmm(g, beta.transpose(1, 2)).view(-1, c2, x.shape[2], x.shape[3]))
        return self.gamma * o + x


# ---------------------------------------------------------------------------------------------
# generator


def _attention_set(attention) -> set[int]:
    return {int(a) for a in str(attention).split("_") if int(a) > 0}


class Generator(nn.Module):
    def __init__(self, hp: HParams):
        super().__init__()
        if not hp.hier:
            raise ValueError("only hier=True is supported: the Ascend inputs carry one z chunk per block")
        if hp.resolution not in ARCH:
            raise ValueError(f"resolution {hp.resolution} not in {sorted(ARCH)}")
        in_mult, out_mult = ARCH[hp.resolution]
        ch = self.ch = hp.ch
        self.bottom_width = hp.bottom_width
        self.num_blocks = len(in_mult)
        self.num_slots = self.num_blocks + 1
        self.z_chunk_size = hp.dim_z // self.num_slots
        if self.z_chunk_size < 1:
            raise ValueError(f"dim_z {hp.dim_z} gives empty z chunks for {self.num_slots} slots")
        self.dim_z = self.z_chunk_size * self.num_slots
        self.shared_dim = hp.shared_dim
        self.cond_dim = hp.shared_dim + self.z_chunk_size
        attn = _attention_set(hp.attention)

        self.shared = nn.Embedding(hp.n_classes, hp.shared_dim)
        self.linear = SNLinear(self.z_chunk_size, in_mult[0] * ch * hp.bottom_width**2)
        blocks = []
        for i, (mi, mo) in enumerate(zip(in_mult, out_mult, strict=True)):
            block = [GBlock(mi * ch, mo * ch, self.cond_dim)]
            if 8 * 2**i in attn:
                block.append(Attention(mo * ch))
            blocks.append(nn.ModuleList(block))
        self.blocks = nn.ModuleList(blocks)
        self.output_layer = nn.Sequential(BN(out_mult[-1] * ch), nn.ReLU(), SNConv2d(out_mult[-1] * ch, 3))

    def _trunk(self, z0: torch.Tensor, conds) -> torch.Tensor:
        h = self.linear(z0)
        h = h.view(h.size(0), -1, self.bottom_width, self.bottom_width)
        for blocklist, y in zip(self.blocks, conds, strict=True):
            for block in blocklist:
                h = block(h, y)
        return torch.tanh(self.output_layer(h))

    def forward(self, noise: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Ascend layout: ``noise`` N x 1 x chunk, ``label`` N x blocks x (shared_dim + chunk)."""
        z0 = noise.reshape(-1, self.z_chunk_size)
        ys = label.reshape(-1, self.num_blocks, self.cond_dim)
        return self._trunk(z0, [ys[:, i, :] for i in range(self.num_blocks)])

    def forward_zy(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Upstream ``Generator.forward(z, y)``: z N x dim_z, y the shared embedding N x shared_dim."""
        zs = torch.split(z, self.z_chunk_size, 1)
        return self._trunk(zs[0], [torch.cat([y, item], 1) for item in zs[1:]])


def build(**hparams) -> Generator:
    return Generator(HParams(**hparams))


def upstream_forward(model: Generator, z: torch.Tensor, y_embedding: torch.Tensor) -> torch.Tensor:
    """The upstream (z, y) forward with the same modules (y is ``shared(class)``, not the index)."""
    return model.forward_zy(z, y_embedding)


def hparams_from_state_dict(sd: dict) -> dict:
    """ch, dim_z, shared_dim, n_classes, resolution, attention and bottom width from the shapes.

    Raises ``KeyError`` for missing/unexpected keys and ``ValueError`` for inconsistent shapes
    (the full key/shape set is compared with an uninitialized instance).
    """
    n_classes, shared_dim = sd["shared.weight"].shape
    chunk = int(sd["linear.weight"].shape[1])
    n_blocks = 0
    while f"blocks.{n_blocks}.0.conv1.weight" in sd:
        n_blocks += 1
    if n_blocks not in RESOLUTION_OF_BLOCKS:
        raise ValueError(f"{n_blocks} GBlocks found (blocks.N.0.conv1.weight); BigGAN has 3 to 7")
    resolution = RESOLUTION_OF_BLOCKS[n_blocks]
    in_mult, out_mult = ARCH[resolution]
    out_ch = int(sd["output_layer.2.weight"].shape[1])
    ch, rem = divmod(out_ch, out_mult[-1])
    if rem or ch < 1:
        raise ValueError(f"output_layer.2.weight has {out_ch} input channels, not a multiple of {out_mult[-1]}")
    side2, rem = divmod(int(sd["linear.weight"].shape[0]), in_mult[0] * ch)
    bottom_width = math.isqrt(side2)
    if rem or bottom_width * bottom_width != side2:
        raise ValueError(f"linear.weight has {sd['linear.weight'].shape[0]} rows, not {in_mult[0] * ch} * w * w")
    cond_dim = int(sd["blocks.0.0.bn1.gain.weight"].shape[1])
    if cond_dim != shared_dim + chunk:
        raise ValueError(
            f"ccbn input is {cond_dim}-d, not shared_dim {shared_dim} + z chunk {chunk} (hier=True BigGAN)"
        )
    attn = [str(8 * 2**i) for i in range(n_blocks) if f"blocks.{i}.1.gamma" in sd]
    hp = {
        "ch": ch,
        "dim_z": chunk * (n_blocks + 1),
        "shared_dim": int(shared_dim),
        "n_classes": int(n_classes),
        "resolution": resolution,
        "attention": "_".join(attn) or "0",
        "hier": True,
        "bottom_width": bottom_width,
    }
    with uninitialized():
        want = {k: tuple(v.shape) for k, v in build(**hp).state_dict().items()}
    missing = sorted(set(want) - set(sd))
    extra = sorted(set(sd) - set(want))
    if missing or extra:
        raise KeyError(f"state_dict does not match BigGAN {hp}: missing {missing[:4]}, unexpected {extra[:4]}")
    bad = [k for k, shape in want.items() if tuple(sd[k].shape) != shape]
    if bad:
        raise ValueError(f"shape mismatch for {bad[:4]}: e.g. {tuple(sd[bad[0]].shape)} vs {want[bad[0]]}")
    return hp


def demo_init(model: nn.Module) -> None:
    """Upstream ``init_weights`` with G_init 'ortho': orthogonal weights for every Conv2d, Linear
    and Embedding. Biases keep the PyTorch default; ``u0`` keeps its construction-time ``randn``
    draw and ``sv0`` its ones, as an upstream Generator before training."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.Linear | nn.Embedding):
            nn.init.orthogonal_(m.weight)


def finalize(model: nn.Module) -> None:
    """Fold spectral norm: one power-iteration step from the stored ``u0`` per SN layer, weight /= sigma.

    Afterwards the layers run plain conv/linear and no longer carry ``u0``/``sv0``. Idempotent.
    """
    for m in model.modules():
        if isinstance(m, _SpectralNorm):
            m.fold()
