"""Stage `accuracy`: device outputs vs the reference (the PyTorch generator, or for a model declared in the
config ONNX Runtime CPU fp32 on its original graph), per sample.

By hand:  python scripts/score-accuracy.py --model dcgan --chip cpu --bs 4 --outputs results/dcgan/outputs/cpu/bs4 \
              --reference results/dcgan/reference --out acc.json [--threshold 0.99]
"""

from typing import Annotated

from ganinfer import cli, registry
from ganinfer.accuracy import compare_folders
from ganinfer.fileio import read_json, write_json
from ganinfer.samples import display_name, read_manifest


def run(
    model: str,
    chip: str,
    bs: int,
    outputs: str,
    reference: str,
    out: str,
    threshold: Annotated[float, cli.Setting("accuracy.threshold")],
    summary: Annotated[str | None, cli.Arg(help="the inference summary json (gives the backend column)")] = None,
    inputs: Annotated[str | None, cli.Arg(help="the inputs folder (its manifest.json names the sources)")] = None,
    threads: int = 1,
):
    spec = registry.get(model)
    shape = spec.output.shape if "channel_cosine" in spec.accuracy else None
    rec = compare_folders(outputs, reference, threshold, shape, workers=threads)
    manifest = read_manifest(inputs)  # the user's file names in place of the sample stems
    if manifest:
        for s in rec["per_sample"]:
            s["source"] = display_name(s["name"].removesuffix("_0.bin"), manifest)
        stem = rec["worst_sample"].removesuffix("_0.bin")
        if manifest.get(stem, {}).get("file"):
            rec["worst_sample"] = display_name(stem, manifest)
    rec = {
        "model": model,
        "chip": chip,
        "batch_size": bs,
        "backend": read_json(summary).get("backend", "") if summary else "",
        "reference": spec.reference,
        **rec,
    }
    write_json(rec, out)
    verdict = "PASS" if rec["passed"] else "FAIL"
    print(
        f"{model} {chip} bs{bs}: mean cos {rec['mean_cosine']:.6f}, min cos {rec['min_cosine']:.6f}, "
        f"mean |diff| {rec['mean_abs_diff']:.3e}, acc {rec['acc_percent']:.2f}% -> {verdict} (>= {threshold})"
    )


if __name__ == "__main__":
    cli.main(run)
