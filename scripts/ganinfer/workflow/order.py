"""The order of the jobs, by the priorities the greedy scheduler of profiles/default sorts by.

A timed job asks for every ``bench`` unit (each other job holds one) and has a priority below every untimed
job, so it starts only when no untimed job runs or is ready, and nothing starts beside it. No input edge
orders the timed jobs, so an edit reruns exactly the timed rows it can change.
"""

# the reference before the inference runs it is compared with: each device output folder (temp) is read
# and deleted as soon as its inference ends instead of waiting for the reference
REFERENCE = 1
# the GEMM peak and round 1 of every perf row; round r at TIMED - r + 1
TIMED = -1


def round_priority(wildcards) -> int:
    """Round r of every row before round r + 1 of any: the rounds of a run interleave in time."""
    return TIMED - int(wildcards["round"]) + 1


def after_timed(rounds: int) -> int:
    """Below every round: jobs that only read timed records start once the timing is over."""
    return TIMED - rounds
