"""Stage `plan`: what a configuration leaves on disk, before running it: per model the samples, the files
and bytes kept at the end (inputs, the PyTorch reference, per-sample PNGs, per-run records) and the size of
one device output folder (temp(): each exists from its inference job until its last reader).

Run it through the workflow (it reads the validated config):
    snakemake -j1 results/plan.md --configfile config/full.yaml

Sizes of .bin files are exact (float32 elements of the registry's shapes); a PNG is counted at its
uncompressed size (an upper bound); records (summaries, accuracy files) at their measured bytes per sample.
"""

import math
import os

from ganinfer import backends, cli, registry
from ganinfer import samples as sampling
from ganinfer.fileio import write_text
from ganinfer.workflow import settings

# bytes per sample of one run's records: the inference summary (ais_bench's filesinfo) and the accuracy
# file's per-sample entries, measured on the dcgan and gan runs of docs/full-scale.md
RECORD_BYTES = 400
BLOCK = 4096  # a file takes whole blocks of the file system (4 KiB on ext4 and xfs)


def on_disk(files: int, size: int) -> int:
    """The disk ``files`` files of ``size`` bytes each take, in whole blocks."""
    return files * BLOCK * math.ceil(size / BLOCK)


def sample_count(config: dict, model: str) -> int:
    spec = registry.get(model)
    folder = config["datasets"].get(model)
    available = sampling.available(spec, folder) if folder and spec.dataset else None
    return sampling.count(spec, settings.sample_count(config, model), available, folder)


def weights_size(config: dict, model: str) -> int:
    """The checkpoint's bytes (a configured file, or the demo weights once built), else 0: each ONNX graph
    and .om model is about that size."""
    paths = list(settings.weights_files(config, model).values()) or [f"resources/weights/{model}.pth"]
    return sum(os.path.getsize(p) for p in paths if os.path.exists(p))


def model_plan(config: dict, model: str) -> dict:
    spec = registry.get(model)
    n = sample_count(config, model)
    sizes, chips = settings.batch_sizes(config, model), config["chips"]
    runs = len(sizes) * len(chips)
    out_bytes = 4 * math.prod(spec.output.shape)
    png_runs = len(chips) * len(settings.png_batch_sizes(config, model))
    channels, height, width = spec.output.shape[-3:]
    ascend = sum(backends.classify(c, config["ascend"]["runtime"]).runner == "ais_bench" for c in chips)
    graphs = 1 + len(sizes) + ascend * len(sizes)  # the export, one simplified graph per batch size, the .om
    kept = [
        (n, 4 * math.prod(t.shape))
        for t in spec.inputs  # inputs
    ] + [
        (n, out_bytes),  # the reference
        (n * png_runs, channels * height * width),  # PNGs, uncompressed
        (2 * runs, n * RECORD_BYTES // 2),  # summaries and accuracy files
        (graphs, weights_size(config, model)),
    ]
    return {
        "model": model,
        "samples": n,
        "runs": runs,
        "kept_files": sum(files for files, _ in kept),
        "kept_bytes": sum(on_disk(files, size) for files, size in kept),
        "output_folder_bytes": on_disk(n, out_bytes),
        "weights_known": weights_size(config, model) > 0,
    }


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return ""


def run(config: dict, out: str):
    plans = [model_plan(config, m) for m in config["models"]]
    lines = [
        "| model | samples | runs (chip × batch size) | files kept | disk kept (at most) | one device output folder |",
        "|---|---|---|---|---|---|",
    ]
    for p in plans:
        lines.append(
            f"| {p['model']} | {p['samples']:,} | {p['runs']} | {p['kept_files']:,} | {human(p['kept_bytes'])} "
            f"| {human(p['output_folder_bytes'])} |"
        )
    files, kept = sum(p["kept_files"] for p in plans), sum(p["kept_bytes"] for p in plans)
    largest = max(p["output_folder_bytes"] for p in plans)
    lines += [
        f"| all | | {sum(p['runs'] for p in plans)} | {files:,} | {human(kept)} | {human(largest)} |",
        "",
        f"Peak: the kept total plus one device output folder per inference job running at once (here at most "
        f"{human(kept + largest)} with one). Disk in 4 KiB blocks, PNGs uncompressed.",
    ]
    unknown = [p["model"] for p in plans if not p["weights_known"]]
    if unknown:
        lines.append(
            f"Not counted: the ONNX graphs and .om models of {', '.join(unknown)} (about the weights' size each; "
            "their weights are not built yet: `snakemake -j1 "
            + " ".join(f"resources/weights/{m}.pth" for m in unknown)
            + "` builds them)."
        )
    write_text("\n".join(lines) + "\n", out)
    print("\n".join(lines))


if __name__ == "__main__":
    cli.main(run)
