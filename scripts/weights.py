"""Stage `weights`: verify the configured checkpoint, or build demo weights.

Writes ``<out>`` (the checkpoint in its real layout) and ``<info>`` (json: demo or
real, sha256, source path, architecture read from the tensor shapes).

By hand:  python scripts/weights.py --model dcgan --out resources/weights/dcgan.pth \
              --info resources/weights/dcgan.json [--path ckpt.pth --sha256 HEX] [--seed 0]
"""

import argparse
import shutil

from ganinfer import checkpoint, cli, registry
from ganinfer.fileio import atomic_path, write_json


def run(model, out, info, path=None, sha256=None, seed=0):
    spec = registry.get(model)
    if path:
        digest = checkpoint.verify_file(spec, path, sha256)
        _, hparams = checkpoint.load_generator(spec, path)
        with atomic_path(out) as tmp:
            shutil.copyfile(path, tmp)
        record = {"model": model, "weights": "real", "source": path, "sha256": digest, "hparams": hparams}
    else:
        checkpoint.save_atomic(checkpoint.demo_checkpoint(spec, seed), out)
        _, hparams = checkpoint.load_generator(spec, out)
        record = {
            "model": model,
            "weights": "demo",
            "source": f"seeded init, seed {seed}",
            "sha256": checkpoint.sha256_of(out),
            "hparams": hparams,
        }
    write_json(record, info)
    print(f"{model}: {record['weights']} weights, {hparams}, sha256 {record['sha256'][:12]}")


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--info", required=True)
    p.add_argument("--path", help="configured checkpoint; absent = demo weights")
    p.add_argument("--sha256")
    p.add_argument("--seed", type=int, default=0)
    return cli.add_log(p)


def from_snakemake(smk):
    return dict(
        model=smk.wildcards.model,
        out=smk.output.weights,
        info=smk.output.info,
        path=smk.params.path,
        sha256=smk.params.sha256,
        seed=smk.params.seed,
    )


if __name__ == "__main__":
    cli.main(run, parser, globals().get("snakemake"), from_snakemake)
