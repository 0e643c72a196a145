"""DG-Net (NVlabs/DG-Net, configs/latest.yaml) as one inference graph, following the
Ascend ModelZoo port (ACL_PyTorch/built-in/cv/DG-Net, ``DGNet_test``):

    output = gen_a.decode(gen_a.encode(image1), id_a(image2)[0])

``image1`` is the N x 1 x 256 x 128 grey structure image, ``image2`` the N x 3 x 256 x 128
ImageNet-normalised appearance image; the output is N x 3 x 256 x 128 in ImageNet-normalised
space (the decoder ends in a 1x1 conv, no tanh).

Two children, so the keys are ``gen_a.<AdaINGen key>`` (134 keys, from gen_*.pt['a']) and
``id_a.<ft_netAB key>`` (338 keys, from id_*.pt['a']):

- ``gen_a`` (networks.py AdaINGen): ``enc_content.model`` (Conv2dBlocks, ResBlocks with
  InstanceNorm, ASPP), ``dec.model`` (Dropout, ResBlocks with AdaIN, Upsample + 5x5 conv with the
  custom LayerNorm, three final convs), ``mlp_w1..4`` / ``mlp_b1..4`` producing the AdaIN
  scale/shift from four slices of the appearance code.
- ``id_a`` (reIDmodel.py ft_netAB): a torchvision-named ResNet-50 under ``model`` (layer4 first
  block at stride 1, part pooling AdaptiveMaxPool2d((4, 1))) and two ClassBlocks; ``model.fc`` and
  the ClassBlocks exist for strict loading only and do not reach the output.

Rewrites for export, numerically equivalent to upstream:

- Reflection padding is built from Slice (+ reversed Slice for pads > 1) and Concat, so the ONNX
  graph has no ``Pad(mode=reflect)`` (ATC does not take it; ORT would, but one graph serves both).
- AdaIN is explicit per-(sample, channel) mean / biased variance / eps 1e-5 maths with
  ReduceMean/Sub/Pow/Sqrt/Div/Mul/Add, the formula ``F.batch_norm(training=True)`` applies on the
  upstream 1 x (N*C) x H x W reshape, instead of a training-mode BatchNormalization node.
- The decoder LayerNorm keeps the upstream **unbiased** std (the Ascend patch switched to the
  biased one); it is written out with a constant n - 1 so no shape arithmetic reaches the graph.
- AdaIN parameters are passed through ``forward`` instead of being assigned to module attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class HParams:
    """The network's hyper-parameters; the defaults are configs/latest.yaml's, the released model's (the demo
    weights')."""

    input_dim_a: int = 1
    dim: int = 16
    n_downsample: int = 2
    n_res: int = 4
    mlp_dim: int = 512
    id_dim: int = 2048  # 32 * width: the ResNet-50's output channels
    ID_class: int = 751
    width: int = 64  # the ResNet-50's stem width (torchvision's; not in the config)
    id_stride: int = 1  # ID_stride


RESNET50_BLOCKS = (3, 4, 6, 3)
N_ID_PARTS = 4  # ft_netAB part pooling (4, 1); AdaINGen feeds one slice to each mlp_wK / mlp_bK
BOTTLENECK = 512  # ClassBlock num_bottleneck
OUTPUT_CHANNELS = 3
LRELU_SLOPE = 0.2


# --------------------------------------------------------------------------------------------
# Generator building blocks (networks.py)
# --------------------------------------------------------------------------------------------


def _slice(x: torch.Tensor, dim: int, start: int, stop: int) -> torch.Tensor:
    index = [slice(None)] * x.dim()
    index[dim] = slice(start, stop)
    return x[tuple(index)]


def reflect_pad_dim(x: torch.Tensor, pad: int, dim: int) -> torch.Tensor:
    """Reflection padding of one dimension from slices (negative indices keep it shape-free)."""
    if pad == 0:
        return x
    if not torch.jit.is_tracing() and pad >= x.shape[dim]:
        raise ValueError(f"reflection pad {pad} needs more than {x.shape[dim]} samples along dim {dim}")
    head = _slice(x, dim, 1, pad + 1)  # samples 1..pad, mirrored below
    tail = _slice(x, dim, -pad - 1, -1)  # samples n-1-pad..n-2
    if pad > 1:
        head = head.flip(dim)
        tail = tail.flip(dim)
    return torch.cat([head, x, tail], dim)


class ReflectPad2d(nn.Module):
    """Same result as ``nn.ReflectionPad2d(padding)`` for an int padding; no parameters."""

    def __init__(self, padding: int):
        super().__init__()
        self.padding = int(padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return reflect_pad_dim(reflect_pad_dim(x, self.padding, 2), self.padding, 3)

    def extra_repr(self) -> str:
        return str(self.padding)


class AdaptiveInstanceNorm2d(nn.Module):
    """AdaIN with per-sample scale/shift passed in; the running stats are upstream's unused buffers."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(2, 3), keepdim=True)
        centred = x - mean
        var = centred.pow(2).mean(dim=(2, 3), keepdim=True)  # biased, as batch_norm's batch statistics
        normed = centred / torch.sqrt(var + self.eps)
        return normed * weight[:, :, None, None] + bias[:, :, None, None]

    def extra_repr(self) -> str:
        return str(self.num_features)


class LayerNorm(nn.Module):
    """DG-Net/MUNIT LayerNorm: per-sample mean and unbiased std over C x H x W, (x - m) / (s + eps)."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.gamma = nn.Parameter(torch.empty(num_features).uniform_())
        self.beta = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(1, x.dim()))
        count = 1
        for size in x.shape[1:]:
            count = count * size  # a Python int; under tracing it folds to a constant at fixed shapes
        mean = x.mean(dim=dims, keepdim=True)
        centred = x - mean
        std = torch.sqrt(centred.pow(2).sum(dim=dims, keepdim=True) / (count - 1))
        out = centred / (std + self.eps)
        shape = [1, -1] + [1] * (x.dim() - 2)
        return out * self.gamma.view(shape) + self.beta.view(shape)


class Conv2dBlock(nn.Module):
    """pad (reflect) -> conv (bias) -> norm -> activation; keys ``conv.*`` and ``norm.*``."""

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel: int,
        stride: int,
        padding: int = 0,
        norm: str = "none",
        activation: str = "lrelu",
        dilation: int = 1,
    ):
        super().__init__()
        self.pad = ReflectPad2d(padding)
        if norm == "in":
            self.norm = nn.InstanceNorm2d(out_dim)
        elif norm == "ln":
            self.norm = LayerNorm(out_dim)
        elif norm == "adain":
            self.norm = AdaptiveInstanceNorm2d(out_dim)
        elif norm == "none":
            self.norm = None
        else:
            raise ValueError(f"unsupported norm {norm!r}")
        if activation == "lrelu":
            self.activation = nn.LeakyReLU(LRELU_SLOPE)
        elif activation == "none":
            self.activation = None
        else:
            raise ValueError(f"unsupported activation {activation!r}")
        self.conv = nn.Conv2d(in_dim, out_dim, kernel, stride, dilation=dilation, bias=True)

    def forward(self, x: torch.Tensor, style: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        x = self.conv(self.pad(x))
        if isinstance(self.norm, AdaptiveInstanceNorm2d):
            if style is None:
                raise ValueError("an AdaIN block needs its (weight, bias)")
            x = self.norm(x, *style)
        elif self.norm is not None:
            x = self.norm(x)
        if self.activation is not None:
            x = self.activation(x)
        return x


class ResBlock(nn.Module):
    """'basic' residual block: two 3x3 Conv2dBlocks (activation, then none) plus identity."""

    def __init__(self, dim: int, norm: str):
        super().__init__()
        self.model = nn.Sequential(
            Conv2dBlock(dim, dim, 3, 1, 1, norm=norm, activation="lrelu"),
            Conv2dBlock(dim, dim, 3, 1, 1, norm=norm, activation="none"),
        )

    def forward(self, x: torch.Tensor, styles: list | None = None) -> torch.Tensor:
        out = x
        for i, block in enumerate(self.model):
            out = block(out, styles[i] if styles is not None else None)
        return out + x


class ResBlocks(nn.Module):
    def __init__(self, n_blocks: int, dim: int, norm: str):
        super().__init__()
        self.model = nn.Sequential(*[ResBlock(dim, norm) for _ in range(n_blocks)])

    def forward(self, x: torch.Tensor, styles: list | None = None) -> torch.Tensor:
        for i, block in enumerate(self.model):
            x = block(x, styles[2 * i : 2 * i + 2] if styles is not None else None)
        return x


class ASPP(nn.Module):
    """1x1 branch plus three 1x1 -> dilated 3x3 branches (dilation 3/6/9), concat, 1x1 fuse to 2*dim."""

    def __init__(self, dim: int):
        super().__init__()
        half = dim // 2
        self.conv1 = Conv2dBlock(dim, half, 1, 1, 0, norm="in", activation="none")
        for name, rate in (("conv6", 3), ("conv12", 6), ("conv18", 9)):
            branch = nn.Sequential(
                Conv2dBlock(dim, half, 1, 1, 0, norm="in", activation="lrelu"),
                Conv2dBlock(half, half, 3, 1, rate, norm="in", activation="none", dilation=rate),
            )
            setattr(self, name, branch)
        self.fuse = Conv2dBlock(4 * half, 2 * dim, 1, 1, 0, norm="in", activation="none")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.conv1(x), self.conv6(x), self.conv12(x), self.conv18(x)]
        return self.fuse(torch.cat(branches, dim=1))


class ContentEncoder(nn.Module):
    def __init__(self, n_downsample: int, n_res: int, input_dim: int, dim: int):
        super().__init__()
        layers: list[nn.Module] = [
            Conv2dBlock(input_dim, dim, 3, 2, 1, norm="in"),
            Conv2dBlock(dim, 2 * dim, 3, 1, 1, norm="in"),
        ]
        dim *= 2
        for _ in range(n_downsample - 1):
            layers.append(Conv2dBlock(dim, dim, 3, 1, 1, norm="in"))
            layers.append(Conv2dBlock(dim, 2 * dim, 3, 2, 1, norm="in"))
            dim *= 2
        layers.append(ResBlocks(n_res, dim, norm="in"))
        layers.append(ASPP(dim))
        self.model = nn.Sequential(*layers)
        self.output_dim = 2 * dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class Decoder(nn.Module):
    def __init__(self, n_upsample: int, n_res: int, dim: int, output_dim: int):
        super().__init__()
        layers: list[nn.Module] = [nn.Dropout(p=0.0), ResBlocks(n_res, dim, norm="adain")]
        for _ in range(n_upsample):
            layers.append(nn.Upsample(scale_factor=2))
            layers.append(Conv2dBlock(dim, dim // 2, 5, 1, 2, norm="ln"))
            dim //= 2
        layers.append(Conv2dBlock(dim, dim, 3, 1, 1))
        layers.append(Conv2dBlock(dim, dim, 3, 1, 1))
        layers.append(Conv2dBlock(dim, output_dim, 1, 1, 0, activation="none"))
        self.model = nn.Sequential(*layers)
        self.n_adain = 2 * n_res

    def forward(self, x: torch.Tensor, styles: list) -> torch.Tensor:
        for layer in self.model:
            x = layer(x, styles) if isinstance(layer, ResBlocks) else layer(x)
        return x


class LinearBlock(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, activation: str = "lrelu"):
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim, bias=True)
        self.activation = nn.LeakyReLU(LRELU_SLOPE) if activation == "lrelu" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fc(x)
        return self.activation(x) if self.activation is not None else x


class MLP(nn.Module):
    """in -> dim (lrelu) -> dim (lrelu) -> out (linear); mlp_norm none, so no norm keys."""

    def __init__(self, in_dim: int, out_dim: int, dim: int, n_blocks: int = 3):
        super().__init__()
        layers = [LinearBlock(in_dim, dim)]
        layers += [LinearBlock(dim, dim) for _ in range(n_blocks - 2)]
        layers.append(LinearBlock(dim, out_dim, activation="none"))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.flatten(1))


class AdaINGen(nn.Module):
    """Content encoder + AdaIN decoder + the eight AdaIN parameter MLPs (``gen_a``)."""

    def __init__(self, hp: HParams):
        super().__init__()
        self.enc_content = ContentEncoder(hp.n_downsample, hp.n_res, hp.input_dim_a, hp.dim)
        self.output_dim = self.enc_content.output_dim
        self.id_dim = hp.id_dim
        self.dec = Decoder(hp.n_downsample, hp.n_res, self.output_dim, OUTPUT_CHANNELS)
        for kind in ("w", "b"):
            for k in range(1, N_ID_PARTS + 1):
                setattr(self, f"mlp_{kind}{k}", MLP(hp.id_dim, 2 * self.output_dim, hp.mlp_dim, 3))

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.enc_content(images)

    def adain_params(self, id_code: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(scale, shift) per AdaIN layer in module order, as upstream assign_adain_params."""
        d = self.id_dim
        parts = [id_code[:, k * d : (k + 1) * d] for k in range(N_ID_PARTS - 1)]
        parts.append(id_code[:, (N_ID_PARTS - 1) * d :])
        w = torch.cat([getattr(self, f"mlp_w{k + 1}")(p) for k, p in enumerate(parts)], dim=1)
        b = torch.cat([getattr(self, f"mlp_b{k + 1}")(p) for k, p in enumerate(parts)], dim=1)
        c = self.output_dim
        n_slices = 2 * N_ID_PARTS  # each MLP emits 2 * output_dim values
        styles = []
        for i in range(self.dec.n_adain):
            j = min(i, n_slices - 1)  # upstream stops popping once one slice is left
            styles.append((w[:, j * c : (j + 1) * c], b[:, j * c : (j + 1) * c]))
        return styles

    def decode(self, content: torch.Tensor, id_code: torch.Tensor) -> torch.Tensor:
        return self.dec(content, self.adain_params(id_code))


# --------------------------------------------------------------------------------------------
# Appearance encoder (reIDmodel.py ft_netAB over torchvision's ResNet-50 naming)
# --------------------------------------------------------------------------------------------


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet50(nn.Module):
    """torchvision resnet50 layout (v1.5, stride on the 3x3 conv); ``width`` 64 is the real model."""

    def __init__(self, width: int, num_classes: int = 1000, blocks: tuple[int, ...] = RESNET50_BLOCKS):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = width
        for i, n in enumerate(blocks):
            planes = width * 2**i
            stride = 1 if i == 0 else 2
            downsample = None
            if stride != 1 or inplanes != planes * Bottleneck.expansion:
                downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes * Bottleneck.expansion, 1, stride=stride, bias=False),
                    nn.BatchNorm2d(planes * Bottleneck.expansion),
                )
            layer = [Bottleneck(inplanes, planes, stride, downsample)]
            inplanes = planes * Bottleneck.expansion
            layer += [Bottleneck(inplanes, planes) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(inplanes, num_classes)
        self.out_channels = inplanes

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(self.trunk(x)), 1))


class ClassBlock(nn.Module):
    """Linear -> BatchNorm1d -> Dropout, then Linear to the ID classes."""

    def __init__(self, in_dim: int, class_num: int, droprate: float, num_bottleneck: int = BOTTLENECK):
        super().__init__()
        self.add_block = nn.Sequential(
            nn.Linear(in_dim, num_bottleneck), nn.BatchNorm1d(num_bottleneck), nn.Dropout(p=droprate)
        )
        self.classifier = nn.Sequential(nn.Linear(num_bottleneck, class_num))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.add_block(x))


class FtNetAB(nn.Module):
    """ft_netAB with pool 'max' (``id_a``): ResNet-50 trunk, 4-part max pooling, two ClassBlocks."""

    def __init__(self, class_num: int, width: int, stride: int):
        super().__init__()
        self.part = N_ID_PARTS
        model = ResNet50(width)
        model.partpool = nn.AdaptiveMaxPool2d((self.part, 1))
        model.avgpool = nn.AdaptiveMaxPool2d((1, 1))
        if stride == 1:
            model.layer4[0].conv2.stride = (1, 1)
            model.layer4[0].downsample[0].stride = (1, 1)
        self.model = model
        self.classifier1 = ClassBlock(model.out_channels, class_num, 0.5)
        self.classifier2 = ClassBlock(model.out_channels, class_num, 0.75)

    def appearance(self, x: torch.Tensor) -> torch.Tensor:
        """N x (C*4) part features, channel-major (index c*4 + part), as upstream f.view."""
        return torch.flatten(self.model.partpool(self.model.trunk(x)), 1)

    def forward(self, x: torch.Tensor):
        feat = self.model.trunk(x)
        f = torch.flatten(self.model.partpool(feat), 1)
        pooled = torch.flatten(self.model.avgpool(feat), 1)
        return f, [self.classifier1(pooled), self.classifier2(pooled)]


class DGNet(nn.Module):
    """The exported graph: decode(encode(image1), id_a(image2)[0])."""

    def __init__(self, hp: HParams):
        super().__init__()
        if hp.id_dim != 32 * hp.width:
            raise ValueError(f"id_dim {hp.id_dim} must equal the ResNet-50 output width {32 * hp.width}")
        self.gen_a = AdaINGen(hp)
        self.id_a = FtNetAB(hp.ID_class, hp.width, hp.id_stride)

    def forward(self, image1: torch.Tensor, image2: torch.Tensor) -> torch.Tensor:
        content = self.gen_a.encode(image1)
        return self.gen_a.decode(content, self.id_a.appearance(image2))


def build(**hparams) -> DGNet:
    return DGNet(HParams(**hparams))


# --------------------------------------------------------------------------------------------
# Shapes -> hyperparameters, demo initialisation
# --------------------------------------------------------------------------------------------


def _count(sd: dict, pattern: str) -> int:
    n = 0
    while pattern.format(n) in sd:
        n += 1
    return n


def hparams_from_state_dict(sd: dict) -> dict:
    """Sizes from the merged ``gen_a.*`` / ``id_a.*`` tensors; KeyError/ValueError if not DG-Net."""
    first = sd["gen_a.enc_content.model.0.conv.weight"]
    dim, input_dim_a = int(first.shape[0]), int(first.shape[1])
    n_plain = _count(sd, "gen_a.enc_content.model.{}.conv.weight")
    if n_plain < 2 or n_plain % 2:
        raise ValueError(f"content encoder has {n_plain} plain conv blocks, expected an even number >= 2")
    n_downsample = n_plain // 2
    n_res = _count(sd, f"gen_a.enc_content.model.{n_plain}.model.{{}}.model.0.conv.weight")
    if n_res < 1:
        raise KeyError(f"gen_a.enc_content.model.{n_plain}.model.0.model.0.conv.weight")
    output_dim = int(sd[f"gen_a.enc_content.model.{n_plain + 1}.fuse.conv.weight"].shape[0])
    if output_dim != dim * 2 ** (n_downsample + 1):
        raise ValueError(f"content code has {output_dim} channels, expected {dim * 2 ** (n_downsample + 1)}")
    mlp0 = sd["gen_a.mlp_w1.model.0.fc.weight"]
    mlp_dim, id_dim = int(mlp0.shape[0]), int(mlp0.shape[1])
    if int(sd["gen_a.mlp_b4.model.2.fc.weight"].shape[0]) != 2 * output_dim:
        raise ValueError("AdaIN MLP output does not match the content code width")
    if _count(sd, "gen_a.dec.model.1.model.{}.model.0.norm.running_mean") != n_res:
        raise ValueError("decoder AdaIN residual blocks do not match the encoder's")
    width = int(sd["id_a.model.conv1.weight"].shape[0])
    if tuple(sd["id_a.model.conv1.weight"].shape[1:]) != (3, 7, 7):
        raise ValueError("id_a.model.conv1 is not a ResNet 7x7 RGB stem")
    blocks = tuple(_count(sd, f"id_a.model.layer{i}.{{}}.conv1.weight") for i in range(1, 5))
    if blocks != RESNET50_BLOCKS:
        raise ValueError(f"id_a.model has {blocks} bottlenecks per stage, ResNet-50 has {RESNET50_BLOCKS}")
    if id_dim != 32 * width or int(sd["id_a.classifier1.add_block.0.weight"].shape[1]) != id_dim:
        raise ValueError(f"appearance code width {32 * width} does not match the MLP input {id_dim}")
    return {
        "input_dim_a": input_dim_a,
        "dim": dim,
        "n_downsample": n_downsample,
        "n_res": n_res,
        "mlp_dim": mlp_dim,
        "id_dim": id_dim,
        "ID_class": int(sd["id_a.classifier1.classifier.0.weight"].shape[0]),
        "width": width,
        "id_stride": 1,  # configs/latest.yaml ID_stride; a stride changes no shape
    }


@torch.no_grad()
def demo_init(model: DGNet, calibrate: bool = True) -> None:
    """Upstream initialisation, then BatchNorm running stats measured on seeded noise.

    gen_a: weights_init('kaiming') (conv / linear kaiming_normal fan_in, bias 0), LayerNorm gamma
    U(0, 1), beta 0. id_a: torchvision's ResNet-50 init (conv kaiming_normal fan_out relu, BN 1/0,
    fc default), ClassBlock Linear kaiming fan_out / classifier N(0, 0.001), biases 0. Identity
    running stats make an untrained ResNet's activations grow block by block, so with ``calibrate``
    one train-mode pass over noise images sets them to batch statistics (cumulative average).
    """
    for m in model.gen_a.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            nn.init.kaiming_normal_(m.weight, a=0, mode="fan_in")
            nn.init.zeros_(m.bias)
        elif isinstance(m, LayerNorm):
            nn.init.uniform_(m.gamma)
            nn.init.zeros_(m.beta)
        elif isinstance(m, AdaptiveInstanceNorm2d):
            m.running_mean.zero_()
            m.running_var.fill_(1.0)
    resnet = model.id_a.model
    for m in resnet.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
            m.reset_running_stats()
    resnet.fc.reset_parameters()
    for block in (model.id_a.classifier1, model.id_a.classifier2):
        nn.init.kaiming_normal_(block.add_block[0].weight, a=0, mode="fan_out")
        nn.init.zeros_(block.add_block[0].bias)
        nn.init.ones_(block.add_block[1].weight)
        nn.init.zeros_(block.add_block[1].bias)
        block.add_block[1].reset_running_stats()
        nn.init.normal_(block.classifier[0].weight, std=0.001)
        nn.init.zeros_(block.classifier[0].bias)
    if calibrate:
        _calibrate_batchnorm(model.id_a)


def _calibrate_batchnorm(id_net: FtNetAB, batch: int = 2, size: tuple[int, int] = (256, 128)) -> None:
    norms = [m for m in id_net.modules() if isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d)]
    saved = [(m, m.momentum) for m in norms]
    was_training = id_net.training
    try:
        for m in norms:
            m.momentum = None  # cumulative average: one pass stores the batch statistics
        id_net.train()
        id_net(torch.randn(batch, 3, *size))
    finally:
        for m, momentum in saved:
            m.momentum = momentum
        id_net.train(was_training)
