"""What the Snakemake scheduler costs a timed job, and how a cold run's perf rows compare with a rerun's.

    python scripts/benchmark_scheduler.py run -- make run
        runs the command, samples Snakemake's main process twice a second (own CPU time, and the CPU time of
        children it reaped, i.e. solver processes) and prints both while a timed job (perf.py,
        gemm_peak.py) was its only running child, in ticks per second (100 = one core);
    python scripts/benchmark_scheduler.py compare cold.csv rerun.csv
        prints each perf row's throughput in both tables, the ratio and the larger reported CoV.

A benchmark: it prints figures and does not pass or fail.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time

TIMED = ("perf.py", "gemm_peak.py", "perf_ais.py")


def cpu_ticks(pid: int) -> tuple[int, int]:
    """(utime + stime, cutime + cstime) of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def children(pid: int) -> list[tuple[int, str]]:
    """Every descendant of ``pid`` with its command line."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            continue
        for kid in kids:
            try:
                with open(f"/proc/{kid}/cmdline") as f:
                    found.append((kid, f.read().replace("\0", " ")))
            except OSError:
                continue
            found += children(kid)
    return found


def run(command: list[str]) -> None:
    proc = subprocess.Popen(command)
    own = reaped = span = 0.0
    last = None
    while proc.poll() is None:
        # the scheduler: the first snakemake process from the top (the command may be `make run`)
        tree = [(proc.pid, " ".join(command)), *children(proc.pid)]
        main = next((pid for pid, cmd in tree if "snakemake" in cmd and "python" in cmd), None)
        if main is None:
            time.sleep(0.5)
            continue
        try:
            ticks, kids = cpu_ticks(main), children(main)
        except OSError:
            continue
        timed = tuple(sorted(k for k, cmd in kids if any(t in cmd for t in TIMED) and "python" in cmd))
        now = time.monotonic()
        if last and timed and last[1] == timed and last[3] == main:
            span += now - last[0]
            own += ticks[0] - last[2][0]
            reaped += ticks[1] - last[2][1]
        last = (now, timed, ticks, main)
        time.sleep(0.5)
    proc.wait()
    hz = os.sysconf("SC_CLK_TCK")
    rate = 100 / hz / max(span, 1e-9)
    print(f"exit status {proc.returncode}; timed jobs sampled for {span:.1f} s")
    print(f"scheduler's own CPU while a timed job ran: {own * rate:.1f} ticks/s (100 = one core)")
    print(f"children it reaped meanwhile (solvers):   {reaped * rate:.1f} ticks/s")


def compare(cold: str, rerun: str) -> None:
    def rows(path):
        with open(path) as f:
            return {(r["model"], r["chip"], r["batch_size"]): r for r in csv.DictReader(f)}

    a, b = rows(cold), rows(rerun)
    print("| model | chip | bs | cold img/s | rerun img/s | cold/rerun | larger robust CoV | cold | rerun |")
    print("|---|---|---|---|---|---|---|---|---|")
    valid = [0, 0]
    within = 0
    for key in sorted(a.keys() & b.keys()):
        x, y = a[key], b[key]
        ratio = float(x["throughput_fps"]) / float(y["throughput_fps"])
        cov = max(float(x["latency_robust_cov"]), float(y["latency_robust_cov"]))
        valid[0] += x["valid"] == "VALID"
        valid[1] += y["valid"] == "VALID"
        within += abs(ratio - 1) <= 0.10
        print(
            f"| {' | '.join(key)} | {float(x['throughput_fps']):,.1f} | {float(y['throughput_fps']):,.1f} "
            f"| {ratio:.3f} | {cov:.3f} | {x['valid']} | {y['valid']} |"
        )
    n = len(a.keys() & b.keys())
    print(f"\nVALID: cold {valid[0]} of {n}, rerun {valid[1]} of {n}; cold within 10 % of rerun: {within} of {n}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "run":
        run(sys.argv[3:] if sys.argv[2] == "--" else sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
