"""Two runs compared: this run's perf.csv against a baseline perf.csv, row by row (model, chip, batch size).

Each row's ratio this/baseline is the ratio of the geometric means of the two runs' round throughputs, with
a 95 % Welch t-interval of the difference of their logarithms (the runs are independent; a run of one round
adds no variance of its own). The verdict is `faster` or `slower` when the interval excludes 1 and the ratio
is at least `min_effect` away from 1 (``1 + min_effect``, or ``1 / (1 + min_effect)`` below), else `same`.
"""

from __future__ import annotations

import math
import statistics

import pandas as pd

from ganinfer.errors import CONFIG_HINT, InputError
from ganinfer.report.columns import COMPARE, PERF
from ganinfer.report.frames import KEY, frame, read_csv
from ganinfer.report.markdown import markdown
from ganinfer.rounds import LEVEL, t_quantile

REQUIRED = [*KEY, "throughput_fps"]
# what may differ between two runs' provenance (perf.csv columns)
PROVENANCE = ["device", "host", "runtime_version", "packages", "git_commit", "config_hash", "threads"]


def read_perf_csv(path: str, key: str = "baseline") -> pd.DataFrame:
    """A perf.csv as a frame; a file that is none is one line naming it and the config ``key``."""
    hint = f"point {key} at the results/tables/perf.csv of another run (in {CONFIG_HINT})"
    try:
        table = read_csv(path, PERF)
    except FileNotFoundError:
        raise InputError(f"{path}: not found; {hint}") from None
    except (ValueError, UnicodeDecodeError, IsADirectoryError) as exc:
        raise InputError(f"{path}: not a perf.csv ({str(exc).splitlines()[0][:120]}); {hint}") from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(f"{path}: not a perf.csv (no column {', '.join(missing)}); {hint}")
    return table


def round_values(rounds, throughput: float) -> list[float]:
    """A row's round throughputs (``round_fps``), or its throughput alone (a perf.csv without rounds)."""
    return rounds if isinstance(rounds, list) and rounds else [throughput]


def log_ratio(this: list[float], base: list[float], level: float = LEVEL) -> tuple[float, float, float]:
    """Ratio of geometric means this/base and its Welch t-interval (on the logarithms)."""
    x, y = [math.log(v) for v in this], [math.log(v) for v in base]
    diff = sum(x) / len(x) - sum(y) / len(y)
    vx = statistics.variance(x) / len(x) if len(x) > 1 else 0.0
    vy = statistics.variance(y) / len(y) if len(y) > 1 else 0.0
    se = math.sqrt(vx + vy)
    if se == 0.0:
        return math.exp(diff), math.exp(diff), math.exp(diff)
    terms = [(v**2) / (n - 1) for v, n in ((vx, len(x)), (vy, len(y))) if n > 1]
    df = (vx + vy) ** 2 / sum(terms)
    half = t_quantile(0.5 + level / 2, df) * se
    return math.exp(diff), math.exp(diff - half), math.exp(diff + half)


def verdict(ratio: float, low: float, high: float, min_effect: float) -> str:
    """``faster``, ``slower`` or ``same`` (see the module's docstring)."""
    if low > 1.0 and ratio >= 1.0 + min_effect:
        return "faster"
    if high < 1.0 and ratio <= 1.0 / (1.0 + min_effect):
        return "slower"
    return "same"


def compare(current: pd.DataFrame, baseline: pd.DataFrame, min_effect: float) -> tuple[pd.DataFrame, dict]:
    """compare.csv's rows (the rows present in both runs), and the rows only one run has."""
    both = current.merge(baseline, on=KEY, suffixes=("", "_base"))
    rows = []
    for _, row in both.iterrows():
        this = round_values(row.get("round_fps"), row["throughput_fps"])
        base = round_values(row.get("round_fps_base"), row["throughput_fps_base"])
        ratio, low, high = log_ratio(this, base)
        rows.append(
            {
                **{k: row[k] for k in KEY},
                "throughput_fps": float(row["throughput_fps"]),
                "baseline_fps": float(row["throughput_fps_base"]),
                "ratio": ratio,
                "ratio_ci_low": low,
                "ratio_ci_high": high,
                "verdict": verdict(ratio, low, high, min_effect),
                "rounds": len(this),
                "baseline_rounds": len(base),
            }
        )
    keys = lambda f: set(map(tuple, f[KEY].astype(str).values.tolist()))  # noqa: E731
    only = {"this run": sorted(keys(current) - keys(baseline)), "baseline": sorted(keys(baseline) - keys(current))}
    return frame(rows, COMPARE), only


def provenance_differences(current: pd.DataFrame, baseline: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Provenance columns whose values differ between the runs: column -> (this run's, the baseline's)."""
    out = {}
    for column in PROVENANCE:
        if column in current.columns and column in baseline.columns:
            a, b = ("; ".join(sorted(set(t[column].dropna().astype(str)) - {""})) for t in (current, baseline))
            if a != b:
                out[column] = (a, b)
    return out


def compare_markdown(table: pd.DataFrame, only: dict, differences: dict, baseline: str, min_effect: float) -> str:
    """compare.md: the provenance differences, then one line per row."""
    out = [f"# This run against {baseline}\n\n"]
    if differences:
        rows = [[k, a, b] for k, (a, b) in differences.items()]
        out.append(markdown(pd.DataFrame(rows, columns=["differs", "this run", "baseline"])))
    else:
        out.append("Same provenance (device, host, runtime, packages, commit, config hash, threads).\n")
    out.append(
        f"\nVerdict: the 95 % interval of the ratio excludes 1 and the change is at least {100 * min_effect:g} %.\n\n"
    )
    rows = [
        [
            r["model"],
            r["chip"],
            r["batch_size"],
            f"{r['throughput_fps']:,.1f}",
            f"{r['baseline_fps']:,.1f}",
            f"{r['ratio']:.3f} ({r['ratio_ci_low']:.3f}–{r['ratio_ci_high']:.3f})",
            r["verdict"],
        ]
        for _, r in table.iterrows()
    ]
    header = ["model", "chip", "batch size", "this run (img/s)", "baseline (img/s)", "ratio (95 % interval)", "verdict"]
    out.append(markdown(pd.DataFrame(rows, columns=header)))
    for who, keys in only.items():
        if keys:
            out.append(f"\nOnly in {who}: " + ", ".join(f"{m} {c} bs{b}" for m, c, b in keys) + "\n")
    return "".join(out)
