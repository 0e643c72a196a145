"""The real workflow on a tiny config in a temporary folder, checked by file content."""

import csv
import json
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from common import ROOT, new_workdir, snakemake
from ganinfer import inception
from ganinfer.quality import write_stats
from ganinfer.stats import ais_timing, summarize

TINY = """
models: [dcgan, gan]
chips: [cpu]
batch_sizes: {default: [1, 3], gan: [2]}
samples: 7
seed: 3
perf: {warmup: 1, min_iterations: 3, min_seconds: 0.05, max_seconds: 5.0, max_cov: 10.0}
images: {grid_count: 4, pngs: smallest}
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One full run of `all` (tables + README) on the tiny config."""
    wd = new_workdir(tmp_path_factory.mktemp("wf"))
    (wd / "tiny.yaml").write_text(TINY)
    proc = snakemake("--notemp", "all", "-j4", "--configfile", "tiny.yaml", "--verbose", cwd=wd)
    return wd, proc


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_input_bins_have_modelzoo_names_and_sizes(workdir):
    wd, _ = workdir
    noise = sorted((wd / "results/dcgan/inputs/noise").glob("*.bin"))
    assert [p.name for p in noise] == [f"noise_{i:04d}.bin" for i in range(7)]
    assert {p.stat().st_size for p in noise} == {400}
    z = sorted(p.name for p in (wd / "results/gan/inputs/Z").glob("*.bin"))
    assert z == [f"{i}.bin" for i in range(7)]
    assert json.loads((wd / "results/gan/inputs/inputs.json").read_text())["seed"] == 3


def test_outputs_in_ais_bench_layout(workdir):
    wd, _ = workdir
    out = wd / "results/dcgan/outputs/cpu/bs3"
    assert sorted(p.name for p in out.glob("*.bin")) == [f"noise_{i:04d}_0.bin" for i in range(7)]
    assert {p.stat().st_size for p in out.glob("*.bin")} == {32 * 32 * 4}
    summary = json.loads((wd / "results/dcgan/outputs/cpu/bs3_summary.json").read_text())
    assert summary["NPU_compute_time"]["count"] == 3  # 7 samples in batches of 3
    assert summary["NPU_compute_time"] == ais_timing(summary["npu_compute_time_list"])
    assert summary["throughput"] == 1000 * 3 / summary["NPU_compute_time"]["mean"]
    assert (summary["batch_size"], summary["samples"], summary["output_shape"]) == (3, 7, [1, 32, 32])
    assert (wd / "results/dcgan/onnx/dcgan_bs3.onnx").is_file()
    assert not (wd / "results/gan/onnx/gan_bs1.onnx").exists()  # per-model batch sizes


def test_perf_table(workdir):
    wd, _ = workdir
    rows = read_csv(wd / "results/tables/perf.csv")
    assert [(r["model"], r["chip"], r["batch_size"]) for r in rows] == [
        ("dcgan", "cpu", "1"),
        ("dcgan", "cpu", "3"),
        ("gan", "cpu", "2"),
    ]
    for r in rows:
        assert r["weights"] == "demo" and r["backend"] == "onnxruntime"
        fps, mean = float(r["throughput_fps"]), float(r["latency_mean_ms"])
        # the mean of the rounds' throughputs; 1000 bs / the pooled mean latency within the rounds' spread
        rounds = [float(x) for x in r["round_fps"].split(";")]
        assert fps == pytest.approx(math.prod(rounds) ** (1 / len(rounds)), abs=0.06)  # geometric mean
        assert min(rounds) * 0.999 <= 1000 * int(r["batch_size"]) / mean <= max(rounds) * 1.001
        # the row is its perf record, and the record's statistics are those of its own raw latencies
        rec = json.loads((wd / f"results/{r['model']}/perf/cpu/bs{r['batch_size']}.json").read_text())
        lat = rec["latency_ms"]
        # (stored latencies are rounded to 1 ns, the statistics come from the unrounded ones)
        assert lat == pytest.approx(summarize(rec["latencies_ms"]), abs=1e-6) and rec["batch_size"] == int(
            r["batch_size"]
        )
        assert rec["settings"] == {
            "warmup": 1,
            "warmup_seconds": 0.25,  # config/config.yaml's, beside tiny.yaml's
            "min_iterations": 3,
            "min_seconds": 0.05,
            "max_seconds": 5.0,
            "max_cov": 10.0,
        }
        assert r["throughput_fps"] == f"{rec['throughput_fps']:.1f}" and r["latency_mean_ms"] == f"{lat['mean']:.4f}"
        assert r["latency_p99_ms"] == f"{lat['p99']:.4f}" and int(r["iterations"]) == lat["count"]
        assert float(r["latency_p50_ms"]) <= float(r["latency_p99_ms"])
        assert int(r["iterations"]) >= 3 and float(r["duration_s"]) >= 0.05
        assert r["valid"] == "VALID"
        assert float(r["latency_p50_ms"]) <= float(r["latency_p95_ms"]) <= float(r["latency_p99_ms"])
        assert r["timing"] == "end-to-end" and r["throughput_e2e_fps"] == r["throughput_fps"]
        # two rounds (config/config.yaml's), their mean and its 95 % interval
        rounds = [float(x) for x in r["round_fps"].split(";")]
        assert r["rounds"] == "2" and len(rounds) == 2 == len(rec["round_wall_clock"])
        assert float(r["throughput_fps"]) == pytest.approx(math.sqrt(rounds[0] * rounds[1]), abs=0.06)
        assert float(r["throughput_ci_low"]) <= float(r["throughput_fps"]) <= float(r["throughput_ci_high"])
        assert "onnxruntime=1.31.1" in r["packages"].split() and len(r["config_hash"]) == 12
    # roofline: MACs counted on the graph, the GEMM peak measured by its own rule
    assert {r["model"]: int(r["macs_per_image"]) for r in rows} == {"dcgan": 76_611_584, "gan": 1_503_744}
    peak = json.loads((wd / "results/roofline/gemm_cpu.json").read_text())["peak_gflops"]
    for r in rows:
        achieved = 2 * int(r["macs_per_image"]) * float(r["throughput_fps"]) / 1e9
        assert float(r["achieved_gflops"]) == pytest.approx(achieved, abs=0.06)
        assert float(r["gemm_peak_gflops"]) == pytest.approx(peak, abs=0.06)
        assert float(r["percent_of_peak"]) == pytest.approx(100 * achieved / peak, abs=0.06)
    # timed jobs ran alone (bench=1 and every core claimed): their wall-clock spans never overlap
    spans = sorted(
        json.loads(p.read_text())["wall_clock"]
        for p in [*wd.glob("results/*/perf/cpu/*/round*.json"), wd / "results/roofline/gemm_cpu.json"]
    )
    assert len(spans) == 7
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    md = (wd / "results/tables/perf.md").read_text()
    # the best row of dcgan's records (not of the CSV's rounded figures), its interval's half width
    recs = [json.loads((wd / f"results/dcgan/perf/cpu/bs{r['batch_size']}.json").read_text()) for r in rows[:2]]
    best = max(recs, key=lambda rec: rec["throughput_fps"])
    assert "| batch size | cpu (img/s) | % of GEMM peak (cpu) |" in md
    half = (best["throughput_ci_high"] - best["throughput_ci_low"]) / 2
    shown = [f"{v:,.1f}" if v < 100 else f"{v:,.0f}" for v in (best["throughput_fps"], half)]  # one decimal < 100
    assert f"| best | {shown[0]} ± {shown[1]} (bs{best['batch_size']}) |" in md


def scheduler_events(log: str) -> list[tuple[str, str, str]]:
    """("start" | "finish", jobid, rule) in the order Snakemake's log reports them."""
    events, rule = [], None
    for line in log.splitlines():
        if m := re.fullmatch(r"(?:local)?rule (\w+):", line.strip()):
            rule = m[1]
        elif (m := re.fullmatch(r"jobid: (\d+)", line.strip())) and rule:
            events.append(("start", m[1], rule))
            rule = None
        elif m := re.match(r"Finished jobid: (\d+) \(Rule: (\w+)\)", line.strip()):
            events.append(("finish", m[1], m[2]))
        elif line.startswith("Resources before job selection"):  # --verbose: one line per selection
            events.append(("select", "", ""))
    return events


TIMED = ("perf_onnxruntime", "gemm_peak")


def test_timed_jobs_run_last_round_by_round(workdir):
    """Every untimed job has finished before the first timed one starts (lowest priority, greedy scheduler),
    and round r of every row runs before round r + 1 of any (the rounds interleave)."""
    wd, proc = workdir
    events = scheduler_events(proc.stdout + proc.stderr)
    starts = [rule for kind, _, rule in events if kind == "start"]
    first = next(i for i, rule in enumerate(starts) if rule in TIMED)
    after = [rule for rule in starts[first:] if rule != "perf_rounds"]
    assert sorted(after[:7]) == ["gemm_peak", *["perf_onnxruntime"] * 6]
    assert after[7:] == ["tables", "plots", "readme", "all"] and starts[first:].count("perf_rounds") == 3
    rounds = [int(m[1]) for m in re.finditer(r"wildcards: .*round=(\d+)", proc.stdout + proc.stderr)]
    assert rounds == sorted(rounds) == [1, 1, 1, 2, 2, 2]
    starts_of = sorted(
        (json.loads(p.read_text())["wall_clock"][0], p.stem) for p in wd.glob("results/*/perf/cpu/*/round*.json")
    )
    assert [stem for _, stem in starts_of] == ["round1"] * 3 + ["round2"] * 3


def test_timed_jobs_run_alone_under_j4(workdir):
    """The profile's `bench` resource: no job starts beside a timed one, and a timed one
    starts only when nothing else runs."""
    _, proc = workdir
    running, timed = set(), 0
    for kind, jobid, rule in scheduler_events(proc.stdout + proc.stderr):
        if kind == "start":
            alone = rule in TIMED
            assert not (alone and running), f"{rule} started beside {running}"
            assert not any(r in TIMED for _, r in running), f"{rule} started beside a timed job"
            running.add((jobid, rule))
            timed += alone
        else:
            running = {(j, r) for j, r in running if j != jobid}
    assert timed == 7


def test_forcing_the_timed_rules_reruns_every_timed_job(workdir):
    """The order between timed jobs must not hide forced ones (as ancient() inputs would)."""
    wd, _ = workdir
    proc = snakemake("all", "-n", "--configfile", "tiny.yaml", "-R", "perf_onnxruntime", "gemm_peak", cwd=wd)
    jobs = re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, re.M)
    assert dict(jobs) == {
        "gemm_peak": "1",
        "perf_onnxruntime": "6",
        "perf_rounds": "3",
        "tables": "1",
        "plots": "1",
        "readme": "1",
        "all": "1",
        "total": "14",
    }


def test_accuracy_table(workdir):
    wd, _ = workdir
    rows = read_csv(wd / "results/tables/accuracy.csv")
    assert len(rows) == 3
    for r in rows:
        assert int(r["samples"]) == 7
        assert float(r["min_cosine"]) >= 0.9999
        assert float(r["mean_abs_diff"]) < 1e-5
        assert float(r["acc_percent"]) > 99.99
        assert r["passed"] == "PASS" and r["reference"] == "PyTorch CPU fp32"


def test_images_and_readme(workdir):
    wd, _ = workdir
    pngs = sorted((wd / "results/gan/images/cpu/bs2").glob("*.png"))
    assert len(pngs) == 7 and pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (wd / "README.md").read_text()
    assert "| gan | cpu | bs2 | demo | PyTorch CPU fp32 | 7 |" in readme
    assert "No model of this run has a quality metric (IS / FID)." in readme
    assert read_csv(wd / "results/tables/quality.csv") == []
    assert "(docs/images/dcgan_cpu.png)" in readme
    assert (wd / "docs/images/dcgan_cpu.png").is_file()


PLOTS = [
    "throughput_dcgan.png",
    "throughput_gan.png",
    "roofline_cpu.png",
    "latency_dcgan_cpu.png",
    "latency_gan_cpu.png",
]


def test_plots_and_their_readme_section(workdir):
    """One throughput and one latency plot per model, the roofline view of cpu: PNGs 800 px wide,
    copied into docs/images/ and shown in the README's plots section; the perf records keep every
    latency (a few iterations here)."""
    wd, _ = workdir
    plots = wd / "results/plots"
    assert sorted(p.name for p in plots.glob("*.png")) == sorted(PLOTS)
    readme = (wd / "README.md").read_text()
    section = readme.split("<!-- BEGIN GENERATED: plots -->")[1].split("<!-- END GENERATED: plots -->")[0]
    for name in PLOTS:
        with Image.open(plots / name) as im:
            assert im.format == "PNG" and im.size[0] == 800
        assert f"(docs/images/{name})" in section
        assert (wd / "docs/images" / name).read_bytes() == (plots / name).read_bytes()
    assert "demo weights" in section and section.index("roofline_cpu") < section.index("throughput_dcgan")
    rec = json.loads((wd / "results/gan/perf/cpu/bs2.json").read_text())
    assert len(rec["latencies_ms"]) == rec["latency_ms"]["count"] and "latency_quantiles_ms" not in rec


def test_second_run_is_a_no_op(workdir):
    wd, _ = workdir
    proc = snakemake("all", "-j2", "--configfile", "tiny.yaml", cwd=wd)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_report_has_the_tables_image_grids_and_plots(workdir):
    wd, _ = workdir
    snakemake("all", "--configfile", "tiny.yaml", "--report", "report.zip", cwd=wd)
    with zipfile.ZipFile(wd / "report.zip") as z:
        data = {Path(n).name: z.read(n) for n in z.namelist() if "/data/raw/" in n and n.endswith(".csv")}
        grids = sorted(z.read(n) for n in z.namelist() if n.endswith("_grid.png"))
        plots = {Path(n).name: z.read(n) for n in z.namelist() if Path(n).name in PLOTS}
        html = z.read("report/report.html").decode()
    assert data == {
        name: (wd / "results/tables" / name).read_bytes() for name in ("perf.csv", "accuracy.csv", "quality.csv")
    }
    expected = ["dcgan/images/cpu/bs1", "dcgan/images/cpu/bs3", "gan/images/cpu/bs2"]
    assert grids == sorted((wd / "results" / f"{g}_grid.png").read_bytes() for g in expected)
    assert "First output images of gan on cpu at batch" in html and "Models: dcgan, gan" in html
    assert plots == {name: (wd / "results/plots" / name).read_bytes() for name in PLOTS}
    assert "Plots" in html and "The roofline view of one chip" in html


HINT = "your config (config/config.yaml, --configfile or --config)"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("models=[dcgan,stylegan]", "config error: unknown model 'stylegan' under 'models': known models are"),
        (
            "chips=[cpu,tpu]",
            "config error: unknown chip 'tpu': supported chips are cpu, cuda, tensorrt, openvino, cpu-fp16, "
            "Ascend<soc>",
        ),
        # case 10: a name the schema's pattern used to reject with a raw regex
        (
            "models=[DCGAN]",
            "config error: unknown model 'DCGAN' under 'models': known models are biggan, cyclegan_map2sat, "
            f"cyclegan_sat2map, dcgan, dgnet, gan (did you mean 'dcgan'? fix 'models' in {HINT}, or declare it under "
            "onnx_models)",
        ),
        # case 8: per-model keys are checked like weights: and datasets:
        ("samples={dcgna: 10}", "config error: unknown model 'dcgna' under 'samples': known models are"),
        ("batch_sizes={defualt: [2]}", "config error: unknown model 'defualt' under 'batch_sizes': known models"),
        # case 9: nested --config values: the accepted form in the message
        (
            "perf={min_iterations: five}",
            "config error: perf.min_iterations: 'five' is not of type 'integer' (fix it in "
            f"{HINT}; accepted forms: 'perf={{min_iterations: 5, min_seconds: 0.5}}')",
        ),
        (
            "demo_architecture={cyclegan_sat2map: {ngf: eight}}",
            "config error: demo_architecture.cyclegan_sat2map.ngf: 'eight' is a string, expected a integer",
        ),
        (
            "samples=all",
            "config error: samples 'all' for model 'dcgan': its inputs are drawn from seeded noise, not read from a "
            "folder; give a number instead",
        ),
        (
            "perf={min_seconds: 5, max_seconds: 1}",
            "config error: perf.min_seconds (5) is above perf.max_seconds (1)",
        ),
        ("openvino={precision: fp16}", "config error: openvino.precision: 'fp16' is not one of ['f32', 'bf16']"),
    ],
)
def test_config_mistakes_are_one_line_before_any_job(tmp_path, override, message):
    proc = snakemake("-n", "--config", override, cwd=new_workdir(tmp_path), check=False)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


def test_a_yaml_mistake_in_the_config_names_file_line_and_column(tmp_path):
    wd = new_workdir(tmp_path)
    (wd / "config/config.yaml").write_text("models: [gan\nsamples: 3\n")
    proc = snakemake("-n", cwd=wd, check=False)
    assert proc.returncode != 0
    assert (
        "config error: config/config.yaml: line 2, column 8: expected ',' or ']', but got ':'; fix the YAML "
        "syntax there" in proc.stdout + proc.stderr
    )
    assert not (wd / "results").exists()


def test_nested_config_values_arrive_typed(tmp_path):
    """case 9: the documented nested --config forms reach the jobs as numbers, merged into the config."""
    from snakemake.api import SnakemakeApi
    from snakemake.cli import parse_config
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    overrides = parse_config(
        ["perf={min_iterations: 5}", "samples={gan: 10}", "demo_architecture={cyclegan_sat2map: {ngf: 8}}"]
    )
    with SnakemakeApi(OutputSettings()) as api:
        wf = api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(config=overrides),
            snakefile=ROOT / "Snakefile",
            workdir=new_workdir(tmp_path),
        )
        config = wf._workflow.config
    assert config["perf"]["min_iterations"] == 5 and config["perf"]["min_seconds"] == 0.5  # config.yaml's
    assert config["samples"]["gan"] == 10 and config["samples"]["dcgan"] == 256  # merged key by key
    assert config["demo_architecture"] == {"cyclegan_sat2map": {"ngf": 8}}


def test_missing_weights_in_config_stops_before_any_job(tmp_path):
    """case 11: checked while the DAG is built, so no job deletes the previous checkpoint first."""
    new_workdir(tmp_path)
    (tmp_path / "c.yaml").write_text("models: [gan]\nweights: {gan: {path: /no/such/generator.pth}}\n")
    proc = snakemake("resources/weights/gan.pth", "-j1", "--configfile", "c.yaml", cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert (
        "config error: /no/such/generator.pth: weights file for model 'gan' not found "
        f"(fix weights.gan.path in {HINT}, or remove it to use demo weights)"
    ) in proc.stdout + proc.stderr
    assert not (tmp_path / "resources/weights").exists()


HEAVY = """
models: [biggan, cyclegan_sat2map, cyclegan_map2sat, dgnet]
chips: [cpu]
batch_sizes: {biggan: [1, 2], cyclegan_sat2map: [1], cyclegan_map2sat: [1], dgnet: [1]}
samples: 3
demo_architecture:
  biggan: {ch: 8}
  cyclegan_sat2map: {ngf: 8, n_blocks: 2}
  cyclegan_map2sat: {ngf: 8, n_blocks: 2}
  dgnet: {dim: 4, width: 8, mlp_dim: 32, id_dim: 256}
perf: {warmup: 1, warmup_seconds: 0, min_iterations: 2, min_seconds: 0.01, max_seconds: 5.0, max_cov: 10.0}
quality:
  inception_weights: inception/inception_v3_google.pth
  fid_inception_weights: inception/pt_inception.pth
  reference: {biggan: inception/moments.npz, dgnet: inception/market}
  is_splits: 1
images: {pngs: smallest}
"""


def quality_resources(folder):
    """Random-weight Inception files of both variants, BigGAN moments and a folder of Market-like images."""
    folder.mkdir()
    for variant, name in (("torchvision", "inception_v3_google.pth"), ("fid", "pt_inception.pth")):
        torch.save(inception.random_init(inception.build(variant)).state_dict(), folder / name)
    rng = np.random.default_rng(0)
    features = rng.normal(size=(16, 2048))
    write_stats(folder / "moments.npz", features.mean(0), np.cov(features, rowvar=False), 16, "random features")
    for ident in ("0002", "0007"):
        (folder / "market" / ident).mkdir(parents=True)
        for k in range(2):
            pixels = rng.integers(0, 256, size=(128, 64, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / "market" / ident / f"{ident}_c1s1_{k:06d}_00.jpg")


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    """BigGAN, both CycleGAN directions and DG-Net (smaller demo widths, same code) through the same DAG,
    with IS / FID on random-weight Inception networks."""
    wd = new_workdir(tmp_path_factory.mktemp("heavy"))
    (wd / "heavy.yaml").write_text(HEAVY)
    quality_resources(wd / "inception")
    snakemake("--notemp", "results/tables/perf.csv", "-j2", "--configfile", "heavy.yaml", cwd=wd)
    return wd


def test_heavy_models_have_rows_in_both_tables(heavy):
    perf = read_csv(heavy / "results/tables/perf.csv")
    assert [(r["model"], r["batch_size"]) for r in perf] == [
        ("biggan", "1"),
        ("biggan", "2"),
        ("cyclegan_map2sat", "1"),
        ("cyclegan_sat2map", "1"),
        ("dgnet", "1"),
    ]
    acc = {(r["model"], r["batch_size"]): r for r in read_csv(heavy / "results/tables/accuracy.csv")}
    assert len(acc) == 5
    for r in acc.values():
        assert float(r["min_cosine"]) >= 0.9999 and r["passed"] == "PASS"
    assert float(acc[("cyclegan_sat2map", "1")]["channel_cosine"]) >= 0.9999
    assert acc[("biggan", "1")]["channel_cosine"] == ""


def test_heavy_models_inputs_outputs_and_images(heavy):
    r = heavy / "results"
    assert {p.stat().st_size for p in (r / "biggan/inputs/label").glob("*.bin")} == {5 * 148 * 4}
    assert {p.stat().st_size for p in (r / "biggan/inputs/noise").glob("*.bin")} == {20 * 4}
    assert (r / "biggan/inputs/gen_y.npz").is_file()
    assert sorted(p.name for p in (r / "cyclegan_map2sat/outputs/cpu/bs1").glob("*.bin")) == [
        "0_B_0.bin",
        "1_B_0.bin",
        "2_B_0.bin",
    ]
    dg = sorted(p.name for p in (r / "dgnet/outputs/cpu/bs1").glob("*.bin"))
    assert len(dg) == 3 and all(n.endswith("_0.bin") and "_gan" in n for n in dg)
    assert {p.stat().st_size for p in (r / "dgnet/outputs/cpu/bs1").glob("*.bin")} == {3 * 256 * 128 * 4}
    assert (r / "dgnet/export/dgnet_bs1.onnx").is_file() and not (r / "dgnet/onnx/dgnet.onnx").exists()
    for model, size in (("biggan", (128, 128)), ("dgnet", (128, 256)), ("cyclegan_sat2map", (256, 256))):
        pngs = sorted((r / model / "images/cpu/bs1").glob("*.png"))
        assert len(pngs) == 3
        with Image.open(pngs[0]) as im:
            assert im.size == size and im.mode == "RGB"


def test_quality_table_of_reference_and_cpu_outputs(heavy):
    rows = read_csv(heavy / "results/tables/quality.csv")
    assert [(r["model"], r["source"], r["batch_size"]) for r in rows] == [
        ("biggan", "pth", ""),
        ("biggan", "cpu", "1"),
        ("dgnet", "pth", ""),
        ("dgnet", "cpu", "1"),
    ]
    by = {(r["model"], r["source"]): r for r in rows}
    for r in rows:
        assert r["weights"] == "demo" and r["images"] == "3" and float(r["fid"]) > 0
        assert len(r["inception_sha256"]) == 64 and "N=3 <= 2048" in r["note"]
    for model in ("biggan", "dgnet"):  # ONNX Runtime outputs match the reference, so do their scores
        assert float(by[(model, "cpu")]["fid"]) == pytest.approx(float(by[(model, "pth")]["fid"]), rel=1e-3)
    biggan, dgnet = by[("biggan", "pth")], by[("dgnet", "cpu")]
    assert biggan["inception"] == "torchvision" and biggan["inception_weights"] == "inception_v3_google.pth"
    assert biggan["is_splits"] == "1" and float(biggan["is_mean"]) >= 1.0
    assert biggan["reference_stats"] == "inception/moments.npz" and biggan["reference_images"] == "16"
    assert dgnet["inception"] == "fid" and dgnet["is_mean"] == "-"
    assert dgnet["reference_stats"] == "resources/quality/dgnet_reference.npz"
    assert dgnet["reference_source"] == "inception/market" and dgnet["reference_images"] == "4"


def quality_job_counts(proc):
    lines = (proc.stdout + proc.stderr).splitlines()
    return {w[0]: int(w[1]) for w in map(str.split, lines) if len(w) == 2 and w[0].startswith("quality")}


def test_default_run_has_quality_jobs_and_no_reference_statistics(tmp_path):
    """The default config: IS/FID records for the pth reference and the cpu outputs of biggan and
    dgnet (they say "not configured"); reference statistics only for a configured image folder."""
    wd = new_workdir(tmp_path)
    proc = snakemake("-n", "results/tables/perf.csv", "--quiet", "rules", cwd=wd)
    assert quality_job_counts(proc) == {"quality": 4}
    (wd / "market" / "0001").mkdir(parents=True)  # configured files exist (checked before any job)
    for k in range(8):
        Image.new("RGB", (64, 128)).save(wd / "market" / "0001" / f"0001_c1s1_{k:06d}_00.jpg")
    (wd / "fid.pth").write_bytes(b"")
    (wd / "c.yaml").write_text("quality: {fid_inception_weights: fid.pth}\ndatasets: {dgnet: market}\n")
    proc = snakemake("-n", "results/tables/perf.csv", "--configfile", "c.yaml", "--quiet", "rules", cwd=wd)
    assert quality_job_counts(proc) == {"quality": 4, "quality_stats": 1}
