"""The model registry: the single place that knows each model.

Rules and scripts ask this table; none of them mentions a model by name. A model is either
built in (one ``ModelSpec`` entry here plus one network module under ``ganinfer/models/``,
which provides ``build``, ``hparams_from_state_dict``, ``DEMO_HPARAMS`` and ``demo_init``) or
declared in the config under ``onnx_models`` (an ONNX file the user exported; ``declare`` takes
the declarations and ``ganinfer.declared`` builds each spec, checked against its graph).

This module imports nothing heavy: the Snakefile reads it while building the DAG.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TensorSpec:
    """One ONNX input or output: its name and the shape of one sample (no batch axis).

    For a model declared in the config, an input also says how its samples are made
    (preprocess kind ``declared``): ``kind`` normal, onehot or images, and for images the
    ``folder`` (empty: demo photographs) and the value ``range`` (tanh, imagenet or unit)."""

    name: str
    shape: tuple[int, ...]
    kind: str = "normal"
    folder: str = ""
    range: str = ""

    def batch_shape(self, bs: int) -> tuple[int, ...]:
        return (bs, *self.shape)

    def sample_bytes(self) -> int:
        n = 4  # float32
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class AtcSpec:
    """Model-specific ATC options (the common ones are built by the compile stage)."""

    input_format: str | None = "NCHW"
    out_nodes: str | None = None
    keep_dtype: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    guide: str
    network: str  # module under ganinfer.models
    checkpoint_key: str | None  # generator state under ckpt[key]; None = bare state_dict
    inputs: tuple[TensorSpec, ...]
    output: TensorSpec  # default-architecture output shape; the real one comes from the graph
    file_stem: str  # input file stem of generated samples, formatted with the sample index
    preprocess: str  # kind, see ganinfer.preprocess
    postprocess: str  # kind, see ganinfer.images
    accuracy: tuple[str, ...] = ("flat_cosine",)
    quality: str | None = None  # kind, see QUALITY_KINDS
    preprocess_uses_weights: bool = False  # e.g. a class embedding taken from the checkpoint
    checkpoint_parts: tuple[str, ...] = ()  # several files, each a submodule's state (prefix = part name)
    dataset: str = ""  # what a configured dataset folder holds (image preprocess kinds)
    opset: int = 11
    dynamic_batch: bool = True
    graph_fixups: tuple[str, ...] = ()
    atc: AtcSpec = field(default_factory=AtcSpec)
    default_samples: int = 256
    default_batch_sizes: tuple[int, ...] = (1, 4, 16, 64)
    onnx: str = ""  # a declared model's ONNX file (built-in models are exported from their network)

    @property
    def reference(self) -> str:
        """What the accuracy table compares every chip with."""
        return "ONNX Runtime CPU fp32, original graph" if self.onnx else "PyTorch CPU fp32"

    @property
    def input_names(self) -> list[str]:
        return [t.name for t in self.inputs]

    def sample_name(self, index: int) -> str:
        return self.file_stem.format(index)


@dataclass(frozen=True)
class QualitySpec:
    """How a quality kind is measured: the procedure of the guide that reports it."""

    metrics: tuple[str, ...]  # "is" and/or "fid"
    network: str  # ganinfer.inception variant
    weights_key: str  # its weights file: config quality.<weights_key>
    images: str  # generator output -> [0, 1] image: "tanh" = (x + 1) / 2 on the raw float output,
    #              "postprocess" = the 8-bit image of the model's postprocess kind / 255 (what is saved)
    resize: str  # resize to 299 x 299, as written in the tables
    procedure: str  # one line for the README and the JSON records


QUALITY_KINDS: dict[str, QualitySpec] = {
    # BigGAN guide (biggan_eval_acc.py + BigGAN-PyTorch inception_utils.py)
    "is_fid": QualitySpec(
        metrics=("is", "fid"),
        network="torchvision",
        weights_key="inception_weights",
        images="tanh",
        resize="bilinear 299, align_corners=True",
        procedure="BigGAN inception_utils: (x+1)/2, ImageNet mean/std, bilinear 299 (align_corners=True), "
        "torchvision Inception-v3 pool3 (2048) and softmax(fc)",
    ),
    # DG-Net guide (TTUR fid.py on the saved images); pytorch-fid's port of the TF Inception
    "fid": QualitySpec(
        metrics=("fid",),
        network="fid",
        weights_key="fid_inception_weights",
        images="postprocess",
        resize="bilinear 299, align_corners=False",
        procedure="pytorch-fid: 8-bit images / 255, bilinear 299 (align_corners=False), 2x-1, "
        "FID Inception (TF 2015-12-05 port) pool3 (2048)",
    ),
}


def _cyclegan(name: str, direction: str, input_name: str, output_name: str, suffix: str, dataset: str) -> ModelSpec:
    """One direction of the CycleGAN guide (G_A or G_B: same network, own checkpoint and names)."""
    return ModelSpec(
        name=name,
        title=f"CycleGAN {direction} (ResnetGenerator, 9 blocks)",
        guide="ACL_PyTorch/contrib/cv/gan/CycleGAN",
        network="cyclegan",
        checkpoint_key=None,
        inputs=(TensorSpec(input_name, (3, 256, 256)),),
        output=TensorSpec(output_name, (3, 256, 256)),
        file_stem="{:d}_" + suffix,
        preprocess="image_folder",
        postprocess="tanh",
        accuracy=("flat_cosine", "channel_cosine"),
        graph_fixups=("name_output_node",),
        atc=AtcSpec(input_format="NCHW", out_nodes="Tanh_156:0"),
        dataset=dataset,
        default_samples=4,
        default_batch_sizes=(1, 2),
    )


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="dcgan",
            title="DCGAN (PyTorch-GAN, Ascend port)",
            guide="ACL_PyTorch/contrib/cv/gan/DCGAN",
            network="dcgan",
            checkpoint_key="G",
            inputs=(TensorSpec("noise", (100, 1, 1)),),
            output=TensorSpec("image", (1, 32, 32)),
            file_stem="noise_{:04d}",
            preprocess="noise",
            postprocess="minmax",
            default_samples=512,
            default_batch_sizes=(1, 4, 16, 64),
        ),
        ModelSpec(
            name="biggan",
            title="BigGAN 128x128 (BigGAN-PyTorch, G_ema)",
            guide="ACL_PyTorch/contrib/cv/gan/BigGAN",
            network="biggan",
            checkpoint_key=None,
            inputs=(TensorSpec("noise", (1, 20)), TensorSpec("label", (5, 148))),
            output=TensorSpec("image", (3, 128, 128)),
            file_stem="input_{:05d}",
            preprocess="biggan_split",
            preprocess_uses_weights=True,
            postprocess="minmax",
            quality="is_fid",
            graph_fixups=("clip_max",),
            atc=AtcSpec(input_format="ND"),
            default_samples=16,
            default_batch_sizes=(1, 4),
        ),
        _cyclegan(
            "cyclegan_sat2map",
            "G_A, satellite -> map",
            "img_sat_maps",
            "maps",
            "A",
            "maps testA (aerial photos, <n>_A.jpg)",
        ),
        _cyclegan(
            "cyclegan_map2sat", "G_B, map -> satellite", "img_maps_sat", "sat", "B", "maps testB (maps, <n>_B.jpg)"
        ),
        ModelSpec(
            name="dgnet",
            title="DG-Net (AdaIN generator + ResNet-50 appearance encoder)",
            guide="ACL_PyTorch/built-in/cv/DG-Net",
            network="dgnet",
            checkpoint_key="a",
            checkpoint_parts=("gen_a", "id_a"),
            inputs=(TensorSpec("image1", (1, 256, 128)), TensorSpec("image2", (3, 256, 128))),
            output=TensorSpec("output", (3, 256, 128)),
            file_stem="{:03d}",
            preprocess="dgnet_pair",
            postprocess="imagenet",
            quality="fid",
            opset=10,
            dynamic_batch=False,
            atc=AtcSpec(input_format=None, keep_dtype=("OpType::InstanceNorm", "OpType::Pow", "OpType::ReduceMean")),
            dataset="Market-1501 pytorch/train_all (one sub-folder per identity)",
            default_samples=8,
            default_batch_sizes=(1,),
        ),
        ModelSpec(
            name="gan",
            title="Vanilla GAN (PyTorch-GAN MLP)",
            guide="ACL_PyTorch/contrib/cv/gan/GAN",
            network="gan",
            checkpoint_key=None,
            inputs=(TensorSpec("Z", (100,)),),
            output=TensorSpec("generateimg", (1, 28, 28)),
            file_stem="{:d}",
            preprocess="noise",
            postprocess="minmax",
            atc=AtcSpec(input_format="NCHW"),
            default_samples=512,
            default_batch_sizes=(1, 4, 16, 64),
        ),
    )
}


# the config's onnx_models (name -> declaration), and the specs built from them so far
_DECLARED: dict[str, dict] = {}
_BUILT: dict[str, ModelSpec] = {}


def declare(onnx_models: dict | None) -> None:
    """Take the config's ``onnx_models`` declarations (replacing earlier ones); each spec is built,
    and checked against its graph, when first asked for. A built-in name is a one-line error."""
    from ganinfer.errors import CONFIG_HINT, InputError

    clash = sorted(set(onnx_models or {}) & set(MODELS))
    if clash:
        raise InputError(
            f"onnx_models.{clash[0]}: '{clash[0]}' is a built-in model; give the ONNX model another name "
            f"(in onnx_models, models and the per-model keys of {CONFIG_HINT})"
        )
    _DECLARED.clear()
    _BUILT.clear()
    _DECLARED.update(onnx_models or {})


def names() -> list[str]:
    """Every model name: the built-in ones, then the declared ones."""
    return [*MODELS, *_DECLARED]


def declared_names() -> list[str]:
    return list(_DECLARED)


def network_names() -> list[str]:
    """The built-in models (exported from their PyTorch network)."""
    return list(MODELS)


def get(name: str, key: str = "models") -> ModelSpec:
    """The registry entry for ``name``; an unknown name is a one-line error naming the config ``key``."""
    if name in MODELS:
        return MODELS[name]
    if name in _DECLARED:
        if name not in _BUILT:
            from ganinfer.declared import build_spec

            _BUILT[name] = build_spec(name, _DECLARED[name])
        return _BUILT[name]
    import difflib

    from ganinfer.errors import CONFIG_HINT, InputError

    known = names()
    close = difflib.get_close_matches(str(name).lower(), known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise InputError(
        f"unknown model '{name}' under '{key}': known models are {', '.join(sorted(known))} "
        f"({hint}fix '{key}' in {CONFIG_HINT}, or declare it under onnx_models)"
    ) from None


def quality(name: str) -> QualitySpec:
    """The quality procedure of model ``name``; a model without one is a one-line error."""
    spec = get(name)
    if spec.quality is None:
        from ganinfer.errors import InputError

        with_quality = ", ".join(sorted(m for m in names() if get(m).quality))
        raise InputError(f"model '{name}' has no quality metric (IS/FID); models with one: {with_quality}")
    return QUALITY_KINDS[spec.quality]
