"""Stage `weights`: verify the configured checkpoint, or build demo weights.

Writes ``<out>`` (the checkpoint in its real layout) and ``<info>`` (json: demo or
real, sha256, source path, architecture read from the tensor shapes).

By hand:  python scripts/prepare-weights.py --model dcgan --out resources/weights/dcgan.pth \
              --info resources/weights/dcgan.json [--path ckpt.pth --sha256 HEX] [--seed 0]
"""

import shutil
from typing import Annotated

from ganinfer import checkpoint, cli, networks, registry
from ganinfer.errors import InputError
from ganinfer.fileio import atomic_path, sha256_of, write_json


def parts(values):
    """``["gen_a=/x/gen.pt", "id_a=/x/id.pt"]`` -> dict; a single plain value stays a string."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    return dict(v.split("=", 1) for v in values)


def run(
    model: str,
    out: str,
    info: str,
    seed: Annotated[int, cli.Setting("seed")],
    path: Annotated[
        str | dict | None,
        cli.Arg(
            action="append",
            convert=parts,
            help="configured checkpoint (PART=FILE, repeated, for several-file models); absent = demo",
        ),
    ] = None,
    sha256: Annotated[
        str | dict | None,
        cli.Arg(action="append", convert=parts, help="its sha256 (PART=HEX, repeated, for several-file models)"),
    ] = None,
    architecture: Annotated[dict | None, cli.Arg(help="demo network overrides as JSON, e.g. '{\"ch\": 8}'")] = None,
):
    spec = registry.get(model)
    if isinstance(path, dict):  # a checkpoint in several files: {part: file}
        sha256 = sha256 or {}
        if not isinstance(sha256, dict):
            raise InputError(f"weights.{model}.sha256 must map each part to its checksum, like weights.{model}.path")
        digest = {part: checkpoint.verify_file(spec, p, sha256.get(part), part) for part, p in path.items()}
        _, hparams = networks.load_generator(spec, path)
        checkpoint.save_atomic(checkpoint.read_checkpoint(spec, path), out)
        record = {"model": model, "weights": "real", "source": path, "sha256": digest, "hparams": hparams}
    elif path:
        digest = checkpoint.verify_file(spec, path, sha256)
        _, hparams = networks.load_generator(spec, path)
        with atomic_path(out) as tmp:
            shutil.copyfile(path, tmp)
        record = {"model": model, "weights": "real", "source": path, "sha256": digest, "hparams": hparams}
    else:
        checkpoint.save_atomic(networks.demo_checkpoint(spec, seed, architecture), out)
        _, hparams = networks.load_generator(spec, out)
        record = {
            "model": model,
            "weights": "demo",
            "source": f"seeded init, seed {seed} ({networks.demo_seed(spec, seed)} for this model)",
            "sha256": sha256_of(out),
            "hparams": hparams,
        }
    write_json(record, info)
    print(f"{model}: {record['weights']} weights, {hparams}")


if __name__ == "__main__":
    cli.main(run)
