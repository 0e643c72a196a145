"""The logic of the rules' input functions: each takes the validated config and the job's wildcards and
returns the paths the job reads (rules/common.smk binds the config: ``get_<name>``)."""

from __future__ import annotations

import os

from snakemake.exceptions import WorkflowError

from ganinfer import backends, registry
from ganinfer.workflow import settings
from ganinfer.workflow.tracking import track, track_declaration


def configured_weights(config: dict, w) -> list[str]:
    """The user's checkpoint file(s) (checked to exist while the DAG is built) and their listing (size,
    mtime), which changes when a file is replaced in place."""
    paths = list(settings.weights_files(config, w.model).values())
    return [*paths, track(f"{w.model}_weights", paths)] if paths else []


def simplify_input(config: dict, w) -> dict:
    """The dynamic-batch export, or for fixed-batch models the export at this batch size."""
    if registry.get(w.model).dynamic_batch:
        return {"onnx": f"results/{w.model}/onnx/{w.model}.onnx"}
    return {"onnx": f"results/{w.model}/export/{w.model}_bs{w.bs}.onnx"}


def declared_onnx(config: dict, w) -> dict:
    """A declared model's ONNX file, its listing (size, mtime: changes when it is replaced) and its declaration
    as a file (rewritten only when the entry changes): the jobs downstream rerun when either changes."""
    path = registry.get(w.model).onnx
    return {
        "onnx": path,
        "listing": track(f"{w.model}_onnx", [path]),
        "declaration": track_declaration(w.model, config["onnx_models"][w.model]),
    }


def preprocess_input(config: dict, w) -> dict:
    """The checkpoint for kinds that read it, the listing of the configured image folders (names, sizes,
    mtimes: rewritten only when the folders' images change), a declared model's declaration."""
    spec, inputs = registry.get(w.model), {}
    if spec.preprocess_uses_weights:
        inputs["weights"] = f"resources/weights/{w.model}.pth"
    folders = list(settings.dataset_folders(config, w.model).values())
    if folders:
        inputs["listing"] = track(f"{w.model}_dataset", folders)
    if spec.onnx:
        inputs["declaration"] = track_declaration(w.model, config["onnx_models"][w.model])
    return inputs


def macs_input(config: dict, w) -> str:
    """MACs per image are counted on the simplified graph of the model's first batch size."""
    bs = settings.batch_sizes(config, w.model)[0]
    return f"results/{w.model}/onnx/{w.model}_bs{bs}.onnx"


def search_onnx(config: dict, w) -> str:
    """The keep-list search runs on the simplified graph of the model's smallest batch size."""
    return f"results/{w.model}/onnx/{w.model}_bs{settings.smallest_bs(config, w.model)}.onnx"


def session_options(config: dict, w) -> dict:
    return backends.session_options(w.chip, config, w.get("model", "gemm"))


def session_inputs(config: dict, w) -> dict:
    """The keep-list search's file, for a session that reads it (cpu-fp16 with ascend.keep_dtype: auto)."""
    path = session_options(config, w).get("keep_dtype_file")
    return {"keep_dtype": path} if path else {}


def quality_inputs(config: dict, w) -> dict:
    """The source's outputs (pth: the PyTorch reference; <chip>_bs<n>: that chip's), plus the configured
    weights and reference files that exist (the script reports a missing configured one)."""
    if w.source == "pth":
        inputs = {"outputs": f"results/{w.model}/reference"}
    else:
        chip, bs = w.source.rsplit("_bs", 1)
        inputs = {"outputs": f"results/{w.model}/outputs/{chip}/bs{bs}"}
    for key, path in (
        ("inception_weights", settings.quality_weights(config, w.model)),
        ("reference_stats", settings.quality_reference(config, w.model)),
    ):
        if path and (path.startswith("resources/quality/") or os.path.exists(path)):
            inputs[key] = path
    return inputs


def quality_stats_inputs(config: dict, w) -> dict:
    """The reference image folder, its listing and the Inception weights when present."""
    folder = settings.quality_reference_path(config, w.model)
    inputs = {"images": folder, "listing": track(f"{w.model}_reference", [folder])}
    weights = settings.quality_weights(config, w.model)
    if os.path.exists(weights):
        inputs["inception_weights"] = weights
    return inputs


def baseline(config: dict, w) -> str:
    """The baseline perf.csv (config ``baseline``); without one the comparison has nothing to rate."""
    if not config["baseline"]:
        raise WorkflowError(
            "config error: baseline: results/tables/compare.csv rates this run against another run's perf.csv; "
            "give it with --config baseline=<path to that perf.csv>"
        )
    return config["baseline"]
