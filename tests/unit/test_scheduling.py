"""The scheduler's wake-up timer (ganinfer.workflow.scheduling): one pending at a time."""

import threading

from snakemake.scheduling.job_scheduler import JobScheduler

from ganinfer.workflow.scheduling import coalesce_reevaluations, coalesced


def test_the_scheduler_keeps_one_wakeup_timer_pending():
    """Snakemake's scheduler starts a timer per selection pass; patched, a second call while one is pending
    starts none, and the pending one releases the scheduler's semaphore exactly once."""
    assert coalesce_reevaluations() and getattr(JobScheduler._schedule_reevalutation, "coalesced", False)
    fake = type("Scheduler", (), {"_open_jobs": threading.Semaphore(0)})()
    reevaluate = coalesced(lambda self, delay: None)
    reevaluate(fake, 0.2)
    timer = fake._ganinfer_timer
    for _ in range(49):
        reevaluate(fake, 0.2)
    assert fake._ganinfer_timer is timer and timer.daemon
    timer.join()
    assert fake._open_jobs.acquire(timeout=1)
    assert not fake._open_jobs.acquire(blocking=False)  # released once, not 50 times
    reevaluate(fake, 0.2)  # after it fired, the next pass starts a new one
    assert fake._ganinfer_timer is not timer
    fake._ganinfer_timer.join()
    assert fake._open_jobs.acquire(timeout=1)
