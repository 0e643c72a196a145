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

from ganinfer.errors import InputError
from ganinfer.fileio import atomic_dir, read_json, write_json
from ganinfer.inputs import InputSet
from ganinfer.registry import ModelSpec

DEFAULT_SET_ENV = "/usr/local/Ascend/ascend-toolkit/set_env.sh"


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
) -> list[str]:
    """``atc`` arguments as the guides use them plus the registry's model-specific extras.

    ATC appends ``.om`` to ``--output`` itself (newer CANN may add ``_<os>_<arch>``).
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
    if spec.atc.keep_dtype:
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
    loop: int | None = None,
    warmup_count: int | None = None,
) -> list[str]:
    """``python3 -m ais_bench``: with ``inputs`` (folders in the model's input order) the
    accuracy run; with ``loop`` the timed run on ais_bench's own data."""
    args = ["python3", "-m", "ais_bench", "--model", om]
    if inputs:
        args += ["--input", ",".join(inputs)]
    args += ["--output", output, "--output_dirname", dirname, "--outfmt", "BIN", "--batchsize", str(bs)]
    if loop is not None:
        args += ["--loop", str(loop), "--warmup_count", str(warmup_count or 0), "--display_all_summary", "1"]
    args += ["--device", str(device)]
    return args


def shell(args: list[str]) -> str:
    return shlex.join(args)


def setup_lines(tool: str, set_env: str | None, probe: str) -> str:
    """Shell that sources CANN's set_env.sh when present, then stops at once with one line
    when ``tool`` is still missing (``probe`` is a command that fails without it)."""
    set_env = set_env or DEFAULT_SET_ENV
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
        f"{probe} >/dev/null 2>&1 || {{ echo {shlex.quote('error: ' + hint)} >&2; exit 127; }}; "
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


def collect_outputs(spec: ModelSpec, inputs_root: str, raw_dir: str, out: str, summary: str, extra: dict) -> dict:
    """Move ais_bench's outputs into ``out`` (``<stem>_0.bin`` per input sample) and write
    the summary with the workflow's extra fields. Every input sample must have its output."""
    raw = Path(raw_dir)
    stems = InputSet(spec, inputs_root).stems
    record = read_json(find_summary(raw))
    missing = [s for s in stems if not (raw / f"{s}_0.bin").is_file()]
    if missing:
        raise InputError(
            f"{raw}: ais_bench wrote no output for {len(missing)} of {len(stems)} inputs (first: {missing[0]}.bin); "
            "see the rule's log"
        )
    with atomic_dir(Path(out)) as tmp:
        for s in stems:
            os.replace(raw / f"{s}_0.bin", tmp / f"{s}_0.bin")
    compute = record.get("NPU_compute_time", {})
    record.update(
        {
            "model": spec.name,
            "samples": len(stems),
            "output_shape": list(spec.output.shape),
            "throughput": record.get("throughput", 0.0),
            "NPU_compute_time": compute,
            **extra,
        }
    )
    write_json(record, summary)
    shutil.rmtree(raw, ignore_errors=True)
    for leftover in (raw.with_name(raw.name + "_summary.json"),):
        leftover.unlink(missing_ok=True)
    return record


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
