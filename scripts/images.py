"""Stage `images`: output .bin files -> one PNG per sample and a captioned grid PNG.

By hand:  python scripts/images.py --model dcgan --outputs results/dcgan/outputs/cpu/bs4 \
              --summary results/dcgan/outputs/cpu/bs4_summary.json --out pngs --grid grid.png \
              [--caption "dcgan cpu bs4, demo weights"] [--inputs results/dcgan/inputs]

PNGs are named after the sample's source file when the inputs' manifest has one
(``img1.jpg`` -> ``img1.jpg.png``; ``0001/p.png`` -> ``0001__p.png.png``), else after the output.
"""

import argparse
from pathlib import Path

from ganinfer import cli, registry
from ganinfer.fileio import atomic_dir, atomic_path, list_bins, read_bin, read_json
from ganinfer.images import captioned, grid, save_png, thumbnail, to_uint8
from ganinfer.samples import read_manifest


def png_name(output: Path, manifest: dict) -> str:
    """``<source file>.png`` (sub-folders joined by ``__``) when the sample has one, else ``<output stem>.png``."""
    source = manifest.get(output.stem.removesuffix("_0"), {}).get("file")
    return f"{source.replace('/', '__')}.png" if source else f"{output.stem}.png"


def run(model, outputs, summary, out, grid_png, caption="", grid_count=64, inputs=None):
    spec = registry.get(model)
    shape = tuple(read_json(summary).get("output_shape") or spec.output.shape)
    files = list_bins(outputs)
    manifest = read_manifest(inputs)
    first, shown = [], []
    with atomic_dir(Path(out)) as tmp:
        for k, f in enumerate(files):
            pixels = to_uint8(read_bin(f, shape), spec.postprocess)
            save_png(pixels, tmp / png_name(f, manifest))
            if k < grid_count:
                first.append(thumbnail(pixels))
                shown.append(manifest.get(f.stem.removesuffix("_0"), {}).get("file"))
    if shown and shown[0]:  # the user's names of the first and last image of the grid
        caption = f"{caption} | {shown[0]} .. {shown[-1]}" if len(shown) > 1 else f"{caption} | {shown[0]}"
    with atomic_path(Path(grid_png)) as tmp:
        save_png(captioned(grid(first), caption), tmp)
    print(f"{model}: {len(files)} PNGs ({spec.postprocess}) -> {out}; grid of {len(first)} -> {grid_png}")


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--outputs", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--grid", dest="grid_png", required=True)
    p.add_argument("--caption", default="")
    p.add_argument("--grid-count", type=int, default=64)
    p.add_argument("--inputs", help="the inputs folder (its manifest.json gives the source file names)")
    return cli.add_log(p)


def from_snakemake(smk):
    w = smk.wildcards
    weights = read_json(smk.input.weights_info)["weights"]
    return dict(
        model=w.model,
        outputs=smk.input.outputs,
        summary=smk.input.summary,
        out=smk.output.images,
        grid_png=smk.output.grid,
        caption=f"{w.model} | {w.chip} | bs{w.bs} | {weights} weights",
        grid_count=smk.params.grid_count,
        inputs=smk.input.inputs,
    )


if __name__ == "__main__":
    cli.main(run, parser, globals().get("snakemake"), from_snakemake)
