"""The scripts' arguments, declared once by ``run``'s signature (``ganinfer.cli``): filled from a
Snakemake job's input, output, params and wildcards, or parsed from the command line."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from typing import Annotated

import pytest
import yaml
from snakemake.iocontainers import Namedlist

from common import ROOT, SCRIPTS, stage
from ganinfer import bench, cli
from ganinfer.backends.onnxruntime import PROVIDER_OPTIONS

accuracy, perf, perf_ais, tables = map(stage, ["score-accuracy", "time-inference", "time-ais-bench", "write-tables"])
PERF_SCHEMA = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())["properties"]["perf"]["properties"]


def job(
    model: str,
    bs: int,
    onnx: str,
    out: str,
    summary: str,
    bench: Annotated[dict, cli.Setting("perf")],
    threads: int = 1,
    label: str = "unset",
    config: dict | None = None,
):
    """A stage's run()."""


def smk(**kw):
    """A Snakemake object of a job of ``job`` (rule perf_x); ``kw`` replaces its parts."""
    parts = dict(
        input=Namedlist(fromdict={"onnx": "m_bs4.onnx", "after": []}),
        output=Namedlist(fromdict={"outputs": "out/bs4", "summary": "out/bs4_summary.json"}),
        params=SimpleNamespace(bench={"warmup": 2}),
        wildcards=Namedlist(fromdict={"model": "dcgan", "bs": "4"}),
        threads=3,
        config={"seed": 1},
        rule="perf_x",
        log=[],
    )
    return SimpleNamespace(**{**parts, **kw})


def test_run_is_filled_by_name_from_the_snakemake_object():
    kwargs = cli.snakemake_arguments(job, smk())
    assert kwargs == {
        "model": "dcgan",
        "bs": 4,
        "onnx": "m_bs4.onnx",
        "out": "out/bs4",  # the first output
        "summary": "out/bs4_summary.json",
        "bench": {"warmup": 2},
        "threads": 3,
        "config": {"seed": 1},
    }
    assert type(kwargs["bs"]) is int  # a wildcard, converted by the annotation
    named = Namedlist(fromdict={"summary": "s.json", "out": "o.json"})
    assert cli.snakemake_arguments(job, smk(output=named))["out"] == "o.json"  # an output named out


def test_a_name_in_none_or_two_places_names_script_parameter_and_rule():
    with pytest.raises(TypeError) as missing:
        cli.snakemake_arguments(job, smk(input=Namedlist(fromdict={"model_file": "m.onnx"})))
    assert str(missing.value) == (
        "scripts/test_cli.py: run()'s 'onnx' is in none of rule perf_x's input, output, params, wildcards "
        "(nor threads, config); give the rule one of that name"
    )
    with pytest.raises(TypeError) as twice:
        cli.snakemake_arguments(job, smk(params=SimpleNamespace(bench={}, bs=8)))
    assert str(twice.value) == (
        "scripts/test_cli.py: run()'s 'bs' is in both params and wildcards of rule perf_x; rename one of them"
    )


def test_main_takes_the_global_snakemake_object(tmp_path):
    seen = {}
    namespace = {"snakemake": smk(log=[str(tmp_path / "job.log")]), "__file__": "stage.py", "seen": seen}
    exec(
        "def run(model: str, bs: int, threads: int = 1):\n    seen.update(model=model, bs=bs, threads=threads)\n",
        namespace,
    )
    cli.main(namespace["run"])
    assert seen == {"model": "dcgan", "bs": 4, "threads": 3}
    assert (tmp_path / "job.log").exists()


def test_command_line_from_the_signature():
    args = ["--model", "dcgan", "--bs", "4", "--onnx", "m.onnx", "--out", "p.json", "--summary", "s.json"]
    kwargs = cli.command_line_arguments(job, [*args, "--min-seconds", "0.5", "--warmup", "3"])
    assert kwargs.pop("bench") == {
        **{key: prop["default"] for key, prop in PERF_SCHEMA.items()},
        "min_seconds": 0.5,
        "warmup": 3,
    }
    assert kwargs == {
        "model": "dcgan",
        "bs": 4,
        "onnx": "m.onnx",
        "out": "p.json",
        "summary": "s.json",
        "threads": 1,
        "label": "unset",
        "config": None,
        "log": None,
        "configfile": None,
    }
    assert type(kwargs["bs"]) is int
    with_config = cli.command_line_arguments(job, [*args, "--config", '{"seed": 2}', "--log", "x.log"])
    assert with_config["config"] == {"seed": 2} and with_config["log"] == "x.log"
    for i in range(0, len(args), 2):  # every parameter without a default is required
        with pytest.raises(SystemExit):
            cli.command_line_arguments(job, args[:i] + args[i + 2 :])


def test_settings_by_hand_are_the_schemas():
    """time-inference.py by hand times as the workflow does: the perf options' defaults are config/schema.yaml's."""
    base = ["--model", "dcgan", "--onnx", "m.onnx", "--inputs", "in", "--bs", "2", "--out", "p.json"]
    got = cli.command_line_arguments(perf.run, base)
    assert got["bench"] == {key: prop["default"] for key, prop in PERF_SCHEMA.items()} == bench.BenchSettings().__dict__
    assert got["bench"]["min_seconds"] == 1.0 and got["bench"]["max_seconds"] == 30.0
    assert got["chip"] == "cpu" and got["provider_options"] is None
    assert cli.command_line_arguments(perf.run, [*base, "--provider-option", "device_id=0"])["provider_options"] == {
        "device_id": "0"
    }
    helptext = subprocess.run(
        [sys.executable, str(SCRIPTS / "time-inference.py"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--min-seconds MIN_SECONDS" in helptext.replace("\n", " ") and "(default: 30.0)" in helptext
    assert helptext.startswith("usage: time-inference.py") and perf.__doc__.splitlines()[0] in helptext
    acc = ["--model", "m", "--chip", "cpu", "--bs", "1", "--outputs", "o", "--reference", "r", "--out", "a.json"]
    assert cli.command_line_arguments(accuracy.run, acc)["threshold"] == 0.99  # accuracy.threshold's default
    assert cli.command_line_arguments(accuracy.run, [*acc, "--threshold", "0.5"])["threshold"] == 0.5


def test_switches_lists_and_converted_options():
    ais = ["--model", "m", "--chip", "Ascend310P3", "--bs", "4", "--probe", "p"]
    assert cli.command_line_arguments(perf_ais.run, ais)["calibrate"] is False
    assert cli.command_line_arguments(perf_ais.run, [*ais, "--calibrate", "--warmup-count", "5"])["calibrate"] is True
    got = cli.command_line_arguments(
        tables.run,
        ["--perf", "a.json", "b.json", "--outdir", "t", "--ratio", "x", "y", "--ratio", "u", "v"]
        + ["--check", "x", "y", "0.5"],
    )
    assert got["perf"] == ["a.json", "b.json"] and got["ratios"] == [["x", "y"], ["u", "v"]]
    assert got["check"] == {"chip": "x", "baseline": "y", "min_ratio": 0.5} and got["accuracy"] == ()
    assert cli.command_line_arguments(tables.run, ["--perf", "a", "--outdir", "t"])["ratios"] == []
    assert PROVIDER_OPTIONS.flag == "--provider-option"
