"""Stage `images`: output .bin files -> one PNG per sample and a captioned grid PNG.

By hand:  python scripts/images.py --model dcgan --outputs results/dcgan/outputs/cpu/bs4 \
              --summary results/dcgan/outputs/cpu/bs4_summary.json --out pngs --grid grid.png \
              [--caption "dcgan cpu bs4, demo weights"] [--inputs results/dcgan/inputs]

PNGs are named after the sample's source file when the inputs' manifest has one
(``img1.jpg`` -> ``img1.jpg.png``; ``0001/p.png`` -> ``0001__p.png.png``), else after the output.
"""

from pathlib import Path
from typing import Annotated

from ganinfer import cli, registry
from ganinfer.fileio import atomic_dir, atomic_path, list_bins, read_bin, read_json
from ganinfer.images import captioned, save_png, thumbnail, to_uint8
from ganinfer.images import grid as grid_of
from ganinfer.samples import read_manifest


def png_name(output: Path, manifest: dict) -> str:
    """``<source file>.png`` (sub-folders joined by ``__``) when the sample has one, else ``<output stem>.png``."""
    source = manifest.get(output.stem.removesuffix("_0"), {}).get("file")
    return f"{source.replace('/', '__')}.png" if source else f"{output.stem}.png"


def run(
    model: str,
    outputs: str,
    summary: str,
    out: str,
    grid: str,
    grid_count: Annotated[int, cli.Setting("images.grid_count")],
    caption: str = "",
    inputs: Annotated[str | None, cli.Arg(help="the inputs folder (its manifest.json names the sources)")] = None,
    weights_info: Annotated[
        str | None, cli.Arg(help="weights json: the workflow caption (model | chip | bs | weights)")
    ] = None,
    chip: str = "",
    bs: int = 0,
):
    if weights_info:  # the workflow's caption
        caption = f"{model} | {chip} | bs{bs} | {read_json(weights_info)['weights']} weights"
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
    with atomic_path(Path(grid)) as tmp:
        save_png(captioned(grid_of(first), caption), tmp)
    print(f"{model}: {len(files)} PNGs ({spec.postprocess}) -> {out}; grid of {len(first)} -> {grid}")


if __name__ == "__main__":
    cli.main(run)
