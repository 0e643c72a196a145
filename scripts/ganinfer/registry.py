"""The model registry: the single place that knows each model.

Rules and scripts ask this table; none of them mentions a model by name. A model is either
built in (one ``ModelSpec`` entry here plus one network module under ``ganinfer/models/``, the
``NetworkModule`` protocol of ``ganinfer.networks``) or declared in the config under ``onnx_models``
(an ONNX file the user exported; ``declare`` takes the declarations with the function that builds a
spec from one, ``ganinfer.declared.build_spec``, given by the caller so that this module imports no
stage code).

This module imports nothing heavy: the Snakefile reads it while building the DAG.
"""

from __future__ import annotations

from collections.abc import Callable

from ganinfer.errors import CONFIG_HINT, InputError
from ganinfer.spec import AtcSpec, ModelSpec, QualitySpec, TensorSpec

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


# the config's onnx_models (name -> declaration), the function that builds a spec from one, and the
# specs built from them so far
_DECLARED: dict[str, dict] = {}
_BUILD: list[Callable[[str, dict], ModelSpec]] = []
_BUILT: dict[str, ModelSpec] = {}


def declare(onnx_models: dict | None, build: Callable[[str, dict], ModelSpec] | None = None) -> None:
    """Take the config's ``onnx_models`` declarations (replacing earlier ones) and ``build(name,
    declaration)``, which makes and checks each spec when it is first asked for. A built-in name is a
    one-line error."""
    clash = sorted(set(onnx_models or {}) & set(MODELS))
    if clash:
        raise InputError(
            f"onnx_models.{clash[0]}: '{clash[0]}' is a built-in model; give the ONNX model another name "
            f"(in onnx_models, models and the per-model keys of {CONFIG_HINT})"
        )
    if onnx_models and build is None:
        raise TypeError("declare() needs the spec builder for declared models")
    _DECLARED.clear()
    _BUILT.clear()
    _BUILD[:] = [build] if build else []
    _DECLARED.update(onnx_models or {})


def names() -> list[str]:
    """Every model name: the built-in ones, then the declared ones."""
    return [*MODELS, *_DECLARED]


def declared_names() -> list[str]:
    return list(_DECLARED)


def network_names() -> list[str]:
    """The built-in models (exported from their PyTorch network)."""
    return list(MODELS)


def networks() -> list[str]:
    """The network modules of the built-in models (``ModelSpec.network``), each once."""
    return sorted({spec.network for spec in MODELS.values()})


def get(name: str, key: str = "models") -> ModelSpec:
    """The registry entry for ``name``; an unknown name is a one-line error naming the config ``key``."""
    if name in MODELS:
        return MODELS[name]
    if name in _DECLARED:
        if name not in _BUILT:
            _BUILT[name] = _BUILD[0](name, _DECLARED[name])
        return _BUILT[name]
    import difflib

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
        with_quality = ", ".join(sorted(m for m in names() if get(m).quality))
        raise InputError(f"model '{name}' has no quality metric (IS/FID); models with one: {with_quality}")
    return QUALITY_KINDS[spec.quality]
