"""Stage `quality`: Inception Score and FID of one source's images (the PyTorch reference
`pth`, or a chip's outputs), by the procedure of the model's registry quality kind.

Without Inception weights (or, for FID, without reference statistics) the record says
"not configured" instead of a number.

By hand:  python scripts/score-quality.py --model biggan --source pth --outputs results/biggan/reference \
              --out q.json --inception inception_v3_google.pth --reference I128_inception_moments.npz
"""

import time
from typing import Annotated

import numpy as np

from ganinfer import cli, registry
from ganinfer.errors import NOT_CONFIGURED, InputError
from ganinfer.fileio import list_bins, read_bin, sha256_of, write_json
from ganinfer.quality import (
    FID_MIN_SAMPLES,
    chunks,
    frechet_distance,
    gaussian_stats,
    inception_score,
    read_stats,
    softmax,
    unit_image,
)


def measure(record, spec, q, outputs, inception, reference, splits, batch):
    """Fill ``record`` with the metrics the configuration allows (inputs are checked before the Inception runs)."""
    import torch

    from ganinfer import inception as inc

    ref_key = f"quality.reference.{spec.name}"
    fix = f"fix {ref_key} (an .npz with mu and sigma, or an image folder)"
    net = inc.load(inception, q.network, q.weights_key)
    record["inception"].update(file=str(inception), sha256=sha256_of(inception))
    if "fid" in q.metrics and reference:
        mu_ref, sigma_ref, extra = read_stats(reference, inc.POOL_DIM, fix)
        record["reference"] = {"file": str(reference), "sha256": sha256_of(reference), **extra}
    elif "fid" in q.metrics:
        record["not_configured"].append(ref_key)
    files = list_bins(outputs)
    images = (
        [unit_image(read_bin(f, spec.output.shape), q.images, spec.postprocess) for f in part]
        for part in chunks(files, batch)
    )
    pool, logits = inc.extract(net, images)
    if not (np.isfinite(pool).all() and np.isfinite(logits).all()):
        raise InputError(
            f"{outputs}: the Inception features are not finite (NaN or inf in the images); re-run inference"
        )
    n = record["images"] = len(files)
    if "is" in q.metrics:
        used = splits if n >= splits else 1
        if used != splits:
            record["notes"].append(f"N={n} < {splits}: IS over 1 split")
        mean, std = inception_score(softmax(logits), used)
        record.update(is_status="ok", is_mean=mean, is_std=std, is_splits=used)
    if record["reference"] and n < 2:
        record["fid_status"] = "n/a"
        record["notes"].append(f"N={n}: FID needs at least 2 images")
    elif record["reference"]:
        try:
            fid = frechet_distance(*gaussian_stats(pool), mu_ref, sigma_ref)
        except ValueError as exc:
            raise InputError(f"{reference}: {exc}; {fix}") from None
        record.update(fid_status="ok", fid=fid)
        if n < FID_MIN_SAMPLES:
            record["notes"].append(f"N={n} <= {FID_MIN_SAMPLES - 1}: rank-deficient covariance, FID not comparable")
        count = record["reference"]["count"]
        if count is not None and count < FID_MIN_SAMPLES:
            record["notes"].append(f"reference N={count} <= {FID_MIN_SAMPLES - 1}")
    record["torch_version"] = torch.__version__


def run(
    model: str,
    source: Annotated[str, cli.Arg(help="pth (the PyTorch reference) or the chip of the outputs")],
    outputs: Annotated[str, cli.Arg(help="folder of <stem>_0.bin generator outputs")],
    out: Annotated[str, cli.Arg(help="json record")],
    splits: Annotated[int, cli.Setting("quality.is_splits")],
    batch: Annotated[int, cli.Setting("quality.batch")],
    inception: Annotated[
        str | None, cli.Arg(help="Inception weights of the procedure (absent: not configured)")
    ] = None,
    reference: Annotated[str | None, cli.Arg(help="FID reference .npz, mu and sigma (absent: not configured)")] = None,
    bs: Annotated[int | None, cli.Arg(help="batch size of the chip's outputs")] = None,
    threads: int = 1,
):
    chip, _, tail = source.partition("_bs")
    if tail:  # the workflow's {chip}_bs{bs}
        source, bs = chip, int(tail)
    inception, reference = inception or None, reference or None
    spec, q = registry.get(model), registry.quality(model)
    start = time.perf_counter()
    unset = NOT_CONFIGURED
    record = {
        "model": model,
        "source": source,
        "batch_size": bs,
        "generator": spec.reference if source == "pth" else source,
        "outputs": str(outputs),
        "images": len(list_bins(outputs)),
        "procedure": q.procedure,
        "resize": q.resize,
        "inception": {"variant": q.network, "file": None, "sha256": None},
        "reference": None,
        "is_status": unset if "is" in q.metrics else "not measured",
        "fid_status": unset if "fid" in q.metrics else "not measured",
        "is_mean": None,
        "is_std": None,
        "is_splits": None,
        "fid": None,
        "not_configured": [],
        "notes": [],
    }
    if inception:
        import torch

        torch.set_num_threads(max(1, threads))
        measure(record, spec, q, outputs, inception, reference, splits, batch)
    else:
        record["not_configured"].append(f"quality.{q.weights_key}")
        if "fid" in q.metrics and not reference:
            record["not_configured"].append(f"quality.reference.{model}")
    record["seconds"] = round(time.perf_counter() - start, 3)
    write_json(record, out)
    shown = []
    if record["is_mean"] is not None:
        shown.append(f"IS {record['is_mean']:.4f} ± {record['is_std']:.4f}")
    if record["fid"] is not None:
        shown.append(f"FID {record['fid']:.4f}")
    if record["not_configured"]:
        shown.append(f"{NOT_CONFIGURED}: {', '.join(record['not_configured'])}")
    print(f"{model} {source}: {record['images']} images; {'; '.join(shown)} ({record['seconds']:.1f} s) -> {out}")


if __name__ == "__main__":
    cli.main(run)
