"""The deadline keeper: runs what is due (once), and keeps APScheduler's jobs in step with the plan.

APScheduler only decides *when* to wake up; what is due is always recomputed from SQLite
(:func:`scheduler.plan.plan`), and :func:`clerk.services.deadline_jobs.run_job` records each run
in the same transaction as its effects. So a restart rebuilds the schedule, a job missed while
clerk was down runs once on start, and two restarts leave one job per deadline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from clerk.app import Clerk
from clerk.services.deadline_jobs import DueJob, run_job
from scheduler.plan import PlannedJob, plan, state_version

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger("clerk.scheduler")

#: Deadlines within this window get an APScheduler job of their own; later ones are planned
#: again when the window moves on (a daily re-plan), so 10,000 meetings cost little.
WINDOW = timedelta(days=14)
JOB_PREFIX = "deadline:"


@dataclass(frozen=True)
class Ran:
    job: PlannedJob
    outcome: str


class DeadlineKeeper:
    """Derives the schedule from the store and runs due jobs. ``scheduler`` may be None (tests
    and the CLI drive it with :meth:`run_due`)."""

    def __init__(self, app: Clerk, scheduler: BaseScheduler | None = None):
        self.app = app
        self.scheduler = scheduler
        self._version = -1

    def pending(self) -> list[PlannedJob]:
        return plan(self.app)

    def run_due(self) -> list[Ran]:
        """Run every job due by now that has not run yet, earliest first."""
        now = self.app.clock.now()
        ran = []
        for job in self.pending():
            if job.at > now:
                break
            try:
                outcome = run_job(self.app, DueJob(job.key, job.kind, job.subject_ref, job.at))
            except Exception:  # one failing job must not stop the others
                log.exception("deadline %s failed; it will be retried at the next run", job.key)
                continue
            if outcome is not None:
                log.info("%s for %s: %s", job.what, job.subject_ref, outcome)
                ran.append(Ran(job, outcome))
        return ran

    def rebuild(self) -> int:
        """Replace the scheduler's deadline jobs with the current plan's; returns how many."""
        self._version = state_version(self.app)
        if self.scheduler is None:
            return 0
        now = self.app.clock.now()
        wanted = {f"{JOB_PREFIX}{j.key}": j for j in self.pending()
                  if now < j.at <= now + WINDOW}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                job.remove()
        for job_id, job in wanted.items():
            self.scheduler.add_job(self._run_due_async, "date", run_date=job.at, id=job_id,
                                   name=f"{job.what} ({job.subject_ref})", replace_existing=True,
                                   misfire_grace_time=None, coalesce=True)
        return len(wanted)

    def refresh_if_changed(self) -> bool:
        """Re-plan when anything was written since the last plan (a meeting added or moved)."""
        if state_version(self.app) == self._version:
            return False
        self.run_due()
        self.rebuild()
        return True

    # APScheduler runs coroutine jobs on the event loop itself, so every database call stays on
    # the one thread that owns the connection (plain functions would go to a thread pool).
    async def _run_due_async(self) -> None:
        self.run_due()
        self.rebuild()

    async def _refresh_async(self) -> None:
        self.refresh_if_changed()

    async def _rebuild_async(self) -> None:
        self.rebuild()

    def start(self) -> list[Ran]:
        """On start: run what was missed while clerk was down (once), then plan what is ahead."""
        ran = self.run_due()
        self.rebuild()
        if self.scheduler is not None:
            self.scheduler.add_job(self._refresh_async, "interval", seconds=15,
                                   id="replan-on-change", replace_existing=True, coalesce=True,
                                   max_instances=1)
            self.scheduler.add_job(self._rebuild_async, "cron", hour=0, minute=5, id="replan-daily",
                                   replace_existing=True, coalesce=True)
        return ran


def next_due(app: Clerk, limit: int = 50) -> list[PlannedJob]:
    """What is due next, for ``clerk schedule``."""
    return plan(app)[:limit]


def describe(job: PlannedJob, now: datetime) -> str:
    state = "overdue" if job.at <= now else "due"
    return f"{state}: {job.what} ({job.why})"
