"""Stage `images`: a run's first output .bin files -> one captioned grid PNG.

By hand:  python scripts/draw-grid.py --model dcgan --outputs results/dcgan/outputs/cpu/bs4 \
              --summary results/dcgan/outputs/cpu/bs4_summary.json --grid grid.png \
              [--caption "dcgan cpu bs4, demo weights"] [--inputs results/dcgan/inputs]

Only the first ``images.grid_count`` outputs are read. The caption ends with the user's names of the first
and last image shown when the inputs' manifest has them.
"""

from pathlib import Path
from typing import Annotated

from ganinfer import cli, registry
from ganinfer.fileio import atomic_path, list_bins, read_bin, read_json
from ganinfer.images import captioned, save_png, thumbnail, to_uint8
from ganinfer.images import grid as grid_of
from ganinfer.samples import read_manifest


def run(
    model: str,
    outputs: str,
    summary: str,
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
    files = list_bins(outputs)[:grid_count]
    manifest = read_manifest(inputs)
    shown = [thumbnail(to_uint8(read_bin(f, shape), spec.postprocess)) for f in files]
    names = [manifest.get(f.stem.removesuffix("_0"), {}).get("file") for f in files]
    if names and names[0]:  # the user's names of the first and last image of the grid
        caption = f"{caption} | {names[0]} .. {names[-1]}" if len(names) > 1 else f"{caption} | {names[0]}"
    with atomic_path(Path(grid)) as tmp:
        save_png(captioned(grid_of(shown), caption), tmp)
    print(f"{model}: grid of {len(shown)} ({spec.postprocess}) -> {grid}")


if __name__ == "__main__":
    cli.main(run)
