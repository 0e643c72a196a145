"""Ascend path: the values of the ATC and ais_bench command lines, and reading what ais_bench writes.

The rules (rules/compile.smk, rules/infer.smk) write the commands out, so ``snakemake -n -p`` shows them
exactly; this module gives their values from the registry and the config, and turns ais_bench's output
folder and summary json (both layouts) into the workflow's common files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ganinfer import registry
from ganinfer.errors import InputError
from ganinfer.fileio import atomic_dir, output_name, read_json, write_json
from ganinfer.inputs import InputSet
from ganinfer.spec import ModelSpec
from ganinfer.workflow.tracking import declaration_path


def input_shape(spec: ModelSpec, bs: int) -> str:
    """ATC's ``name:d0,d1,...;name2:...`` with the batch fixed."""
    return ";".join(f"{t.name}:{','.join(map(str, t.batch_shape(bs)))}" for t in spec.inputs)


def option(name: str, value) -> str:
    """ATC's ``--name=value``, or nothing when the value is unset (the option is left out)."""
    return f"--{name}={value}" if value else ""


def configfile_option(model: str) -> str:
    """``--configfile <the model's declaration>`` for a declared model (the stage scripts read it), or nothing
    for a built-in one."""
    return f"--configfile {declaration_path(model)}" if registry.get(model).onnx else ""


def not_found(tool: str, set_env: str) -> str:
    """The one line an Ascend rule logs when ``tool`` (``atc``, ``ais_bench``) is still missing after it
    sourced CANN's set_env.sh (config ascend.set_env); Snakemake shows the log last for the failed job."""
    hint = {
        "atc": f"atc not found: source the CANN toolkit's set_env.sh (config ascend.set_env, now {set_env}) "
        "or install the CANN toolkit on this node",
        "ais_bench": "ais_bench not found: install the aclruntime and ais_bench wheels "
        "(Ascend/tools, ais-bench_workload/tool/ais_bench) in this environment and source CANN's set_env.sh "
        f"(config ascend.set_env, now {set_env})",
    }[tool]
    return f"error: {hint}"


# ---- reading ais_bench's results ----------------------------------------------------


def find_summary(raw_dir: str | Path) -> Path:
    """``<dir>_summary.json`` beside the folder (2022-11 and later) or ``<dir>/sumary.json``
    inside it (ais_infer 2022-09 and earlier)."""
    raw_dir = Path(raw_dir)
    for path in (raw_dir.with_name(raw_dir.name + "_summary.json"), raw_dir / "sumary.json"):
        if path.is_file():
            return path
    raise InputError(
        f"{raw_dir}: no ais_bench summary ({raw_dir.name}_summary.json beside it or sumary.json inside); "
        "see the rule's log for ais_bench's own error"
    )


def _raw_names(spec: ModelSpec, inputs: InputSet) -> dict[str, str]:
    """Sample stem -> the output file ais_bench writes for it (output 0), by its naming rule; fails on the
    first two samples that get the same name."""
    first = spec.inputs[0].name
    names: dict[str, str] = {}
    owner: dict[str, str] = {}
    for stem, path in zip(inputs.stems, inputs.files[first], strict=True):
        name = output_name(path, 0)
        if name in owner:
            raise InputError(
                f"{inputs.root / first}: samples {owner[name]}.bin and {stem}.bin both become {name} "
                "(ais_bench names outputs by the input name cut at its first dot, so one would overwrite the "
                "other); give the samples unique dot-free names and re-run preprocess"
            )
        owner[name] = stem
        names[stem] = name
    return names


def _check_filesinfo(record: dict, spec: ModelSpec, inputs: InputSet, names: dict[str, str], where: Path) -> None:
    """ais_bench's summary says, per sample id, which input files it read and which outputs it wrote:
    every sample exactly once, with its own files, and nothing else."""
    by_file = {p.name: k for k, p in enumerate(inputs.files[spec.inputs[0].name])}
    seen: dict[str, str] = {}
    for sample_id, entry in (record.get("filesinfo") or {}).items():
        infiles = entry.get("infiles") or []
        if not infiles:
            raise InputError(f"{where}: ais_bench summary lists sample {sample_id} without input files")
        k = by_file.get(Path(infiles[0]).name)
        if k is None:
            raise InputError(
                f"{where}: ais_bench read {infiles[0]}, which is not a sample of {inputs.root} (only .bin samples "
                "belong in an input folder; ais_bench also reads .BIN, .npy and .NPY files): remove it"
            )
        stem = inputs.stems[k]
        if stem in seen:
            raise InputError(f"{where}: ais_bench read sample {stem} twice (sample ids {seen[stem]} and {sample_id})")
        seen[stem] = sample_id
        expected = [str(inputs.files[t.name][k]) for t in spec.inputs]
        if [Path(f).name for f in infiles] != [Path(f).name for f in expected]:
            raise InputError(
                f"{where}: ais_bench fed sample {stem} with {', '.join(infiles)} (expected {', '.join(expected)}); "
                "every input folder needs the same sample names in the same order"
            )
        outfiles = [Path(f).name for f in entry.get("outfiles") or []]
        if outfiles != [names[stem]]:
            raise InputError(
                f"{where}: ais_bench wrote {', '.join(outfiles) or 'no file'} for sample {stem}, expected "
                f"{names[stem]}; the workflow handles one output tensor per model"
            )
    if record.get("filesinfo") is not None and len(seen) != len(inputs.stems):
        first = next(s for s in inputs.stems if s not in seen)
        raise InputError(
            f"{where}: ais_bench ran {len(seen)} of {len(inputs.stems)} samples (first left out: {first}.bin); "
            "see the rule's log"
        )


def collect_outputs(spec: ModelSpec, inputs_root: str, raw_dir: str, out: str, summary: str, extra: dict) -> dict:
    """Move ais_bench's outputs into ``out`` (``<stem>_0.bin`` per input sample) and write the summary with
    the workflow's extra fields (``filesinfo`` pointing at the moved files).

    The mapping must be one-to-one: each sample's output name under ais_bench's rule (input name cut at
    its first dot, ``_0.bin``) is unique, the summary's ``filesinfo`` lists every sample once with its own
    files, and the folder holds exactly those outputs. Otherwise one line names the first colliding,
    missing or extra file. Success or failure, ais_bench's folder and summary are removed."""
    raw = Path(raw_dir)
    try:
        inputs = InputSet(spec, inputs_root)
        names = _raw_names(spec, inputs)
        summary_path = find_summary(raw)
        record = read_json(summary_path)
        _check_filesinfo(record, spec, inputs, names, summary_path)
        written = {p.name for p in raw.iterdir() if p.name != "sumary.json"} if raw.is_dir() else set()
        missing = [s for s in inputs.stems if names[s] not in written]
        if missing:
            raise InputError(
                f"{raw}: ais_bench wrote no output for {len(missing)} of {len(inputs.stems)} samples (first: "
                f"{missing[0]}.bin, expected {names[missing[0]]}); see the rule's log"
            )
        extra_files = sorted(written - set(names.values()))
        if extra_files:
            raise InputError(
                f"{raw}: {extra_files[0]} (and {len(extra_files) - 1} more) belongs to no input sample; "
                "the workflow handles one output tensor per model"
            )
        with atomic_dir(Path(out)) as tmp:
            for s in inputs.stems:
                os.replace(raw / names[s], tmp / f"{s}_0.bin")
        stem_of = {name: stem for stem, name in names.items()}
        for entry in (record.get("filesinfo") or {}).values():
            entry["outfiles"] = [str(Path(out) / f"{stem_of[Path(entry['outfiles'][0]).name]}_0.bin")]
        record.update(
            {
                "model": spec.name,
                "samples": len(inputs.stems),
                "output_shape": list(spec.output.shape),
                "throughput": record.get("throughput", 0.0),
                "NPU_compute_time": record.get("NPU_compute_time", {}),
                **extra,
            }
        )
        write_json(record, summary)
        return record
    finally:
        remove_raw(raw)


def remove_raw(raw_dir: str | Path) -> None:
    """Delete an ais_bench output folder and the summary beside it."""
    raw = Path(raw_dir)
    shutil.rmtree(raw, ignore_errors=True)
    raw.with_name(raw.name + "_summary.json").unlink(missing_ok=True)


def ais_versions() -> dict:
    """ais_bench / aclruntime wheel versions and the CANN toolkit folder (its real path names the version)."""
    from importlib import metadata

    found = {}
    for name in ("ais_bench", "aclruntime"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    home = os.environ.get("ASCEND_TOOLKIT_HOME")
    found["cann"] = os.path.realpath(home) if home else "unknown (ASCEND_TOOLKIT_HOME unset)"
    return found


def timed_latencies(raw_dir: str) -> tuple[list[float], dict]:
    """Per-execution NPU compute times (ms) of a timed ais_bench run, and its summary."""
    summary = read_json(find_summary(raw_dir))
    times = summary.get("npu_compute_time_list")
    if not times:
        raise InputError(
            f"{find_summary(raw_dir)}: no npu_compute_time_list (an ais_infer before 2022-11?); "
            "use ais_bench 0.0.2 or later for timed runs"
        )
    return [float(t) for t in times], summary
