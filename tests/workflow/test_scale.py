"""What a finished run keeps on disk: device outputs are temp() (gone once accuracy, the grid, the PNGs and
IS/FID have read them), per-sample PNGs only where images.pngs asks (by default the quality sources: none for
dcgan and gan), and the finished run is up to date; asking for more PNGs later reruns only the runs that lack
them."""

from __future__ import annotations

import re

import pytest

from common import new_workdir, snakemake

CONFIG = """
models: [dcgan, gan]
batch_sizes: {default: [2, 3]}
samples: 5
rounds: 1
perf: {warmup: 1, warmup_seconds: 0, min_iterations: 2, min_seconds: 0, max_seconds: 5.0, max_cov: 100.0}
"""


def planned(wd, *args) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run schedules."""
    proc = snakemake("-n", "results/tables/perf.csv", "--configfile", "c.yaml", *args, cwd=wd)
    jobs, rule = set(), None
    for line in proc.stdout.splitlines():
        if m := re.fullmatch(r"(?:local)?rule (\w+):", line.strip()):
            rule = m[1]
            jobs.add((rule, ""))
        elif rule and (m := re.match(r"wildcards: (.*)", line.strip())):
            jobs.discard((rule, ""))
            jobs.add((rule, m[1]))
            rule = None
    return jobs


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    wd = new_workdir(tmp_path_factory.mktemp("scale"))
    (wd / "c.yaml").write_text(CONFIG)
    snakemake("results/tables/perf.csv", "-j2", "--configfile", "c.yaml", cwd=wd)
    return wd


def test_a_finished_run_keeps_inputs_reference_pngs_and_records_but_no_device_outputs(finished):
    r = finished / "results"
    assert sorted(p.relative_to(r).as_posix() for p in r.glob("*/outputs/*/*")) == [
        f"{m}/outputs/cpu/bs{bs}_summary.json" for m in ("dcgan", "gan") for bs in (2, 3)
    ]
    for model in ("dcgan", "gan"):
        assert len(list((r / model / "reference").glob("*.bin"))) == 5
        assert sorted(p.name for p in (r / model / "images/cpu").iterdir()) == ["bs2_grid.png", "bs3_grid.png"]
        assert len(list((r / model / "accuracy/cpu").glob("bs*.json"))) == 2
    assert planned(finished) == set()


def test_more_pngs_rerun_only_the_runs_that_lack_them(finished):
    stems = {"dcgan": [f"noise_{i:04d}" for i in range(5)], "gan": [str(i) for i in range(5)]}
    runs = {2: {f"model={m}, chip=cpu, bs=2" for m in stems}, 3: {f"model={m}, chip=cpu, bs=3" for m in stems}}
    # the outputs are gone: the inference runs again, and what reads the new outputs follows
    again = ("infer_onnxruntime", "accuracy", "images", "pngs")
    for which, sizes in (("smallest", [2]), ("all", [2, 3])):
        jobs = planned(finished, "--config", f"images={{pngs: {which}}}")
        assert jobs == {(rule, w) for rule in again for bs in sizes for w in runs[bs]} | {("tables", "")}, which
    snakemake(
        "results/tables/perf.csv", "-j2", "--configfile", "c.yaml", "--config", "images={pngs: smallest}", cwd=finished
    )
    for model, names in stems.items():
        pngs = sorted((finished / "results" / model / "images/cpu/bs2").glob("*.png"))
        assert [p.name for p in pngs] == [f"{s}_0.png" for s in names]
        assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_plan_counts_what_the_run_keeps(finished):
    snakemake("results/plan.md", "-j1", "--configfile", "c.yaml", cwd=finished)
    rows = {
        line.split(" | ")[0].strip("| "): line.strip("|").split(" | ")
        for line in (finished / "results/plan.md").read_text().splitlines()
        if line.startswith("| dcgan") or line.startswith("| gan")
    }
    block = 4096
    for model, graph in (("dcgan", "dcgan"), ("gan", "gan")):
        weights = (finished / f"resources/weights/{model}.pth").stat().st_size
        graphs = 3 * block * -(-weights // block)  # the export and two simplified graphs
        # 5 input files, 5 reference outputs, 2 summaries and 2 accuracy files (a block each), no PNGs
        expected = (5 + 5 + 4) * block + graphs
        assert rows[model][1:4] == ["5", "2", f"{5 + 5 + 4 + 3:,}"], rows[model]
        assert rows[model][4] == f"{expected / 1e6:,.1f} MB" if expected >= 1e6 else f"{expected / 1e3:,.1f} KB"
        data = [
            *(finished / f"results/{model}/inputs").rglob("*.bin"),
            *(finished / f"results/{model}/reference").glob("*.bin"),
        ]
        assert len(data) == 10 and all(p.stat().st_size <= block for p in data)
        onnx = sorted((finished / f"results/{model}/onnx").glob(f"{graph}*.onnx"))
        assert len(onnx) == 3  # each graph about the size of the checkpoint
        assert sum(p.stat().st_size for p in onnx) == pytest.approx(graphs, rel=0.02)
