import os
import re
import shlex
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import update_config, validate

sys.path.insert(0, os.path.join(workflow.basedir, "scripts"))

from ganinfer import registry  # noqa: E402  (after the path insert)
from ganinfer.backends import (  # noqa: E402
    ASCEND_PATTERN,
    SESSION_CHIPS,
    check_chip,
    chip_pattern,
    env_file,
    is_gpu,
)
from ganinfer.backends import ascend as ascend_cmd  # noqa: E402
from ganinfer import config as config_checks  # noqa: E402
from ganinfer.errors import InputError  # noqa: E402
from ganinfer.plots import plot_paths  # noqa: E402  (no matplotlib at parse time)
from ganinfer.tracking import track  # noqa: E402

SCHEMA = os.path.join(workflow.basedir, "config", "schema.yaml")


def _check_config():
    """Bad config values stop the workflow with one line naming the key and the fix, before
    any job starts: --config values are read as YAML first (nested ones arrive as strings),
    then the schema, model names under every per-model key, chips, demo network keys and
    the configured files and folders are checked."""
    update_config(
        config, config_checks.coerce(workflow.config_settings.overwrite_config or {})
    )
    try:
        validate(config, SCHEMA)
    except WorkflowError:
        line = config_checks.schema_error(config, SCHEMA)
        raise WorkflowError(f"config error: {line}") from None
    try:
        config_checks.check_names(config)
        for chip in config["chips"]:
            check_chip(chip)
        config_checks.check_demo_architecture(config)
        config_checks.check_paths(config)
    except InputError as exc:
        raise WorkflowError(f"config error: {exc}") from None


_check_config()


wildcard_constraints:
    model="|".join(map(re.escape, registry.MODELS)),
    bs=r"\d+",
    chip=chip_pattern(),
    source=rf"pth|(?:{chip_pattern()})_bs\d+",


# ---- configuration lookups -------------------------------------------------


def spec(wildcards):
    return registry.get(wildcards.model)


def batch_sizes(model):
    """A list for every model, or a mapping per model with an optional default;
    models not covered use their registry default."""
    sizes = config.get("batch_sizes")
    if not isinstance(sizes, list):
        sizes = sizes or {}
        sizes = sizes.get(
            model, sizes.get("default", registry.get(model).default_batch_sizes)
        )
    return [int(bs) for bs in sizes]


def sample_count(model):
    """A number, or "all" (every image of the model's dataset folder)."""
    samples = config["samples"]
    if not isinstance(samples, dict):
        return samples
    return samples.get(model, registry.get(model).default_samples)


def configured_weights(wildcards):
    """The user's checkpoint file(s) (checked to exist while the DAG is built) and their
    listing (size, mtime), which changes when a file is replaced in place."""
    paths = list(config_checks.weights_files(config, wildcards.model).values())
    if not paths:
        return []
    return [*paths, track(f"{wildcards.model}_weights", paths)]


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
    """The checkpoint for kinds that read it, and the listing of a configured dataset folder
    (names, sizes, mtimes: rewritten only when the folder's images change)."""
    inputs = {}
    if spec(wildcards).preprocess_uses_weights:
        inputs["weights"] = f"resources/weights/{wildcards.model}.pth"
    folder = dataset_param(wildcards)
    if folder:
        inputs["listing"] = track(f"{wildcards.model}_dataset", [folder])
    return inputs


def bench_units(wildcards):
    """A timed job asks for every `bench` unit the profile declares (profiles/default: each
    other job holds one), so it never overlaps another job."""
    declared = workflow.resource_settings.resources
    return declared["bench"].value if "bench" in declared.keys() else 1


def perf_threads():
    """The perf job claims every core (--cores; a cluster profile's are one node's) so that
    nothing runs beside it; 1 where no core count is given (--report)."""
    return max(1, workflow.resource_settings.cores or 1)


# ---- chips and the Ascend toolchain ---------------------------------------------

ASCEND = config["ascend"]
NEVER = "(?!x)x"


GPU = config["gpu"]
OPENVINO = config["openvino"]
ORT_CHIPS = "|".join(SESSION_CHIPS)


def ort_chip_regex():
    """Chips the in-process session rules (infer_onnxruntime, perf_onnxruntime, gemm_peak)
    serve, each through the session the backend registry gives it: cpu, cuda, tensorrt
    (ONNX Runtime), openvino (OpenVINO), and Ascend chips with ascend.runtime ort-cann.
    """
    return (
        f"{ORT_CHIPS}|{ASCEND_PATTERN}"
        if ASCEND["runtime"] == "ort-cann"
        else ORT_CHIPS
    )


def ais_chip_regex():
    """Chips the ATC and ais_bench rules serve."""
    return ASCEND_PATTERN if ASCEND["runtime"] == "ais_bench" else NEVER


def provider_options(wildcards):
    """Options of the chip's session: CANN EP (Ascend chips), CUDA EP, TensorRT EP (fp16,
    engine and timing caches under results/trt_cache/), OpenVINO (precision); none for cpu.
    """
    chip = wildcards.chip
    if chip == "openvino":
        return {"precision": OPENVINO["precision"]}
    if re.fullmatch(ASCEND_PATTERN, chip):
        return {
            "device_id": ASCEND["device"],
            "precision_mode": ASCEND["precision_mode"],
        }
    if chip == "cuda":
        return {"device_id": GPU["device"]}
    if chip == "tensorrt":
        cache = f"results/trt_cache/{getattr(wildcards, 'model', 'gemm')}"
        return {
            "device_id": GPU["device"],
            "trt_fp16_enable": GPU["tensorrt_fp16"],
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": cache,
            "trt_timing_cache_enable": True,
            "trt_timing_cache_path": cache,
        }
    return {}


def gpu_count(wildcards):
    return 1 if is_gpu(wildcards.chip) else 0


def ort_env(wildcards):
    """The chip's session environment: onnxruntime-gpu for GPU chips, openvino for openvino,
    the CPU onnxruntime one for the others."""
    return f"../envs/{env_file(wildcards.chip)}"


def npu_count(wildcards):
    return 1 if re.fullmatch(ASCEND_PATTERN, wildcards.chip) else 0


def atc_prefix(wildcards, output):
    return f"{output[0].removesuffix('.om')}.atc"


def atc_take_om(wildcards, output):
    """Shell that renames the one .om ATC wrote (<prefix>.om or <prefix>_<os>_<arch>.om) to the
    target, or says in one line on stderr that there is none or several."""
    prefix = atc_prefix(wildcards, output)
    q = shlex.quote(prefix)
    msg = shlex.quote(
        f"error: atc reported success but did not write exactly one {prefix}.om or "
        f"{prefix}_<os>_<arch>.om; see the ATC output above"
    )
    return (
        f'set -- {q}*.om; if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then echo {msg} "(found: $*)" >&2; '
        f'rm -f {q}*.om; exit 1; fi; mv "$1" {shlex.quote(output[0])}; '
    )


def keep_dtype_file(wildcards):
    return f"results/{wildcards.model}/om/{wildcards.model}_keep_dtype.cfg"


def cann_setup_atc(wildcards):
    return ascend_cmd.setup_lines("atc", ASCEND["set_env"], "command -v atc")


def cann_setup_ais(wildcards):
    return ascend_cmd.setup_lines(
        "ais_bench", ASCEND["set_env"], "python3 -c 'import ais_bench'"
    )


def keep_dtype_shell(wildcards):
    """Writes ATC's --keep_dtype file (operators kept at their precision), when the model has one."""
    ops = spec(wildcards).atc.keep_dtype
    if not ops:
        return ""
    return f"printf '%s\\n' {shlex.join(ops)} > {keep_dtype_file(wildcards)}; "


def atc_shell(wildcards, input, output):
    args = ascend_cmd.atc_args(
        spec(wildcards),
        input.onnx,
        atc_prefix(wildcards, output),
        int(wildcards.bs),
        wildcards.chip,
        ASCEND["precision_mode"],
        keep_dtype_file(wildcards),
    )
    return ascend_cmd.shell(args)


def ais_raw(wildcards, kind="bs"):
    return f"results/{wildcards.model}/ais/{wildcards.chip}/{kind}{wildcards.bs}"


def ais_perf_raw(wildcards):
    return ais_raw(wildcards, "perf_bs")


def ais_infer_shell(wildcards, input):
    raw = ais_raw(wildcards)
    folders = [f"{input.inputs}/{t.name}" for t in spec(wildcards).inputs]
    args = ascend_cmd.ais_bench_args(
        input.om,
        int(wildcards.bs),
        os.path.dirname(raw),
        os.path.basename(raw),
        ASCEND["device"],
        folders,
    )
    return ascend_cmd.shell(args)


def ais_collect_shell(wildcards, input, output):
    args = [
        "python3",
        os.path.join(workflow.basedir, "scripts", "collect_ais.py"),
        "--model",
        wildcards.model,
    ]
    args += [
        "--chip",
        wildcards.chip,
        "--bs",
        wildcards.bs,
        "--raw",
        ais_raw(wildcards),
        "--inputs",
        input.inputs,
    ]
    args += ["--out", output.outputs, "--summary", output.summary]
    return ascend_cmd.shell(args)


def ais_probe_raw(wildcards):
    return ais_raw(wildcards, "probe_bs")


def perf_settings_args():
    args = []
    for key, value in config["perf"].items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    return args


def ais_timed_shell(wildcards, om, raw, loop):
    args = ascend_cmd.ais_bench_args(
        om,
        int(wildcards.bs),
        os.path.dirname(raw),
        os.path.basename(raw),
        ASCEND["device"],
        loop=loop,
        warmup_count=ASCEND["warmup_count"],
    )
    return ascend_cmd.shell(args)


def ais_probe_shell(wildcards, input):
    """The probe run: ascend.probe_loop executions of one batch."""
    return ais_timed_shell(
        wildcards, input.om, ais_probe_raw(wildcards), ASCEND["probe_loop"]
    )


def ais_perf_shell(wildcards, input):
    """The timed run: --loop from the probe ($loop, set by ais_calibrate_shell)."""
    return ais_timed_shell(
        wildcards, input.om, ais_raw(wildcards, "perf_bs"), ascend_cmd.LOOP_VAR
    )


def perf_ais_args(wildcards):
    return [
        "python3",
        os.path.join(workflow.basedir, "scripts", "perf_ais.py"),
        "--model",
        wildcards.model,
        "--chip",
        wildcards.chip,
        "--bs",
        wildcards.bs,
        "--probe",
        ais_probe_raw(wildcards),
    ]


def ais_calibrate_shell(wildcards):
    """Prints the timed run's --loop from the probe's summary."""
    args = perf_ais_args(wildcards) + ["--calibrate"] + perf_settings_args()
    return ascend_cmd.shell(args)


def ais_perf_collect_shell(wildcards, output):
    args = perf_ais_args(wildcards) + ["--raw", ais_raw(wildcards, "perf_bs")]
    args += ["--loop", ascend_cmd.LOOP_VAR]
    args += ["--warmup-count", str(ASCEND["warmup_count"]), "--out", output[0]]
    return ascend_cmd.shell(args + perf_settings_args())


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


def macs_input(wildcards):
    """MACs per image are counted on the simplified graph of the model's first batch size."""
    bs = batch_sizes(wildcards.model)[0]
    return f"results/{wildcards.model}/onnx/{wildcards.model}_bs{bs}.onnx"


def macs_files(wildcards=None):
    return [f"results/{m}/onnx/{m}_macs.json" for m in config["models"]]


def gemm_peak_files(wildcards=None):
    """The GEMM peak is measured on the in-process chips (ONNX Runtime, OpenVINO; none on
    ais_bench chips)."""
    return [
        f"results/roofline/gemm_{c}.json"
        for c in config["chips"]
        if re.fullmatch(ort_chip_regex(), c)
    ]


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


def untimed_files():
    """Every table input that is not timed."""
    return [path for paths in untimed_inputs().values() for path in paths]


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
        return order[i - 1 : i] if i else untimed_files()

    return previous


# ---- plots (downstream of the perf records, like the tables) ---------------------

PLOT_CAPTIONS = {
    "throughput": ("../report/plot_throughput.rst", "Throughput", "model"),
    "roofline": ("../report/plot_roofline.rst", "Roofline", "chip"),
    "latency": ("../report/plot_latency.rst", "Latency", ("model", "chip")),
}


def peak_chips():
    """Chips with a measured GEMM peak (the roofline view), as gemm_peak_files."""
    return [c for c in config["chips"] if re.fullmatch(ort_chip_regex(), c)]


def plots():
    return plot_paths("results/plots", config["models"], config["chips"], peak_chips())


def plot_files(wildcards=None):
    return [path for kind in plots().values() for _, path in kind]


def plot_outputs(kind):
    """The plots of one kind, each flagged for the report with its own labels."""
    caption, subcategory, names = PLOT_CAPTIONS[kind]
    names = names if isinstance(names, tuple) else (names,)
    outputs = []
    for key, path in plots()[kind]:
        keys = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(names, keys))
        flags = dict(caption=caption, category="Plots", subcategory=subcategory)
        outputs.append(report(path, labels=labels, **flags))
    return outputs


# ---- quality (IS / FID) ----------------------------------------------------------

QUALITY = config["quality"]


def quality_models():
    """Configured models whose registry entry has a quality kind."""
    return [m for m in config["models"] if registry.get(m).quality]


def quality_sources(model):
    """pth (the PyTorch reference) and every chip's outputs at the model's smallest batch size."""
    bs = min(batch_sizes(model))
    return ["pth", *(f"{chip}_bs{bs}" for chip in config["chips"])]


def quality_files(wildcards=None):
    return [
        f"results/{m}/quality/{s}.json"
        for m in quality_models()
        for s in quality_sources(m)
    ]


def quality_weights(wildcards):
    """The configured Inception weights of the model's procedure, or ''."""
    return QUALITY.get(registry.quality(wildcards.model).weights_key) or ""


def quality_reference_path(wildcards):
    """quality.reference.<model>, else the model's dataset folder, else ''."""
    model = wildcards.model
    return QUALITY["reference"].get(model) or config["datasets"].get(model, "")


def quality_reference(wildcards):
    """The FID reference .npz: the configured file, or the cached statistics of a configured
    image folder; '' while the Inception weights or the reference are not configured."""
    path = quality_reference_path(wildcards)
    if not path or not quality_weights(wildcards):
        return ""
    if os.path.isdir(path):
        return f"resources/quality/{wildcards.model}_reference.npz"
    return path


def quality_inputs(wildcards):
    """The source's outputs, plus the weights and reference files that exist (a missing
    configured file is reported by the script)."""
    model, source = wildcards.model, wildcards.source
    if source == "pth":
        inputs = {"outputs": f"results/{model}/reference"}
    else:
        chip, bs = source.rsplit("_bs", 1)
        inputs = {"outputs": f"results/{model}/outputs/{chip}/bs{bs}"}
    for key, path in (
        ("inception_weights", quality_weights(wildcards)),
        ("reference_stats", quality_reference(wildcards)),
    ):
        if path and (path.startswith("resources/quality/") or os.path.exists(path)):
            inputs[key] = path
    return inputs


def quality_stats_inputs(wildcards):
    folder = quality_reference_path(wildcards)
    inputs = {
        "images": folder,
        "listing": track(f"{wildcards.model}_reference", [folder]),
    }
    if os.path.exists(quality_weights(wildcards)):
        inputs["inception_weights"] = quality_weights(wildcards)
    return inputs
