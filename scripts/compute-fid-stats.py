"""Stage `quality_stats`: FID reference statistics (mu, sigma of the pool3 features) of an
image folder, by the procedure of the model's quality kind; computed once and cached.

Every image under the folder (sub-folders included, natural order) is read as 8-bit RGB,
scaled to [0, 1] and resized to 299 x 299 on its own, as the generated images are.

By hand:  python scripts/compute-fid-stats.py --model dgnet --images Market/pytorch/train_all \
              --inception pt_inception-2015-12-05-6726825d.pth --out dgnet_reference.npz
"""

import time
from typing import Annotated

from ganinfer import cli, registry
from ganinfer.quality import chunks, gaussian_stats, image_files, read_image, skipped_reference_files, write_stats


def run(
    model: Annotated[str, cli.Arg(help="model whose quality procedure (network, resize) is used")],
    images: Annotated[str, cli.Arg(help="folder of reference images")],
    inception: Annotated[str, cli.Arg(help="Inception weights of the procedure")],
    out: Annotated[str, cli.Arg(help=".npz with mu, sigma, count, source")],
    batch: Annotated[int, cli.Setting("quality.batch")],
    threads: int = 1,
):
    import torch

    from ganinfer import inception as inc

    torch.set_num_threads(max(1, threads))
    start = time.perf_counter()
    q = registry.quality(model)
    net = inc.load(inception, q.network, q.weights_key)
    files = image_files(images)
    for name in skipped_reference_files(images):
        print(f"{model}: skipped {images}/{name}: not one of the image types read")
    pool, _ = inc.extract(net, ([read_image(f) for f in part] for part in chunks(files, batch)))
    mu, sigma = gaussian_stats(pool)
    write_stats(out, mu, sigma, len(files), str(images))
    print(f"{model}: FID statistics of {len(files)} images in {images} ({time.perf_counter() - start:.1f} s) -> {out}")


if __name__ == "__main__":
    cli.main(run)
