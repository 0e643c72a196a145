"""Stage `weights`: verify the configured checkpoint, or build demo weights.

Writes ``<out>`` (the checkpoint in its real layout) and ``<info>`` (json: demo or
real, sha256, source path, architecture read from the tensor shapes).

By hand:  python scripts/weights.py --model dcgan --out resources/weights/dcgan.pth \
              --info resources/weights/dcgan.json [--path ckpt.pth --sha256 HEX] [--seed 0]
"""

import argparse
import json
import shutil

from ganinfer import checkpoint, cli, registry
from ganinfer.errors import InputError
from ganinfer.fileio import atomic_path, write_json


def run(model, out, info, path=None, sha256=None, seed=0, architecture=None):
    spec = registry.get(model)
    if isinstance(path, dict):  # a checkpoint in several files: {part: file}
        sha256 = sha256 or {}
        if not isinstance(sha256, dict):
            raise InputError(f"weights.{model}.sha256 must map each part to its checksum, like weights.{model}.path")
        digest = {part: checkpoint.verify_file(spec, p, sha256.get(part), part) for part, p in path.items()}
        _, hparams = checkpoint.load_generator(spec, path)
        checkpoint.save_atomic(checkpoint.read_checkpoint(spec, path), out)
        record = {"model": model, "weights": "real", "source": path, "sha256": digest, "hparams": hparams}
    elif path:
        digest = checkpoint.verify_file(spec, path, sha256)
        _, hparams = checkpoint.load_generator(spec, path)
        with atomic_path(out) as tmp:
            shutil.copyfile(path, tmp)
        record = {"model": model, "weights": "real", "source": path, "sha256": digest, "hparams": hparams}
    else:
        checkpoint.save_atomic(checkpoint.demo_checkpoint(spec, seed, architecture), out)
        _, hparams = checkpoint.load_generator(spec, out)
        record = {
            "model": model,
            "weights": "demo",
            "source": f"seeded init, seed {seed} ({checkpoint.demo_seed(spec, seed)} for this model)",
            "sha256": checkpoint.sha256_of(out),
            "hparams": hparams,
        }
    write_json(record, info)
    print(f"{model}: {record['weights']} weights, {hparams}")


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--info", required=True)
    p.add_argument(
        "--path",
        action="append",
        help="configured checkpoint (PART=FILE, repeated, for several-file models); absent = demo",
    )
    p.add_argument("--sha256", action="append", help="its sha256 (PART=HEX, repeated, for several-file models)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--architecture", type=json.loads, help="demo network overrides as JSON, e.g. '{\"ch\": 8}'")
    return cli.add_log(p)


def _parts(values):
    """``["gen_a=/x/gen.pt", "id_a=/x/id.pt"]`` -> dict; a single plain value stays a string."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    return dict(v.split("=", 1) for v in values)


def _cli_run(path, sha256, **kw):
    run(path=_parts(path), sha256=_parts(sha256), **kw)


def from_snakemake(smk):
    return dict(
        model=smk.wildcards.model,
        out=smk.output.weights,
        info=smk.output.info,
        path=smk.params.path,
        sha256=smk.params.sha256,
        seed=smk.params.seed,
        architecture=smk.params.architecture,
    )


if __name__ == "__main__":
    smk = globals().get("snakemake")
    cli.main(run if smk else _cli_run, parser, smk, from_snakemake)
