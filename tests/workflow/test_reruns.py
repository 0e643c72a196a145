"""Exact reruns: editing a library or network module schedules exactly the jobs that run it (and what their
outputs feed), and a finished run copied to another folder schedules nothing (the library's imports, and
the source files of one stage: tests/unit/test_sources.py).

One finished run of five built-in models (one per network module) at reduced widths; every module under
scripts/ganinfer/ gets a comment appended in a copy of it, and a dry run's jobs are compared with TABLE. The
benchmarks (benchmarks/) are no stage: an edit of one schedules nothing.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from common import ROOT, SCRIPTS

WORKFLOW = ("Snakefile", "rules", "scripts", "benchmarks", "config", "envs", "report", "profiles", "README.md")
BENCHMARKS = ROOT / "benchmarks"
CONFIG = """
models: [dcgan, gan, biggan, cyclegan_sat2map, dgnet]
chips: [cpu]
batch_sizes: {default: [1]}
samples: 2
demo_architecture:
  biggan: {ch: 4}
  cyclegan_sat2map: {ngf: 4, n_blocks: 1}
  dgnet: {dim: 4, width: 8, mlp_dim: 32, id_dim: 256}
  dcgan: {}
perf: {warmup: 1, warmup_seconds: 0, min_iterations: 1, min_seconds: 0, max_seconds: 5.0, max_cov: 100.0}
rounds: 2
"""
MODELS = ("biggan", "cyclegan_sat2map", "dcgan", "dgnet", "gan")


ALL_MODELS = set(MODELS)
QUALITY_MODELS = {"biggan", "dgnet"}  # per-sample PNGs: images.pngs, by default the quality sources
NONE = {""}
# module -> every job a dry run schedules after a comment is appended to it (rule -> models; NONE: the
# rule has no model wildcard), read from such a run and checked by hand against the imports
TABLE: dict[str, dict[str, set[str]]] = {
    "__init__.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "accuracy.py": {"accuracy": ALL_MODELS, "tables": NONE},
    "backends/__init__.py": {
        "accuracy": ALL_MODELS,
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "tables": NONE,
    },
    "backends/ascend.py": {},
    "backends/fp16.py": {},
    "backends/onnxruntime.py": {
        "accuracy": ALL_MODELS,
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "tables": NONE,
    },
    "backends/openvino.py": {},
    "bench.py": {"gemm_peak": NONE, "perf_onnxruntime": ALL_MODELS, "perf_rounds": ALL_MODELS, "tables": NONE},
    "checkpoint.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "cli.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "declared.py": {},
    "errors.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "fileio.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "gemm.py": {"gemm_peak": NONE, "tables": NONE},
    "images.py": {
        "accuracy": ALL_MODELS,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "tables": NONE,
    },
    "inception.py": {"quality": {"biggan", "dgnet"}, "tables": NONE},
    "keepdtype.py": {},
    "inputs.py": {
        "accuracy": ALL_MODELS,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "tables": NONE,
    },
    "models/__init__.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": {"biggan"},
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "models/biggan.py": {
        "accuracy": {"biggan"},
        "export_onnx": {"biggan"},
        "images": {"biggan"},
        "pngs": {"biggan"},
        "infer_onnxruntime": {"biggan"},
        "macs": {"biggan"},
        "perf_onnxruntime": {"biggan"},
        "perf_rounds": {"biggan"},
        "preprocess": {"biggan"},
        "quality": {"biggan"},
        "reference": {"biggan"},
        "simplify_onnx": {"biggan"},
        "tables": NONE,
        "weights": {"biggan"},
    },
    "models/cyclegan.py": {
        "accuracy": {"cyclegan_sat2map"},
        "export_onnx": {"cyclegan_sat2map"},
        "images": {"cyclegan_sat2map"},
        "infer_onnxruntime": {"cyclegan_sat2map"},
        "macs": {"cyclegan_sat2map"},
        "perf_onnxruntime": {"cyclegan_sat2map"},
        "perf_rounds": {"cyclegan_sat2map"},
        "reference": {"cyclegan_sat2map"},
        "simplify_onnx": {"cyclegan_sat2map"},
        "tables": NONE,
        "weights": {"cyclegan_sat2map"},
    },
    "models/dcgan.py": {
        "accuracy": {"dcgan"},
        "export_onnx": {"dcgan"},
        "images": {"dcgan"},
        "infer_onnxruntime": {"dcgan"},
        "macs": {"dcgan"},
        "perf_onnxruntime": {"dcgan"},
        "perf_rounds": {"dcgan"},
        "reference": {"dcgan"},
        "simplify_onnx": {"dcgan"},
        "tables": NONE,
        "weights": {"dcgan"},
    },
    "models/dgnet.py": {
        "accuracy": {"dgnet"},
        "export_onnx_fixed": {"dgnet"},
        "images": {"dgnet"},
        "pngs": {"dgnet"},
        "infer_onnxruntime": {"dgnet"},
        "macs": {"dgnet"},
        "perf_onnxruntime": {"dgnet"},
        "perf_rounds": {"dgnet"},
        "quality": {"dgnet"},
        "reference": {"dgnet"},
        "simplify_onnx": {"dgnet"},
        "tables": NONE,
        "weights": {"dgnet"},
    },
    "models/gan.py": {
        "accuracy": {"gan"},
        "export_onnx": {"gan"},
        "images": {"gan"},
        "infer_onnxruntime": {"gan"},
        "macs": {"gan"},
        "perf_onnxruntime": {"gan"},
        "perf_rounds": {"gan"},
        "reference": {"gan"},
        "simplify_onnx": {"gan"},
        "tables": NONE,
        "weights": {"gan"},
    },
    "networks.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": {"biggan"},
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "onnxexport.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
    },
    "onnxfile.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
    },
    "onnxgraph.py": {
        "accuracy": ALL_MODELS,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
    },
    "onnxreference.py": {},
    "photos.py": {
        "accuracy": ALL_MODELS,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "tables": NONE,
    },
    "precision.py": {},
    "preprocess.py": {
        "accuracy": ALL_MODELS,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "tables": NONE,
    },
    "quality.py": {"quality": {"biggan", "dgnet"}, "tables": NONE},
    # the inference waits for the reference (an input): a rebuilt reference reruns it and its readers
    "reference.py": {
        "accuracy": ALL_MODELS,
        "images": ALL_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "tables": NONE,
    },
    "registry.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "report/__init__.py": {"tables": NONE},
    "report/columns.py": {"tables": NONE},
    "report/compare.py": {},
    "report/frames.py": {"tables": NONE},
    "report/markdown.py": {"tables": NONE},
    "report/plotlist.py": {},
    "report/plots.py": {},
    "report/readme.py": {"tables": NONE},
    "report/tables.py": {"tables": NONE},
    "roofline.py": {"macs": ALL_MODELS, "tables": NONE},
    "rounds.py": {"perf_rounds": ALL_MODELS, "tables": NONE},
    "runner.py": {
        "accuracy": ALL_MODELS,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "tables": NONE,
    },
    "samples.py": {
        "accuracy": ALL_MODELS,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "tables": NONE,
    },
    "schema.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "spec.py": {
        "accuracy": ALL_MODELS,
        "export_onnx": {"biggan", "cyclegan_sat2map", "dcgan", "gan"},
        "export_onnx_fixed": {"dgnet"},
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "macs": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "preprocess": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "reference": ALL_MODELS,
        "simplify_onnx": ALL_MODELS,
        "tables": NONE,
        "weights": ALL_MODELS,
    },
    "stats.py": {
        "accuracy": ALL_MODELS,
        "gemm_peak": NONE,
        "images": ALL_MODELS,
        "pngs": QUALITY_MODELS,
        "infer_onnxruntime": ALL_MODELS,
        "perf_onnxruntime": ALL_MODELS,
        "perf_rounds": ALL_MODELS,
        "quality": {"biggan", "dgnet"},
        "tables": NONE,
    },
    # the DAG-time layer: no job runs it
    "workflow/__init__.py": {},
    "workflow/settings.py": {},
    "workflow/inputs.py": {},
    "workflow/order.py": {},
    "workflow/scheduling.py": {},
    "workflow/sources.py": {},
    "workflow/targets.py": {},
    "workflow/tracking.py": {},
}


def dry_run(wd: Path) -> dict[str, set[str]]:
    """The jobs of a dry run, as rule -> models."""
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-j1", "results/tables/perf.csv", "--configfile", "t.yaml"],
        cwd=wd,
        capture_output=True,
        text=True,
        check=True,
    )
    jobs = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", proc.stdout):
        head = re.match(r"(?:local)?rule (\w+):", block)
        if not head:
            continue
        model = re.search(r"^\s+wildcards: .*?\bmodel=(\w+)", block, re.M)
        jobs.setdefault(head.group(1), set()).add(model.group(1) if model else "")
    return jobs


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> list[Path]:
    """A finished run in a clone-like folder, and a copy of it (`cp -a`) in another folder."""
    wd = tmp_path_factory.mktemp("run") / "wf"
    wd.mkdir()
    for name in WORKFLOW:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, wd / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, wd / name)
    (wd / "t.yaml").write_text(CONFIG)
    subprocess.run(
        # outputs kept: TABLE is what each module's code feeds (a consumer of a deleted temp() output also
        # reruns its producer: tests/test_scale.py)
        [sys.executable, "-m", "snakemake", "--notemp", "-j2", "results/tables/perf.csv", "--configfile", "t.yaml"],
        cwd=wd,
        capture_output=True,
        check=True,
    )
    copy = tmp_path_factory.mktemp("moved") / "elsewhere"
    subprocess.run(["cp", "-a", str(wd), str(copy)], check=True)
    return [wd, copy]


def test_a_finished_run_copied_elsewhere_schedules_nothing(finished):
    for wd in finished:
        assert dry_run(wd) == {}, wd


def edit_and_dry_run(wd: Path, source: str):
    """The jobs of a dry run after a comment is appended to ``source`` (a path in the run's folder)."""
    path = wd / source
    saved = path.with_name(path.name + ".saved")
    shutil.copy2(path, saved)
    try:
        path.write_text(path.read_text() + "\n# edited\n")
        return dry_run(wd)
    finally:
        shutil.copy2(saved, path)  # content and mtime back
        saved.unlink()


def test_every_library_and_network_module_reruns_exactly_its_jobs(finished):
    modules = sorted(
        p.relative_to(SCRIPTS / "ganinfer").as_posix()
        for p in (SCRIPTS / "ganinfer").rglob("*.py")
        if "__pycache__" not in p.parts
    )
    assert modules == sorted(TABLE), "a module without a row in TABLE (or a row without its module)"
    halves = [modules[0::2], modules[1::2]]  # the run and its copy, side by side
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(lambda wd, ms: {m: edit_and_dry_run(wd, f"scripts/ganinfer/{m}") for m in ms}, finished, halves)
        )
    got = {m: r for part in results for m, r in part.items()}
    wrong = {m: {r: sorted(ms) for r, ms in jobs.items()} for m, jobs in got.items() if jobs != TABLE[m]}
    assert not wrong, "\n".join(f"{m}: {jobs}" for m, jobs in wrong.items())
    # a network module's edit: its model's jobs, and the tables
    for module in ("models/biggan.py", "models/cyclegan.py", "models/dcgan.py", "models/dgnet.py", "models/gan.py"):
        models = {m for ms in got[module].values() for m in ms} - {""}
        assert len(models) == 1 and {"export_onnx", "export_onnx_fixed"} & set(got[module]), module
        assert got[module]["reference"] == models and got[module]["tables"] == NONE
    # the checkpoint loader is no input of accuracy, images, inference or timing: they follow only when
    # the reference or the graph they read is rebuilt (its downstream), never for their own code
    assert all(dry_run(wd) == {} for wd in finished)  # every edit undone with its mtime


def test_no_job_runs_a_benchmark(finished):
    names = sorted(p.name for p in BENCHMARKS.glob("*.py"))
    assert "common.py" in names and len(names) > 1
    for name in names:
        assert edit_and_dry_run(finished[0], f"benchmarks/{name}") == {}, name


def test_no_benchmark_imports_another():
    """What the benchmarks share is in benchmarks/common.py; none imports another benchmark."""
    names = {p.stem for p in BENCHMARKS.glob("*.py")}
    for path in BENCHMARKS.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
        assert imported & names <= {"common"} - {path.stem}, path.name
