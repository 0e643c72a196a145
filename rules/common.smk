import os
import re
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, os.path.join(workflow.basedir, "scripts"))

from ganinfer import registry  # noqa: E402  (after the path insert)
from ganinfer.backends import ORT_CHIPS, backend_of  # noqa: E402
from ganinfer.errors import InputError  # noqa: E402

validate(config, "../config/schema.yaml")


def _check_config():
    """Unknown models or chips stop the workflow with one line naming the fix."""
    try:
        for name in config["models"]:
            registry.get(name)
        for chip in config["chips"]:
            backend_of(chip)
        for name in [
            *config["weights"],
            *config["datasets"],
            *config["demo_architecture"],
        ]:
            registry.get(name)
    except InputError as exc:
        raise WorkflowError(f"config error: {exc}") from None


_check_config()


wildcard_constraints:
    model="|".join(map(re.escape, registry.MODELS)),
    bs=r"\d+",
    chip="|".join(map(re.escape, ORT_CHIPS)),


# ---- configuration lookups -------------------------------------------------


def spec(wildcards):
    return registry.get(wildcards.model)


def batch_sizes(model):
    """A list for every model, or a mapping per model with an optional default;
    models not covered use their registry default."""
    sizes = config.get("batch_sizes")
    if isinstance(sizes, list):
        return sizes
    sizes = sizes or {}
    return sizes.get(
        model, sizes.get("default", list(registry.get(model).default_batch_sizes))
    )


def sample_count(model):
    samples = config["samples"]
    if isinstance(samples, int):
        return samples
    return samples.get(model, registry.get(model).default_samples)


def configured_weights(wildcards):
    """The user's checkpoint file(s) as inputs when they exist; a missing one is reported by the script."""
    path = weights_path(wildcards)
    paths = list(path.values()) if isinstance(path, dict) else [path]
    return [p for p in paths if p and os.path.exists(p)]


def weights_path(wildcards):
    return config["weights"].get(wildcards.model, {}).get("path", "")


def weights_sha256(wildcards):
    return config["weights"].get(wildcards.model, {}).get("sha256", "")


def demo_architecture(wildcards):
    return config["demo_architecture"].get(wildcards.model, {})


def samples_param(wildcards):
    return sample_count(wildcards.model)


def dataset_param(wildcards):
    return config["datasets"].get(wildcards.model, "")


def simplify_input(wildcards):
    """The dynamic-batch export, or for fixed-batch models the export at this batch size."""
    if spec(wildcards).dynamic_batch:
        return {"onnx": f"results/{wildcards.model}/onnx/{wildcards.model}.onnx"}
    return {
        "onnx": f"results/{wildcards.model}/export/{wildcards.model}_bs{wildcards.bs}.onnx"
    }


def preprocess_input(wildcards):
    if spec(wildcards).preprocess_uses_weights:
        return {"weights": f"resources/weights/{wildcards.model}.pth"}
    return {}


def perf_threads():
    """The perf job claims every scheduler slot so that nothing runs beside it."""
    return max(1, workflow.cores)


# ---- targets ------------------------------------------------------------------


def combos():
    for model in config["models"]:
        for chip in config["chips"]:
            for bs in batch_sizes(model):
                yield model, chip, bs


def perf_files(wildcards=None):
    return [f"results/{m}/perf/{c}/bs{b}.json" for m, c, b in combos()]


def accuracy_files(wildcards=None):
    return [f"results/{m}/accuracy/{c}/bs{b}.json" for m, c, b in combos()]


def grid_files(wildcards=None):
    return [f"results/{m}/images/{c}/bs{b}_grid.png" for m, c, b in combos()]


def weights_info_files(wildcards=None):
    return [f"resources/weights/{m}.json" for m in config["models"]]
