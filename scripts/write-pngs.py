"""Stage `pngs`: output .bin files -> one PNG per sample.

By hand:  python scripts/write-pngs.py --model dcgan --outputs results/dcgan/outputs/cpu/bs4 \
              --summary results/dcgan/outputs/cpu/bs4_summary.json --pngs pngs [--inputs results/dcgan/inputs]

PNGs are named after the sample's source file when the inputs' manifest has one
(``img1.jpg`` -> ``img1.jpg.png``; ``0001/p.png`` -> ``0001__p.png.png``), else after the output.
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

from ganinfer import cli, registry
from ganinfer.fileio import atomic_dir, list_bins, read_bin, read_json
from ganinfer.images import save_png, to_uint8
from ganinfer.samples import read_manifest


def png_name(output: Path, manifest: dict) -> str:
    """``<source file>.png`` (sub-folders joined by ``__``) when the sample has one, else ``<output stem>.png``."""
    source = manifest.get(output.stem.removesuffix("_0"), {}).get("file")
    return f"{source.replace('/', '__')}.png" if source else f"{output.stem}.png"


def run(
    model: str,
    outputs: str,
    summary: str,
    pngs: str,
    inputs: Annotated[str | None, cli.Arg(help="the inputs folder (its manifest.json names the sources)")] = None,
    threads: int = 1,
):
    spec = registry.get(model)
    shape = tuple(read_json(summary).get("output_shape") or spec.output.shape)
    files = list_bins(outputs)
    manifest = read_manifest(inputs)
    with atomic_dir(Path(pngs)) as tmp:

        def write(f: Path) -> None:
            save_png(to_uint8(read_bin(f, shape), spec.postprocess), tmp / png_name(f, manifest))

        with ThreadPoolExecutor(max(1, threads)) as pool:  # PNG encoding releases the GIL
            list(pool.map(write, files))
    print(f"{model}: {len(files)} PNGs ({spec.postprocess}) -> {pngs}")


if __name__ == "__main__":
    cli.main(run)
