"""Ascend path: the ATC and ais_bench command lines, and reading what ais_bench writes.

The rules run the commands as shell lines (so ``snakemake -n -p`` shows them exactly);
this module builds them from the registry and turns ais_bench's output folder and
summary json (both layouts) into the workflow's common files.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from ganinfer import registry
from ganinfer.backends import KEEP_DTYPE_CFG
from ganinfer.errors import InputError
from ganinfer.fileio import atomic_dir, output_name, read_json, write_json
from ganinfer.inputs import InputSet
from ganinfer.spec import ModelSpec
from ganinfer.workflow.tracking import declaration_path


def input_shape(spec: ModelSpec, bs: int) -> str:
    """ATC's ``name:d0,d1,...;name2:...`` with the batch fixed."""
    return ";".join(f"{t.name}:{','.join(map(str, t.batch_shape(bs)))}" for t in spec.inputs)


def atc_args(
    spec: ModelSpec,
    onnx: str,
    output_prefix: str,
    bs: int,
    chip: str,
    precision_mode: str | None = None,
    keep_dtype_file: str | None = None,
    keep_dtype: str = "registry",
) -> list[str]:
    """``atc`` arguments as the guides use them plus the registry's model-specific extras.

    ATC appends ``.om`` to ``--output`` itself (newer CANN may add ``_<os>_<arch>``). ``keep_dtype``
    (config ``ascend.keep_dtype``): ``registry`` passes ``keep_dtype_file`` when the model lists operators;
    ``auto`` passes ``KEEP_VAR``, the rule's shell variable that holds ``--keep_dtype=<the search's file>``
    when that file names any operator (``RuleShells.keep_dtype``) and is empty otherwise.
    """
    args = [
        "atc",
        "--framework=5",
        f"--model={onnx}",
        f"--output={output_prefix}",
        f"--input_shape={input_shape(spec, bs)}",
        f"--soc_version={chip}",
        "--log=error",
    ]
    if spec.atc.input_format:
        args.append(f"--input_format={spec.atc.input_format}")
    if spec.atc.out_nodes:
        args.append(f"--out_nodes={spec.atc.out_nodes}")
    if keep_dtype == "auto":
        args.append(KEEP_VAR)
    elif spec.atc.keep_dtype:
        if not keep_dtype_file:
            raise ValueError(f"{spec.name}: the registry lists keep_dtype operators; pass the file to write them to")
        args.append(f"--keep_dtype={keep_dtype_file}")
    if precision_mode:
        args.append(f"--precision_mode={precision_mode}")
    return args


def ais_bench_args(
    om: str,
    bs: int,
    output: str,
    dirname: str,
    device: int = 0,
    inputs: list[str] | None = None,
    loop: int | str | None = None,
    warmup_count: int | None = None,
) -> list[str]:
    """``python3 -m ais_bench``: with ``inputs`` (folders in the model's input order) the
    accuracy run; with ``loop`` (a count, or ``LOOP_VAR`` for the shell's calibrated one) a
    timed run on ais_bench's own data (one batch executed ``loop`` times)."""
    args = ["python3", "-m", "ais_bench", "--model", om]
    if inputs:
        args += ["--input", ",".join(inputs)]
    args += ["--output", output, "--output_dirname", dirname, "--outfmt", "BIN", "--batchsize", str(bs)]
    if loop is not None:
        args += ["--loop", str(loop), "--warmup_count", str(warmup_count or 0), "--display_all_summary", "1"]
    args += ["--device", str(device)]
    return args


# the timed run's --loop, computed in the rule's shell from the probe run
LOOP_VAR = '"$loop"'
# ATC's --keep_dtype option with the keep-list search's file, or nothing when the file is empty
KEEP_VAR = '${keep:+"$keep"}'


def shell(args: list[str]) -> str:
    """One shell line; ``LOOP_VAR`` and ``KEEP_VAR`` stay unquoted so the shell expands them."""
    return " ".join(a if a in (LOOP_VAR, KEEP_VAR) else shlex.quote(a) for a in args)


# a command that fails while the tool is missing
TOOL_PROBES = {"atc": "command -v atc", "ais_bench": "python3 -c 'import ais_bench'"}


def setup_lines(tool: str, set_env: str) -> str:
    """Shell that sources CANN's set_env.sh (config ascend.set_env) when present, then stops at once
    with one line on stderr when ``tool`` is still missing (its ``TOOL_PROBES`` command fails). The rules
    run it as ``{ <setup>} 2> <log>``, so the line is the rule's log, which Snakemake shows last
    for a failed job."""
    q = shlex.quote(set_env)
    hint = {
        "atc": f"atc not found: source the CANN toolkit's set_env.sh (config ascend.set_env, now {set_env}) "
        "or install the CANN toolkit on this node",
        "ais_bench": "ais_bench not found: install the aclruntime and ais_bench wheels "
        "(Ascend/tools, ais-bench_workload/tool/ais_bench) in this environment and source CANN's set_env.sh "
        f"(config ascend.set_env, now {set_env})",
    }[tool]
    return (
        f"if [ -f {q} ]; then set +u; . {q}; set -u; fi; "
        f"{TOOL_PROBES[tool]} >/dev/null 2>&1 || {{ echo {shlex.quote('error: ' + hint)} >&2; exit 127; }}; "
    )


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


# ---- the Ascend rules' shell lines -----------------------------------------------------


class RuleShells:
    """The shell lines of the ATC and ais_bench rules (rules/compile.smk, rules/infer.smk), from the
    validated config's ``ascend`` and ``perf`` sections; each method is a Snakemake params function.
    ``snakemake -n -p`` prints the lines they give."""

    def __init__(self, config: dict, scripts: str):
        self.ascend, self.perf, self.scripts = config["ascend"], config["perf"], scripts

    def setup(self, tool: str):
        return lambda wildcards: setup_lines(tool, self.ascend["set_env"])

    # ATC appends ".om" to --output itself (newer CANN writes <output>_<os>_<arch>.om), so it writes
    # next to the target under a temporary prefix, and the one .om it wrote is renamed to the target
    @staticmethod
    def atc_prefix(wildcards, output) -> str:
        return f"{output[0].removesuffix('.om')}.atc"

    def keep_dtype_file(self, wildcards) -> str:
        """ATC's --keep_dtype file: the one the rule writes from the model's list, or the search's (auto)."""
        if self.ascend["keep_dtype"] == "auto":
            return KEEP_DTYPE_CFG.format(model=wildcards.model)
        return f"results/{wildcards.model}/om/{wildcards.model}_keep_dtype.cfg"

    def keep_dtype_input(self, wildcards) -> dict:
        """The keep-list search's file, an input of the compile rule with ``ascend.keep_dtype: auto``."""
        return {"keep_dtype": self.keep_dtype_file(wildcards)} if self.ascend["keep_dtype"] == "auto" else {}

    def keep_dtype(self, wildcards) -> str:
        """Writes ATC's --keep_dtype file (operators kept at their precision), when the model has one; with
        ``auto``, sets ``$keep`` to the option when the search's file names any operator (``KEEP_VAR``)."""
        path = self.keep_dtype_file(wildcards)
        if self.ascend["keep_dtype"] == "auto":
            q = shlex.quote(path)
            return f"keep=--keep_dtype={q}; [ -s {q} ] || keep=; "
        ops = registry.get(wildcards.model).atc.keep_dtype
        return f"printf '%s\\n' {shlex.join(ops)} > {path}; " if ops else ""

    def atc(self, wildcards, input, output) -> str:
        spec, prefix = registry.get(wildcards.model), self.atc_prefix(wildcards, output)
        mode, keep = self.ascend["precision_mode"], self.keep_dtype_file(wildcards)
        args = atc_args(
            spec, input.onnx, prefix, int(wildcards.bs), wildcards.chip, mode, keep, self.ascend["keep_dtype"]
        )
        return shell(args)

    def take_om(self, wildcards, output) -> str:
        """Renames the one .om ATC wrote to the target, or says in one line on stderr that there is
        none or several."""
        prefix = self.atc_prefix(wildcards, output)
        q = shlex.quote(prefix)
        msg = shlex.quote(
            f"error: atc reported success but did not write exactly one {prefix}.om or "
            f"{prefix}_<os>_<arch>.om; see the ATC output above"
        )
        return (
            f'set -- {q}*.om; if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then echo {msg} "(found: $*)" >&2; '
            f'rm -f {q}*.om; exit 1; fi; mv "$1" {shlex.quote(output[0])}; '
        )

    @staticmethod
    def raw(wildcards, kind: str = "bs") -> str:
        """ais_bench's own output folder of a run (the rules remove it once collected); a timed round's
        has the round in its name."""
        suffix = f"_round{wildcards['round']}" if "round" in wildcards.keys() else ""
        return f"results/{wildcards.model}/ais/{wildcards.chip}/{kind}{wildcards.bs}{suffix}"

    def _ais_bench(self, wildcards, kind: str, om: str, **run) -> str:
        """python3 -m ais_bench writing to the folder ``raw(wildcards, kind)``."""
        raw, bs, device = self.raw(wildcards, kind), int(wildcards.bs), self.ascend["device"]
        return shell(ais_bench_args(om, bs, os.path.dirname(raw), os.path.basename(raw), device, **run))

    def _stage(self, script: str, wildcards, **options) -> str:
        """python3 scripts/<script> --model --chip --bs, then ``options`` as flags (True: the flag alone)."""
        args = ["python3", os.path.join(self.scripts, script)]
        if registry.get(wildcards.model).onnx:  # a declared model: the script reads its declaration
            options["configfile"] = declaration_path(wildcards.model)
        for key, value in dict(model=wildcards.model, chip=wildcards.chip, bs=wildcards.bs, **options).items():
            flag = f"--{key.replace('_', '-')}"
            args += [flag] if value is True else [flag, str(value)]
        return shell(args)

    def infer(self, wildcards, input) -> str:
        """The accuracy run: every sample, in the model's input order."""
        folders = [f"{input.inputs}/{t.name}" for t in registry.get(wildcards.model).inputs]
        return self._ais_bench(wildcards, "bs", input.om, inputs=folders)

    def collect(self, wildcards, input, output) -> str:
        out = dict(out=output.outputs, summary=output.summary)
        return self._stage("collect_ais.py", wildcards, raw=self.raw(wildcards), inputs=input.inputs, **out)

    def probe(self, wildcards, input) -> str:
        """The probe run: ascend.probe_loop executions of one batch."""
        loop, warmup = self.ascend["probe_loop"], self.ascend["warmup_count"]
        return self._ais_bench(wildcards, "probe_bs", input.om, loop=loop, warmup_count=warmup)

    def timed(self, wildcards, input) -> str:
        """The timed run: --loop from the calibration ($loop)."""
        warmup = self.ascend["warmup_count"]
        return self._ais_bench(wildcards, "perf_bs", input.om, loop=LOOP_VAR, warmup_count=warmup)

    def calibrate(self, wildcards) -> str:
        """After the probe: prints the timed run's --loop."""
        probe = self.raw(wildcards, "probe_bs")
        return self._stage("perf_ais.py", wildcards, probe=probe, calibrate=True, **self.perf)

    def perf_collect(self, wildcards, output) -> str:
        """After the timed run: the perf record."""
        run = dict(probe=self.raw(wildcards, "probe_bs"), raw=self.raw(wildcards, "perf_bs"), loop=LOOP_VAR)
        run.update(warmup_count=self.ascend["warmup_count"], out=output[0])
        return self._stage("perf_ais.py", wildcards, **run, **self.perf)
