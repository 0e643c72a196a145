"""What the Snakemake scheduler costs a timed job, and how a cold run's perf rows compare with a rerun's.

    python benchmarks/scheduler.py run -- make run
        runs the command and samples twice a second, while a timed job (time-inference.py, measure-gemm-peak.py) is
        the only running child of Snakemake's main process: the scheduler's own CPU time, that of the
        children it reaped (solver processes), the rest of the machine's and the hypervisor's steal (/proc/stat);
    python benchmarks/scheduler.py compare cold.csv rerun.csv
        prints each perf row's throughput in both tables, the ratio and the larger reported CoV.

A benchmark: it prints figures and does not pass or fail.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time

TIMED = ("time-inference.py", "measure-gemm-peak.py", "time-ais-bench.py")


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


def machine_ticks() -> tuple[int, int]:
    """(busy, steal) clock ticks of the whole machine from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return user + nice + system + irq + softirq, steal


def cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline") as f:
        return f.read().replace("\0", " ")


def run(command: list[str]) -> None:
    """Over the spans in which one timed job was the scheduler's only running child: the scheduler's
    own CPU, its reaped children's, everything else on the machine, and the hypervisor's steal."""
    proc = subprocess.Popen(command)
    totals = dict.fromkeys(("own", "reaped", "other", "steal"), 0.0)
    span, last = 0.0, None
    while proc.poll() is None:
        try:
            # the scheduler: the first snakemake process from the top (the command may be `make run`)
            tree = [(proc.pid, cmdline(proc.pid)), *children(proc.pid)]
            main = next((pid for pid, cmd in tree if "bin/snakemake" in cmd and "python" in cmd), None)
            kids = children(main) if main else []
            timed = tuple(sorted(k for k, cmd in kids if any(t in cmd for t in TIMED) and "python" in cmd))
            sample = (
                time.monotonic(),
                timed,
                main,
                cpu_ticks(main) if main else (0, 0),
                sum(sum(cpu_ticks(k)) for k in timed),
                machine_ticks(),
            )
        except OSError:  # a process ended while it was read
            time.sleep(0.5)
            continue
        if last and timed and last[1:3] == sample[1:3]:
            span += sample[0] - last[0]
            own, reaped = (sample[3][i] - last[3][i] for i in (0, 1))
            busy, steal = (sample[5][i] - last[5][i] for i in (0, 1))
            totals["own"] += own
            totals["reaped"] += reaped
            totals["other"] += busy - own - reaped - (sample[4] - last[4])
            totals["steal"] += steal
        last = sample
        time.sleep(0.5)
    proc.wait()
    rate = 100 / os.sysconf("SC_CLK_TCK") / max(span, 1e-9)
    print(f"exit status {proc.returncode}; timed jobs sampled for {span:.1f} s; ticks/s, 100 = one core:")
    print(f"  the scheduler's own CPU           {totals['own'] * rate:6.1f}")
    print(f"  children it reaped (solvers)      {totals['reaped'] * rate:6.1f}")
    print(f"  everything else on the machine    {totals['other'] * rate:6.1f}")
    print(f"  stolen by the hypervisor          {totals['steal'] * rate:6.1f}")


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
