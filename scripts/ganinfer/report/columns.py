"""Every column of the result tables, declared once: its name (the CSV header), where its value comes from,
how a number is written, and what it means. The CSV headers and rows, the README's tables and
docs/columns.md (tools/columns_doc.py) are all made from these tuples.

A column's ``source`` is read from a row's input: the stage's record (a perf, accuracy or quality JSON file)
with the model's weights file under ``weights`` (resources/weights/{model}.json), its MAC count under ``macs``
(results/{model}/onnx/{model}_macs.json) and the chip's GEMM peak under ``gemm``
(results/roofline/gemm_{chip}.json). A source is a dotted path (``a|b``: the first of the two present) or a
function of the whole input (its docstring says what it computes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ganinfer.errors import NOT_CONFIGURED

VALID, INVALID = "VALID", "INVALID"  # perf.csv's valid column
PASS, FAIL = "PASS", "FAIL"  # accuracy.csv's passed column
NOT_MEASURED = "-"  # a quality metric that is no part of the model's procedure


@dataclass(frozen=True)
class Column:
    """One column of a result table."""

    name: str
    source: str | Callable[[dict], object]
    fmt: str  # how a number is written: a format spec ("d", ".1f", ".3e"); "" for text
    description: str
    header: str = ""  # its header in the README's table, where that table shows the column as it is
    words: str = ""  # what a cell holds instead of a number that could not be had (then numbers and words mix)
    sep: str = ""  # the cell is a list of numbers, written with this separator

    def value(self, row: dict):
        """The column's value in ``row`` (a row's input), None where it has none."""
        if callable(self.source):
            return self.source(row)
        for path in self.source.split("|"):
            value = row
            for key in path.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if value is not None:
                return value
        return None

    @property
    def dtype(self) -> str:
        """The column's pandas dtype: nullable integers, floats, or objects (text, lists, numbers and words)."""
        if not self.fmt or self.words or self.sep:
            return "object"
        return "Int64" if self.fmt == "d" else "float64"


def names(columns: tuple[Column, ...]) -> list[str]:
    return [c.name for c in columns]


def column(columns: tuple[Column, ...], name: str) -> Column:
    """The column ``name`` of a table's ``columns``."""
    return next(c for c in columns if c.name == name)


def _weights(row: dict) -> str:
    """`weights.weights` (`unknown` without a weights file)"""
    return row.get("weights", {}).get("weights", "unknown")


def _achieved(row: dict) -> float | None:
    """2 · `macs.macs_per_image` · `throughput_fps` / 10⁹"""
    macs = row.get("macs", {}).get("macs_per_image")
    return None if macs is None else 2.0 * macs * row["throughput_fps"] / 1e9


def _percent(row: dict) -> float | None:
    """100 · `achieved_gflops` / `gemm.peak_gflops`"""
    achieved, peak = _achieved(row), row.get("gemm", {}).get("peak_gflops")
    return None if achieved is None or not peak else 100.0 * achieved / peak


def _valid(row: dict) -> str:
    """`valid` (true or false)"""
    return VALID if row["valid"] else INVALID


def _calibration(row: dict) -> str:
    """`calibration`: its probe, loop and warm-up counts"""
    cal = row.get("calibration")
    if not cal:
        return ""
    return (
        f"probe {cal['probe_executions']} x {cal['probe_mean_ms']:.4f} ms -> loop {cal['loop']} "
        f"(warmup {cal['warmup_count']})"
    )


def _packages(row: dict) -> str:
    """`provenance.packages`"""
    return " ".join(f"{k}={v}" for k, v in sorted(row.get("provenance", {}).get("packages", {}).items()))


def _passed(row: dict) -> str:
    """`passed` (true or false)"""
    return PASS if row["passed"] else FAIL


def _metric(name: str, status: str) -> Callable[[dict], object]:
    def metric(row: dict):
        said = row[status]
        return row[name] if said == "ok" else {"not measured": NOT_MEASURED}.get(said, said)

    metric.__doc__ = f"`{name}` where `{status}` is `ok`, else `{status}`"
    return metric


def _inception_weights(row: dict) -> str:
    """the file name of `inception.file`"""
    return Path(row["inception"]["file"]).name if row["inception"]["file"] else ""


def _note(row: dict) -> str:
    """`not_configured` (the keys to set) and `notes`"""
    notes = list(row["notes"])
    if row["not_configured"]:
        notes.insert(0, f"{NOT_CONFIGURED}: set {', '.join(row['not_configured'])}")
    return "; ".join(notes)


MODEL = Column("model", "model", "", "the model (its registry name)", header="model")
CHIP = Column("chip", "chip", "", "the chip (`cpu`, `cpu-fp16`, `openvino`, `cuda`, `Ascend310P3`, ...)", header="chip")
BATCH_SIZE = Column("batch_size", "batch_size", "d", "images per inference call", header="batch")
BACKEND = Column("backend", "backend", "", "the runtime that ran it (`onnxruntime`, `openvino`, `ais_bench`)")
WEIGHTS = Column(
    "weights", _weights, "", "`demo` (seeded random init) or `real` (a configured checkpoint)", header="weights"
)


def _latency(name: str, what: str) -> Column:
    return Column(f"latency_{name}_ms", f"latency_ms.{name}", ".4f", f"{what}, ms per batch")


PERF = (
    MODEL,
    CHIP,
    BATCH_SIZE,
    BACKEND,
    WEIGHTS,
    Column(
        "throughput_fps",
        "throughput_fps",
        ".1f",
        "images/s: the geometric mean over the rounds of each round's 1000 · batch size / mean latency (ms)",
    ),
    Column(
        "throughput_ci_low",
        "throughput_ci_low",
        ".1f",
        "lower bound of the 95 % t-interval of `throughput_fps` over the rounds, on the logarithms (blank with one "
        "round)",
    ),
    Column("throughput_ci_high", "throughput_ci_high", ".1f", "its upper bound"),
    Column("rounds", "rounds", "d", "timed rounds (separate jobs, interleaved with every other row's)"),
    Column("round_fps", "round_fps", ".2f", "each round's throughput, in round order", sep=";"),
    Column("timing", "timing", "", "`end-to-end` (host copies included) or `device-only`"),
    Column(
        "throughput_e2e_fps",
        "throughput_e2e_fps|throughput_fps",
        ".1f",
        "end-to-end throughput where the backend times the device alone (mean of the rounds), else `throughput_fps`",
    ),
    _latency("mean", "mean per-iteration latency over every round's iterations"),
    _latency("p50", "median latency (nearest rank)"),
    _latency("p90", "90th percentile latency (nearest rank)"),
    _latency("p95", "95th percentile latency (nearest rank)"),
    _latency("p99", "99th percentile latency (nearest rank)"),
    _latency("std", "standard deviation of the latencies"),
    Column("latency_cov", "latency_ms.cov", ".4f", "coefficient of variation of the latencies: std / mean"),
    Column("latency_robust_cov", "latency_ms.robust_cov", ".4f", "1.4826 · MAD / median of the latencies"),
    Column("iterations", "latency_ms.count", "d", "timed iterations, every round's"),
    Column("duration_s", "duration_s", ".2f", "timed seconds, every round's"),
    Column("warmup", "settings.warmup", "d", "warm-up runs before each round's timing (excluded)"),
    Column(
        "calibration",
        _calibration,
        "",
        "how a self-timed run chose its loop count (ais_bench: probe runs x mean ms -> loop); blank for the harness",
    ),
    Column("threads", "threads", "d", "the runtime's threads (blank where the runtime does not say)"),
    Column("valid", _valid, "", "`VALID`, or `INVALID` when a round broke the validity rule"),
    Column("invalid_reason", "invalid_reason", "", "why INVALID, per round"),
    Column(
        "macs_per_image",
        "macs.macs_per_image",
        "d",
        "multiply-accumulates per image (Conv, ConvTranspose, Gemm, MatMul), counted on the simplified graph",
    ),
    Column("achieved_gflops", _achieved, ".1f", "GFLOP/s achieved (one MAC is two operations)"),
    Column(
        "gemm_peak_gflops",
        "gemm.peak_gflops",
        ".1f",
        "the chip's fp32 GEMM peak, measured in the same run (blank on chips run through ais_bench)",
    ),
    Column("percent_of_peak", _percent, ".1f", "`achieved_gflops` as a % of `gemm_peak_gflops`"),
    Column("device", "provenance.device|provenance.cpu", "", "the CPU, GPU or NPU"),
    Column("host", "provenance.host", "", "the host name"),
    Column("runtime_version", "runtime_version", "", "the runtime and its version"),
    Column("packages", _packages, "", "package versions, `name=version`, space-separated"),
    Column("git_commit", "provenance.git_commit", "", "the workflow's git commit"),
    Column("config_hash", "provenance.config_hash", "", "sha256 (12 hex digits) of the config the job ran with"),
    Column("timestamp", "provenance.timestamp", "", "when the first round ran"),
)

ACCURACY = (
    MODEL,
    CHIP,
    BATCH_SIZE,
    BACKEND,
    WEIGHTS,
    Column(
        "reference",
        "reference",
        "",
        "what the outputs are compared with: `PyTorch CPU fp32`, or ONNX Runtime CPU fp32 for a model declared "
        "under `onnx_models`",
        header="reference",
    ),
    Column("samples", "samples", "d", "samples compared", header="samples"),
    Column(
        "mean_cosine",
        "mean_cosine",
        ".6f",
        "cosine similarity of each output with the reference (flattened), mean over the samples",
        header="mean cos",
    ),
    Column("min_cosine", "min_cosine", ".6f", "the smallest of those cosines", header="min cos"),
    Column(
        "mean_abs_diff",
        "mean_abs_diff",
        ".3e",
        "mean |output − reference| of each sample, mean over the samples",
        header="mean abs diff",
    ),
    Column("max_abs_diff", "max_abs_diff", ".3e", "the largest |output − reference| of any value"),
    Column("acc_percent", "acc_percent", ".2f", "ModelZoo's figure: 100 · (mean_cosine + 1) / 2", header="acc %"),
    Column(
        "channel_cosine",
        "channel_cosine",
        ".6f",
        "CycleGAN's guide score: the cosine over the RGB channels at every pixel, averaged (blank for other models)",
        header="pixel channel cos",
    ),
    Column("threshold", "threshold", "g", "the smallest cosine a sample may have (`accuracy.threshold`)"),
    Column("passed", _passed, "", "`PASS` when `min_cosine` ≥ `threshold`, else `FAIL`", header="check"),
    Column("worst_sample", "worst_sample", "", "the output file of the sample with the smallest cosine"),
)

METRIC_WORDS = (
    f"`{NOT_CONFIGURED}` (see `note`), `n/a` (could not be computed), `{NOT_MEASURED}` (no part of the procedure)"
)

QUALITY = (
    MODEL,
    Column("source", "source", "", "`pth` (the PyTorch reference outputs) or the chip whose outputs are scored"),
    Column("generator", "generator|source", "", "what made the images: the reference (for `pth`) or the chip"),
    Column("batch_size", "batch_size", "d", "the chip's batch size (blank for `pth`)"),
    WEIGHTS,
    Column("images", "images", "d", "images scored"),
    Column(
        "is_mean", _metric("is_mean", "is_status"), ".3f", "Inception Score, mean over the splits", words=METRIC_WORDS
    ),
    Column(
        "is_std", _metric("is_std", "is_status"), ".3f", "its standard deviation over the splits", words=METRIC_WORDS
    ),
    Column("is_splits", "is_splits", "d", "splits of the Inception Score"),
    Column(
        "fid",
        _metric("fid", "fid_status"),
        ".4f",
        "Fréchet Inception Distance to the reference statistics",
        words=METRIC_WORDS,
    ),
    Column("inception", "inception.variant", "", "the Inception network: `torchvision` or `fid` (pytorch-fid's)"),
    Column("inception_weights", _inception_weights, "", "its weights file"),
    Column("inception_sha256", "inception.sha256", "", "sha256 of its weights file"),
    Column("reference_stats", "reference.file", "", "the FID reference statistics (.npz)"),
    Column("reference_sha256", "reference.sha256", "", "their sha256"),
    Column("reference_source", "reference.source", "", "the image folder they were computed from, if any"),
    Column("reference_images", "reference.count", "d", "images behind them, where known"),
    Column("resize", "resize", "", "how images are resized to the Inception input (299 × 299)"),
    Column("note", _note, "", "what is not configured (the keys to set) and the limits of the figures, `; `-separated"),
    Column("seconds", "seconds", ".1f", "seconds the metrics took"),
)

COMPARE = (
    MODEL,
    CHIP,
    BATCH_SIZE,
    Column("throughput_fps", "throughput_fps", ".6g", "this run's throughput (its perf.csv)"),
    Column("baseline_fps", "baseline_fps", ".6g", "the baseline's throughput"),
    Column("ratio", "ratio", ".6g", "this / baseline: the ratio of the geometric means of the two runs' rounds"),
    Column("ratio_ci_low", "ratio_ci_low", ".6g", "lower bound of its 95 % Welch t-interval, on the logarithms"),
    Column("ratio_ci_high", "ratio_ci_high", ".6g", "its upper bound"),
    Column(
        "verdict",
        "verdict",
        "",
        "`faster` or `slower` when the interval excludes 1 and the change is at least `perf_table.min_effect`, "
        "else `same`",
    ),
    Column("rounds", "rounds", "d", "this run's rounds"),
    Column("baseline_rounds", "baseline_rounds", "d", "the baseline's rounds"),
)

# every CSV file of results/tables/: what a row is and what its columns are read from, and its columns
TABLES = {
    "perf.csv": (
        "One row per model, chip and batch size, from its perf record (results/{model}/perf/{chip}/bs{bs}.json: "
        "the rounds combined), the model's weights file and MAC count and the chip's GEMM peak.",
        PERF,
    ),
    "accuracy.csv": (
        "One row per model, chip and batch size, from its accuracy record "
        "(results/{model}/accuracy/{chip}/bs{bs}.json) and the model's weights file.",
        ACCURACY,
    ),
    "quality.csv": (
        "One row per model with a quality metric and source (per model `pth` first), from its quality record "
        "(results/{model}/quality/{source}.json) and the model's weights file.",
        QUALITY,
    ),
    "compare.csv": (
        "One row per model, chip and batch size present in both runs, computed from this run's perf.csv and the "
        "baseline's (`snakemake results/tables/compare.csv --config baseline=<perf.csv>`).",
        COMPARE,
    ),
}
