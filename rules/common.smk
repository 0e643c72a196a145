import os
import re

# scripts/ is on sys.path (the Snakefile puts it there)
from ganinfer import backends, registry
from ganinfer import config as config_checks
from ganinfer.backends.ascend import RuleShells
from ganinfer.plots import plot_paths, report_flags  # no matplotlib here
from ganinfer.scheduling import coalesce_reevaluations
from ganinfer.sources import job_sources, model_module
from ganinfer.tracking import track, track_declaration

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
    round=r"\d+",
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


# modules that only some jobs run: each model's own code, and the sessions other than ONNX Runtime's
OWN_MODULES = frozenset(
    model_module(network) for network in ["", *registry.networks()]
) | {m for m, _ in backends.SESSION_BACKENDS.values()}


def code(script, chip=None):
    """Input function: the source files a job of ``script``'s stage runs (ganinfer.sources), relative
    to the working directory; a model's network module, or a chip's session module, is an input of
    that model's or chip's jobs alone (``chip``: the chip of a rule without a chip wildcard).
    """
    path = os.path.join(SCRIPTS, script)

    def sources(wildcards):
        model, chip_ = wildcards.get("model"), wildcards.get("chip", chip)
        own = [
            model_module(registry.get(model).network) if model else None,
            backends.session_module(chip_) if chip_ else None,
        ]
        return job_sources(path, own, OWN_MODULES)

    return sources


def bench_units(wildcards):
    """A timed job asks for every `bench` unit the profile declares (profiles/default: each
    other job holds one), so it never overlaps another job."""
    declared = workflow.resource_settings.resources
    return declared["bench"].value if "bench" in declared.keys() else 1


def perf_threads():
    """The perf job claims every core it may use so that nothing runs beside it: --cores (a
    cluster profile's are one node's), capped by -j (so `-j1` times one thread); 1 where no
    core count is given (--report)."""
    res = workflow.resource_settings
    return max(1, min(res.cores or 1, res.nodes or res.cores or 1))


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


def session_inputs(wildcards):
    """The keep-list search's file, for a session that reads it (cpu-fp16 with ascend.keep_dtype: auto)."""
    path = session_options(wildcards).get("keep_dtype_file")
    return {"keep_dtype": path} if path else {}


def search_onnx(wildcards):
    """The keep-list search runs on the simplified graph of the model's smallest batch size."""
    bs = smallest_bs(wildcards.model)
    return f"results/{wildcards.model}/onnx/{wildcards.model}_bs{bs}.onnx"


def search_bs(wildcards):
    return smallest_bs(wildcards.model)


def smallest_bs(model):
    """The model's smallest batch size: its quality source and its per-sample PNGs."""
    return min(config_checks.batch_sizes(config, model))


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


def png_dirs(wildcards=None):
    """Per-sample PNG folders (images.pngs)."""
    return [
        f"results/{m}/images/{c}/bs{b}"
        for m in config["models"]
        for c in config["chips"]
        for b in config_checks.png_batch_sizes(config, m)
    ]


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
    return ["pth", *(f"{c}_bs{smallest_bs(model)}" for c in config["chips"])]


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


# ---- timed jobs run last, alone -------------------------------------------------
# A timed job asks for every `bench` unit (each other job holds one: profiles/default) and
# has the lowest priority (TIMED_PRIORITY), so the greedy scheduler of profiles/default starts
# it only when no untimed job runs or is ready; no edge orders the timed jobs, so an edit
# reruns exactly the timed rows it can change. Snakemake's scheduler wakes once a second at
# most while timed jobs wait their turn (ganinfer.scheduling).
TIMED_PRIORITY = -1
coalesce_reevaluations()


# The reference runs before the inference runs it is compared with, so that each device output
# folder (temp) is read and deleted as soon as its inference ends instead of waiting for it.
REFERENCE_PRIORITY = 1


def round_priority(wildcards):
    """Round r of every row before round r + 1 of any: the rounds of a run interleave in time."""
    return TIMED_PRIORITY - int(wildcards["round"]) + 1


# below every round: jobs that only read timed records wait until the timing is over
AFTER_TIMED_PRIORITY = TIMED_PRIORITY - config["rounds"]


def round_files(wildcards):
    """The timed records of one row's rounds (config `rounds`), in round order."""
    rounds = range(1, config["rounds"] + 1)
    return [
        f"results/{wildcards.model}/perf/{wildcards.chip}/bs{wildcards.bs}/round{r}.json"
        for r in rounds
    ]


def untimed_inputs():
    """The tables' untimed inputs, by name."""
    return {
        "accuracy": accuracy_files(),
        "quality": quality_files(),
        "weights": weights_info_files(),
        "grids": grid_files(),
        "pngs": png_dirs(),
        "macs": macs_files(),
    }


def table_inputs(wildcards):
    """Every input of the tables: the timed outputs and the untimed ones."""
    return {"perf": perf_files(), "gemm": gemm_peak_files(), **untimed_inputs()}


# ---- quality (IS / FID) inputs -------------------------------------------------


def quality_param(lookup):
    """A wildcards function of one of ganinfer.config's quality lookups."""
    return lambda wildcards: lookup(config, wildcards.model)


def quality_inputs(wildcards):
    return config_checks.quality_inputs(config, wildcards.model, wildcards.source)


def quality_stats_inputs(wildcards):
    return config_checks.quality_stats_inputs(config, wildcards.model)


def get_baseline(wildcards):
    """The baseline perf.csv (config `baseline`); without one the comparison has nothing to rate."""
    if not config["baseline"]:
        raise WorkflowError(
            "config error: baseline: results/tables/compare.csv rates this run against another run's perf.csv; "
            "give it with --config baseline=<path to that perf.csv>"
        )
    return config["baseline"]
