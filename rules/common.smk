import os
import re
import sys

sys.path.insert(0, os.path.join(workflow.basedir, "scripts"))

from ganinfer import backends, registry  # noqa: E402  (after the path insert)
from ganinfer import config as config_checks  # noqa: E402
from ganinfer.backends.ascend import RuleShells  # noqa: E402
from ganinfer.plots import plot_paths, report_flags  # noqa: E402  (no matplotlib here)
from ganinfer.sources import stage_sources  # noqa: E402
from ganinfer.tracking import track, track_declaration  # noqa: E402

SCHEMA = os.path.join(workflow.basedir, "config", "schema.yaml")


# bad values stop the workflow with one line naming the key and the fix, before any job
config_checks.check_workflow_config(
    config, SCHEMA, workflow.config_settings.overwrite_config
)


def names_regex(names):
    """A wildcard regex matching exactly ``names`` (none: a regex that matches nothing)."""
    return "|".join(map(re.escape, names)) or "(?!)"


# built-in models are exported from their PyTorch network; declared ones (onnx_models) imported
NETWORK_MODELS = names_regex(registry.network_names())
ONNX_MODELS = names_regex(registry.declared_names())


wildcard_constraints:
    model=names_regex(registry.names()),
    bs=r"\d+",
    chip=backends.chip_pattern(),
    source=rf"pth|(?:{backends.chip_pattern()})_bs\d+",


# ---- configuration lookups -------------------------------------------------

ASCEND = config["ascend"]
SCRIPTS = os.path.join(workflow.basedir, "scripts")


def spec(wildcards):
    return registry.get(wildcards.model)


def configured_weights(wildcards):
    """The user's checkpoint file(s) (checked to exist while the DAG is built) and their
    listing (size, mtime), which changes when a file is replaced in place."""
    paths = list(config_checks.weights_files(config, wildcards.model).values())
    if not paths:
        return []
    return [*paths, track(f"{wildcards.model}_weights", paths)]


def simplify_input(wildcards):
    """The dynamic-batch export, or for fixed-batch models the export at this batch size."""
    if spec(wildcards).dynamic_batch:
        return {"onnx": f"results/{wildcards.model}/onnx/{wildcards.model}.onnx"}
    return {
        "onnx": f"results/{wildcards.model}/export/{wildcards.model}_bs{wildcards.bs}.onnx"
    }


def declaration(model):
    """A declared model's onnx_models entry as a file, rewritten only when the entry changes."""
    return track_declaration(model, config["onnx_models"][model])


def declared_onnx(wildcards):
    """A declared model's ONNX file, its listing (size, mtime: changes when it is replaced) and its
    declaration: the jobs downstream rerun when either changes."""
    path = spec(wildcards).onnx
    listing = track(f"{wildcards.model}_onnx", [path])
    return {
        "onnx": path,
        "listing": listing,
        "declaration": declaration(wildcards.model),
    }


def preprocess_input(wildcards):
    """The checkpoint for kinds that read it, and the listing of the configured image folders
    (names, sizes, mtimes: rewritten only when the folders' images change)."""
    inputs = {}
    if spec(wildcards).preprocess_uses_weights:
        inputs["weights"] = f"resources/weights/{wildcards.model}.pth"
    folders = list(config_checks.dataset_folders(config, wildcards.model).values())
    if folders:
        inputs["listing"] = track(f"{wildcards.model}_dataset", folders)
    if spec(wildcards).onnx:
        inputs["declaration"] = declaration(wildcards.model)
    return inputs


def macs_input(wildcards):
    """MACs per image are counted on the simplified graph of the model's first batch size."""
    bs = config_checks.batch_sizes(config, wildcards.model)[0]
    return f"results/{wildcards.model}/onnx/{wildcards.model}_bs{bs}.onnx"


def code(script):
    """A stage's source files as inputs: editing any module it imports reruns its jobs."""
    return list(stage_sources(os.path.join(SCRIPTS, script)))


def bench_units(wildcards):
    """A timed job asks for every `bench` unit the profile declares (profiles/default: each
    other job holds one), so it never overlaps another job."""
    declared = workflow.resource_settings.resources
    return declared["bench"].value if "bench" in declared.keys() else 1


def perf_threads():
    """The perf job claims every core (--cores; a cluster profile's are one node's) so that
    nothing runs beside it; 1 where no core count is given (--report)."""
    return max(1, workflow.resource_settings.cores or 1)


# ---- chips: one classification (ganinfer.backends.classify) --------------------

# chips of the in-process session rules (infer/perf_onnxruntime, gemm_peak) and of
# the ATC / ais_bench rules
SESSION_CHIPS = backends.chip_regex("session", ASCEND["runtime"])
AIS_CHIPS = backends.chip_regex("ais_bench", ASCEND["runtime"])
ASCEND_SHELLS = RuleShells(config, SCRIPTS)


def chip(wildcards):
    return backends.classify(wildcards.chip, ASCEND["runtime"])


def chip_env(wildcards):
    return f"../envs/{chip(wildcards).env}"


def npu_count(wildcards):
    return int(chip(wildcards).device == "npu")


def gpu_count(wildcards):
    return int(chip(wildcards).device == "gpu")


def session_options(wildcards):
    model = getattr(wildcards, "model", "gemm")
    return backends.session_options(wildcards.chip, config, model)


# ---- targets ------------------------------------------------------------------


def combos():
    for model in config["models"]:
        for c in config["chips"]:
            for bs in config_checks.batch_sizes(config, model):
                yield model, c, bs


def perf_files(wildcards=None):
    return [f"results/{m}/perf/{c}/bs{b}.json" for m, c, b in combos()]


def accuracy_files(wildcards=None):
    return [f"results/{m}/accuracy/{c}/bs{b}.json" for m, c, b in combos()]


def grid_files(wildcards=None):
    """The image grids: of every model whose outputs are images (postprocess other than none)."""
    return [
        f"results/{m}/images/{c}/bs{b}_grid.png"
        for m, c, b in combos()
        if registry.get(m).postprocess != "none"
    ]


def weights_info_files(wildcards=None):
    return [f"resources/weights/{m}.json" for m in config["models"]]


def macs_files(wildcards=None):
    return [f"results/{m}/onnx/{m}_macs.json" for m in config["models"]]


def peak_chips():
    """Chips with a measured GEMM peak: the in-process ones (none on ais_bench chips)."""
    return [c for c in config["chips"] if re.fullmatch(SESSION_CHIPS, c)]


def gemm_peak_files(wildcards=None):
    return [f"results/roofline/gemm_{c}.json" for c in peak_chips()]


def quality_sources(model):
    """pth (the PyTorch reference) and every chip's outputs at the model's smallest batch size."""
    bs = min(config_checks.batch_sizes(config, model))
    return ["pth", *(f"{c}_bs{bs}" for c in config["chips"])]


def quality_files(wildcards=None):
    """One record per source of each configured model whose registry entry has a quality kind."""
    models = [m for m in config["models"] if registry.get(m).quality]
    return [f"results/{m}/quality/{s}.json" for m in models for s in quality_sources(m)]


def plots():
    return plot_paths("results/plots", config["models"], config["chips"], peak_chips())


def plot_files(wildcards=None):
    return [path for kind in plots().values() for _, path in kind]


def plot_outputs(kind):
    """The plots of one kind, each flagged for the report with its own labels."""
    return [report(path, **report_flags(kind, key)) for key, path in plots()[kind]]


# ---- timed jobs run last, one after another ------------------------------------
# Snakemake re-polls its job selection about once a second for every job that
# finished while other jobs were ready (its job-rate limiter), so the polls pile up
# during a run and steal CPU from a timed job whenever anything else is ready. A local
# run therefore times only when nothing else is ready: each timed job takes the one
# before it as input, the first every untimed table input. Not ancient(): Snakemake
# would then drop forced (-R) timed jobs after the first; so whatever reruns before a
# timed job reruns the timed jobs after it, and perf.csv is always one session's.


def timed_files():
    """Every timed output of the config, in the order they run."""
    return gemm_peak_files() + perf_files()


def untimed_inputs():
    """The tables' untimed inputs, by name."""
    return {
        "accuracy": accuracy_files(),
        "quality": quality_files(),
        "weights": weights_info_files(),
        "grids": grid_files(),
        "macs": macs_files(),
    }


def table_inputs(wildcards):
    """Every input of the tables: the timed outputs and the untimed ones."""
    return {"perf": perf_files(), "gemm": gemm_peak_files(), **untimed_inputs()}


def run_after(own):
    """Input function for the timed output pattern ``own``, giving the output it
    waits for, none on a cluster (the scheduler is not on the timed node) or for an
    output outside the config."""

    def previous(wildcards):
        order = timed_files()
        path = own.format(**wildcards)
        if not workflow.local_exec or workflow.remote_exec or path not in order:
            return []
        i = order.index(path)
        untimed = [p for paths in untimed_inputs().values() for p in paths]
        return order[i - 1 : i] if i else untimed

    return previous


# ---- quality (IS / FID) inputs -------------------------------------------------


def quality_param(lookup):
    """A wildcards function of one of ganinfer.config's quality lookups."""
    return lambda wildcards: lookup(config, wildcards.model)


def quality_inputs(wildcards):
    return config_checks.quality_inputs(config, wildcards.model, wildcards.source)


def quality_stats_inputs(wildcards):
    return config_checks.quality_stats_inputs(config, wildcards.model)
