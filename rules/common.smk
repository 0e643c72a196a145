# The rules' shared names: config validation, wildcard constraints, chip classes and the input
# functions of more than one rule file (the others are in theirs). Their logic is DAG-time code
# in scripts/ganinfer/workflow/ (targets, inputs, order, config checks); scripts/ is on sys.path
# (the Snakefile puts it there).
import os
import re

from snakemake.utils import update_config, validate

from ganinfer import backends, registry
from ganinfer.report.plotlist import plot_paths, report_flags  # no pandas, matplotlib
from ganinfer.workflow import settings
from ganinfer.workflow import inputs, order
from ganinfer.workflow.scheduling import coalesce_reevaluations
from ganinfer.workflow.sources import job_sources, model_module
from ganinfer.workflow.targets import Targets

SCHEMA = os.path.join(workflow.basedir, "config", "schema.yaml")
SCRIPTS = os.path.join(workflow.basedir, "scripts")

# --config values arrive as strings: read them as YAML (config files are typed already); the schema
# fills the defaults; bad values stop the workflow with one line naming the key and the fix, before any job
update_config(config, settings.coerce(workflow.config_settings.config or {}))
try:
    validate(config, SCHEMA)
except WorkflowError:
    raise WorkflowError(
        f"config error: {settings.schema_error(config, SCHEMA)}"
    ) from None
settings.check(config)


def names_regex(names):
    """A wildcard regex matching exactly ``names`` (none: a regex that matches nothing)."""
    return "|".join(map(re.escape, names)) or "(?!)"


# built-in models are exported from their PyTorch network; declared ones (onnx_models) imported
NETWORK_MODELS = names_regex(registry.network_names())
ONNX_MODELS = names_regex(registry.declared_names())
# chips of the in-process session rules and of the ATC / ais_bench rules (ganinfer.backends.classify)
SESSION_CHIPS = backends.chip_regex("session", config["ascend"]["runtime"])
AIS_CHIPS = backends.chip_regex("ais_bench", config["ascend"]["runtime"])


wildcard_constraints:
    model=names_regex(registry.names()),
    bs=r"\d+",
    round=r"\d+",
    chip=backends.chip_pattern(),
    source=rf"pth|(?:{backends.chip_pattern()})_bs\d+",


TARGETS = Targets(config)
# timed jobs last, alone, their rounds interleaved; the reference first (ganinfer.workflow.order)
TIMED_PRIORITY = order.TIMED
REFERENCE_PRIORITY = order.REFERENCE
AFTER_TIMED_PRIORITY = order.after_timed(config["rounds"])
round_priority = order.round_priority
coalesce_reevaluations()


def bind(function):
    """An input function of the rules: ``function(config, wildcards)`` of ganinfer.workflow.inputs."""
    return lambda wildcards: function(config, wildcards)


get_session_options = bind(inputs.session_options)


def get_chip(wildcards):
    return backends.classify(wildcards.chip, config["ascend"]["runtime"])


def get_chip_env(wildcards):
    return f"../envs/{get_chip(wildcards).env}"


def get_npu_count(wildcards):
    return int(get_chip(wildcards).device == "npu")


def get_gpu_count(wildcards):
    return int(get_chip(wildcards).device == "gpu")


def get_bench_units(wildcards):
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


# modules that only some jobs run: each model's own code, and the sessions other than ONNX Runtime's
OWN_MODULES = frozenset(
    model_module(network) for network in ["", *registry.networks()]
) | {m for m, _ in backends.SESSION_BACKENDS.values()}


def code(script, chip=None):
    """Input function: the source files a job of ``script``'s stage runs (ganinfer.workflow.sources);
    a model's network module, or a chip's session module, is an input of that model's or chip's jobs
    alone (``chip``: the chip of a rule without a chip wildcard)."""
    path = os.path.join(SCRIPTS, script)

    def sources(wildcards):
        model, chip_ = wildcards.get("model"), wildcards.get("chip", chip)
        own = [
            model_module(registry.get(model).network) if model else None,
            backends.session_module(chip_) if chip_ else None,
        ]
        return job_sources(path, own, OWN_MODULES)

    return sources


def plots():
    return plot_paths(
        "results/plots", config["models"], config["chips"], TARGETS.peak_chips()
    )


def plot_outputs(kind):
    """The plots of one kind, each flagged for the report with its own labels."""
    return [report(path, **report_flags(kind, key)) for key, path in plots()[kind]]
