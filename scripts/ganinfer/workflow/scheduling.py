"""One wake-up timer for Snakemake's scheduler instead of one per finished job (DAG time only).

Snakemake (9.27.1) honours ``--max-jobs-per-timespan`` (default ``100/1s``) by starting a one-second timer
on every pass of its scheduling loop that found jobs ready (``JobScheduler._schedule_reevalutation``); each
finished job wakes the loop once more and that pass starts a timer of its own, so while jobs stay ready the
one-second chains grow by one per finished job and the loop runs dozens of selection passes a second beside
a timed job (docs/benchmarking.md, "What a timed job shares the machine with"). ``coalesce_reevaluations``
keeps at most one such timer pending: the rate limit is still re-checked every timespan, and the scheduler
wakes once a second at most while timed jobs wait their turn. Hand-written: Snakemake has no setting for it.
"""

from __future__ import annotations

import threading


def coalesced(schedule_reevaluation):
    """A replacement of ``schedule_reevaluation(self, delay)`` that starts a timer only when none of ``self``
    is pending (the original's whole effect is a timer that releases ``self._open_jobs``)."""

    def reevaluate_once(self, delay) -> None:
        with _LOCK:
            if getattr(self, "_ganinfer_timer", None) is not None:
                return
            self._ganinfer_timer = threading.Timer(delay, _fire, args=(self,))
            self._ganinfer_timer.daemon = True  # never holds the process at its end
            self._ganinfer_timer.start()

    reevaluate_once.coalesced = True
    return reevaluate_once


def _fire(scheduler) -> None:
    with _LOCK:
        scheduler._ganinfer_timer = None
    scheduler._open_jobs.release()  # what Snakemake's own timer does when it fires


_LOCK = threading.Lock()


def coalesce_reevaluations() -> bool:
    """Patch Snakemake's scheduler class (once); False when this Snakemake has no such method."""
    try:
        from snakemake.scheduling.job_scheduler import JobScheduler
    except ImportError:
        return False
    original = getattr(JobScheduler, "_schedule_reevalutation", None)
    if original is None:
        return False
    if not getattr(original, "coalesced", False):
        JobScheduler._schedule_reevalutation = coalesced(original)
    return True
