"""Config checks run while the DAG is built, before any job starts, and the lookups the rules
make in the validated config.

- ``coerce``: ``--config`` values nested in a mapping or list arrive as strings (Snakemake
  reads them with YAML's BaseLoader); they are read again with the safe loader, so
  ``--config 'perf={min_iterations: 5}'`` gives an integer.
- ``schema_error``: the first schema violation as one line naming the key and the accepted form.
- ``setting``: a key's schema (type, default, description), for the scripts' options run by hand.
- ``check_names``, ``check_demo_architecture``, ``check_paths``: model names under every
  per-model key, demo network keys and value types, and the configured files and folders.

Everything here is cheap: no torch, no image decoding (the DAG is built on every call).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import yaml

from ganinfer import registry
from ganinfer.errors import CONFIG_HINT, InputError
from ganinfer.samples import available, count

# string values that must stay strings even when they look like numbers
_KEEP = {
    "path",
    "baseline",
    "sha256",
    "onnx",
    "folder",
    "title",
    "out_nodes",
    "set_env",
    "weights",
    "datasets",
    "reference",
    "inception_weights",
    "fid_inception_weights",
}
MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def coerce(value, key: str = ""):
    """String leaves of ``--config`` values read as YAML scalars (``'5'`` -> 5, ``'true'`` -> True)."""
    if isinstance(value, dict):
        return {k: (v if k in _KEEP else coerce(v, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [coerce(v, key) for v in value]
    if isinstance(value, str) and key not in _KEEP:
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            return value
        if isinstance(parsed, (int, float, bool, dict, list)) or parsed is None and value in ("null", "~"):
            return parsed
    return value


def _example(schema: dict, path: list) -> str:
    prop = schema.get("properties", {}).get(str(path[0]), {}) if path else {}
    examples = prop.get("examples")
    return f"; accepted forms: {' or '.join(examples)}" if examples else ""


def schema_error(config: dict, schema_path: str | os.PathLike) -> str | None:
    """The first schema violation of ``config`` as one line, or None."""
    import jsonschema

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return None
    path = list(error.absolute_path)
    key = ".".join(map(str, path)) or "(top level)"
    if error.validator == "additionalProperties" and not path:
        key = "unknown key"
    return f"{key}: {error.message} (fix it in {CONFIG_HINT}{_example(schema, path)})"


def check_yaml(path: str | os.PathLike) -> None:
    """A config file's YAML syntax, before Snakemake reads it (its own message names neither file nor line):
    a mistake stops the workflow with one line giving the file, line and column."""
    from snakemake.exceptions import WorkflowError

    try:
        with open(path, encoding="utf-8") as f:
            yaml.safe_load(f)
    except OSError:
        return  # Snakemake reports a missing file itself
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise WorkflowError(f"config error: {path}: {where}{problem}; fix the YAML syntax there") from None


def check_names(config: dict) -> None:
    """Every model name under a per-model key is known (``default`` is allowed under batch_sizes)."""
    for name in config["models"]:
        registry.get(name, "models")
    for key in ("samples", "batch_sizes", "weights", "datasets", "demo_architecture"):
        value = config.get(key)
        if isinstance(value, dict):
            for name in value:
                if not (key == "batch_sizes" and name == "default"):
                    registry.get(name, key)
                if key in ("weights", "demo_architecture") and name in registry.declared_names():
                    raise InputError(
                        f"{key}.{name}: '{name}' is declared under onnx_models, whose weights are its ONNX file; "
                        f"remove {key}.{name} (in {CONFIG_HINT})"
                    )
    for name in config["quality"]["reference"]:
        registry.get(name, "quality.reference")
        registry.quality(name)


def check_contradictions(config: dict) -> None:
    """Settings that contradict each other, or that another setting makes moot (so the run would silently
    differ from what the config says): one line naming both keys and the fix."""
    perf = config["perf"]
    if perf["min_seconds"] > perf["max_seconds"]:
        raise InputError(
            f"perf.min_seconds ({perf['min_seconds']}) is above perf.max_seconds ({perf['max_seconds']}): every row "
            f"would stop at max_seconds short of min_seconds; raise perf.max_seconds or lower perf.min_seconds "
            f"(in {CONFIG_HINT})"
        )
    for model in config["models"]:
        weights = config["weights"].get(model, {})
        if weights.get("path") and config["demo_architecture"].get(model):
            raise InputError(
                f"demo_architecture.{model} is set beside weights.{model}.path: the checkpoint's shapes give the "
                f"architecture of real weights; remove demo_architecture.{model}, or weights.{model} for a demo "
                f"run (in {CONFIG_HINT})"
            )
        spec = registry.get(model)
        if config["datasets"].get(model) and not spec.dataset and not spec.quality:
            raise InputError(
                f"datasets.{model}: model '{model}' draws its inputs from seeded noise ({spec.preprocess}) and reads "
                f"no images; remove datasets.{model} (in {CONFIG_HINT})"
            )


def demo_hparams(network: str) -> dict:
    """The defaults of a network module's ``HParams`` (the demo architecture), read from its source (importing
    it needs torch)."""
    tree = ast.parse((MODELS_DIR / f"{network}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "HParams":
            return {f.target.id: ast.literal_eval(f.value) for f in node.body if isinstance(f, ast.AnnAssign)}
    raise KeyError(network)


def check_demo_architecture(config: dict) -> None:
    """Keys and value types of ``demo_architecture.<model>`` against the network's defaults."""
    for model, overrides in config["demo_architecture"].items():
        spec = registry.get(model, "demo_architecture")
        defaults = demo_hparams(spec.network)
        for name, value in overrides.items():
            where = f"demo_architecture.{model}.{name}"
            if name not in defaults:
                raise InputError(
                    f"{where}: unknown key; {spec.network} takes {', '.join(defaults)} (fix it in {CONFIG_HINT})"
                )
            default = defaults[name]
            if isinstance(default, bool) or isinstance(value, bool):
                ok = isinstance(value, bool) and isinstance(default, bool)
            elif isinstance(default, float):
                ok = isinstance(value, (int, float))
            elif isinstance(default, str):  # a number reads as its text ("attention: 0", --config's "64")
                ok = isinstance(value, (str, int))
            else:
                ok = isinstance(value, type(default))
            if not ok:
                raise InputError(
                    f"{where}: {value!r} is a {_TYPE_NAMES.get(type(value), type(value).__name__)}, expected "
                    f"a {_TYPE_NAMES.get(type(default), type(default).__name__)} like the default {default!r} "
                    f"(fix it in {CONFIG_HINT}; on the command line: "
                    f"--config 'demo_architecture={{{model}: {{{name}: {default}}}}}')"
                )


_TYPE_NAMES = {int: "integer", float: "number", str: "string", bool: "boolean", list: "list", dict: "mapping"}


def weights_files(config: dict, model: str) -> dict[str, str]:
    """The configured checkpoint file(s) of ``model`` as ``{config key: path}``."""
    path = config["weights"].get(model, {}).get("path")
    if not path:
        return {}
    if isinstance(path, dict):
        return {f"weights.{model}.path.{part}": p for part, p in path.items()}
    return {f"weights.{model}.path": path}


def dataset_folders(config: dict, model: str) -> dict[str, str]:
    """The configured image folders of ``model`` as ``{config key: folder}``: ``datasets.<model>``, or
    a declared model's ``folder`` of each images input."""
    spec = registry.get(model)
    if spec.onnx and config["datasets"].get(model):
        raise InputError(
            f"datasets.{model}: a declared model's images come from its inputs' folder "
            f"(onnx_models.{model}.inputs[i].folder); move the folder there (in {CONFIG_HINT})"
        )
    folders = {f"datasets.{model}": config["datasets"].get(model)}
    for i, t in enumerate(spec.inputs):
        folders[f"onnx_models.{model}.inputs[{i}].folder"] = t.folder
    return {key: folder for key, folder in folders.items() if folder}


def check_paths(config: dict) -> None:
    """Configured files and folders of the selected models exist, before any job starts
    (a job that fails on a misspelt path would first have deleted its previous outputs)."""
    for model in config["models"]:
        for key, path in weights_files(config, model).items():
            if not os.path.isfile(path):
                raise InputError(
                    f"{path}: weights file for model '{model}' not found "
                    f"(fix {key} in {CONFIG_HINT}, or remove it to use demo weights)"
                )
        spec = registry.get(model)
        folders = dataset_folders(config, model)
        for key, folder in folders.items():
            if not os.path.isdir(folder):
                raise InputError(
                    f"{folder}: dataset folder of model '{model}' not found; it should hold "
                    f"{spec.dataset or 'images'} (fix {key} in {CONFIG_HINT})"
                )
        wanted = _samples(config, model)
        if folders:  # enough images for `samples` (the preprocess job checks it again)
            images = min(folders.values(), key=lambda folder: available(spec, folder))
            count(spec, wanted or spec.default_samples, available(spec, images), images)
        elif wanted == "all":
            count(spec, wanted, None)
    quality = config["quality"]
    selected = [m for m in config["models"] if registry.get(m).quality]
    keys = {registry.quality(m).weights_key for m in selected}
    for key in sorted(keys):
        path = quality.get(key)
        if path and not os.path.isfile(path):
            raise InputError(f"{path}: Inception weights not found (fix quality.{key} in {CONFIG_HINT}, or remove it)")
    for model in selected:
        path = quality["reference"].get(model)
        if path and not os.path.exists(path):
            raise InputError(
                f"{path}: FID reference of model '{model}' not found: an .npz or an image folder "
                f"(fix quality.reference.{model} in {CONFIG_HINT})"
            )


def _samples(config: dict, model: str):
    samples = config["samples"]
    return samples.get(model) if isinstance(samples, dict) else samples


# ---- lookups of the validated config ----------------------------------------------


def batch_sizes(config: dict, model: str) -> list[int]:
    """A list for every model, or a mapping per model with an optional default; models not covered use
    their registry default."""
    sizes = config["batch_sizes"]
    if isinstance(sizes, dict):
        sizes = sizes.get(model, sizes.get("default", registry.get(model).default_batch_sizes))
    return [int(bs) for bs in sizes]


def smallest_bs(config: dict, model: str) -> int:
    """The model's smallest batch size: its quality source, its per-sample PNGs, the keep-list search's."""
    return min(batch_sizes(config, model))


def png_batch_sizes(config: dict, model: str) -> list[int]:
    """The batch sizes whose runs get one PNG per sample (images.pngs): the quality source (the smallest
    batch size of a model with a quality metric), every image model's smallest, or all."""
    spec, sizes = registry.get(model), batch_sizes(config, model)
    which = config["images"]["pngs"]
    if spec.postprocess == "none" or (which == "quality" and spec.quality is None):
        return []
    return sizes if which == "all" else [smallest_bs(config, model)]


def sample_count(config: dict, model: str):
    """A number, or "all" (every image of the model's dataset folder)."""
    samples = config["samples"]
    return samples.get(model, registry.get(model).default_samples) if isinstance(samples, dict) else samples


def quality_weights(config: dict, model: str) -> str:
    """The configured Inception weights of the model's quality procedure, or ''."""
    return config["quality"].get(registry.quality(model).weights_key) or ""


def quality_reference_path(config: dict, model: str) -> str:
    """quality.reference.<model>, else the model's dataset folder, else ''."""
    return config["quality"]["reference"].get(model) or config["datasets"].get(model, "")


def quality_reference(config: dict, model: str) -> str:
    """The FID reference .npz: the configured file, or the cached statistics of a configured image
    folder; '' while the Inception weights or the reference are not configured."""
    path = quality_reference_path(config, model)
    if not path or not quality_weights(config, model):
        return ""
    if os.path.isdir(path):
        return f"resources/quality/{model}_reference.npz"
    return path


def check(config: dict) -> None:
    """Bad config values stop the workflow with one line naming the key and the fix, before any job starts:
    model names under every per-model key, the declared models against their graphs, contradictions, chips,
    demo network keys and the configured files and folders (the config is validated by the schema first, and
    not changed here)."""
    from snakemake.exceptions import WorkflowError

    from ganinfer.backends import check_chip
    from ganinfer.declared import build_spec

    try:
        registry.declare(config["onnx_models"], build_spec)
        for name in registry.declared_names():
            registry.get(name, "onnx_models")  # built and checked against its graph
        check_names(config)
        check_contradictions(config)
        for chip in config["chips"]:
            check_chip(chip)
        check_demo_architecture(config)
        check_paths(config)
    except InputError as exc:
        raise WorkflowError(f"config error: {exc}") from None
