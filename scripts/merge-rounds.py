"""Stage `perf_rounds`: one perf row from its timed rounds (ganinfer.rounds): mean throughput over the rounds
with its 95 % interval, pooled latencies, VALID when every round is.

By hand:  python scripts/merge-rounds.py --rounds r1.json r2.json r3.json --out perf.json
"""

from ganinfer import cli
from ganinfer.fileio import read_json, write_json
from ganinfer.rounds import combine


def run(rounds: list[str], out: str):
    """``rounds``: the rounds' records, in round order."""
    rec = combine([read_json(path) for path in rounds])
    write_json(rec, out)
    print(
        f"{rec['model']} {rec['chip']} bs{rec['batch_size']}: {rec['throughput_fps']:.1f} img/s over "
        f"{rec['rounds']} rounds (95 % interval {rec['throughput_ci_low']:.1f} .. {rec['throughput_ci_high']:.1f}; "
        f"rounds {', '.join(f'{x:.1f}' for x in rec['round_fps'])}), "
        f"{'VALID' if rec['valid'] else 'INVALID: ' + rec['invalid_reason']}"
    )


if __name__ == "__main__":
    cli.main(run)
