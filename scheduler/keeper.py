"""The deadline keeper: runs what is due (once), and keeps APScheduler's jobs in step with the plan.

APScheduler only decides *when* to wake up; what is due is always recomputed from SQLite
(:func:`scheduler.plan.plan`), and :func:`clerk.deadlines.handlers.run_job` records each run
in the same transaction as its effects. So a restart rebuilds the schedule, a job missed while
clerk was down runs once on start, and two restarts leave one job per deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from clerk.app import Clerk
from clerk.deadlines import DueJob, run_job
from clerk.rules.replies_first import needs_replies
from scheduler.plan import PlannedJob, plan, state_version

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger("clerk.scheduler")

#: Deadlines within this window get an APScheduler job of their own; later ones are planned
#: again when the window moves on (a daily re-plan), so 10,000 meetings cost little.
WINDOW = timedelta(days=14)
JOB_PREFIX = "deadline:"
#: How often (seconds) the keeper looks whether anything was written, to plan and run again.
REFRESH_SECONDS = 15.0


@dataclass(frozen=True)
class Ran:
    job: PlannedJob
    outcome: str


class DeadlineKeeper:
    """Derives the schedule from the store and runs due jobs. ``scheduler`` may be None (tests
    and the CLI drive it with :meth:`run_due`)."""

    def __init__(self, app: Clerk, scheduler: BaseScheduler | None = None,
                 read_inbox: Callable[[], Coroutine[Any, Any, object]] | None = None):
        self.app = app
        self.scheduler = scheduler
        self.read_inbox = read_inbox
        self._version = -1

    async def run_due_async(self) -> list[Ran]:
        """As :meth:`run_due`, but first read the inbox to the end when a deadline that depends
        on replies is due (:func:`clerk.rules.replies_first.needs_replies`: reminders, the quorum
        forecast, a vote's close), so a member who answered at 08:59 is not reminded at 09:00
        and a vote the server received at 23:59 counts even if clerk reads it at 00:01."""
        now = self.app.clock.now()
        waiting = [j for j in self.pending() if j.at <= now and needs_replies(j.code)]
        if waiting and self.read_inbox is not None:
            try:
                await self.read_inbox()
            except Exception as exc:  # the inbox being unreachable must not stop them forever
                log.warning("could not read the inbox to the end before %s (%s): it runs on "
                            "what has been read", waiting[0].what, exc)
        return self.run_due()

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

    # APScheduler runs coroutine jobs on the event loop itself, so every database call stays on
    # the one thread that owns the connection (plain functions would go to a thread pool).
    async def _run_due_async(self) -> None:
        await self.run_due_async()
        self.rebuild()

    async def _refresh_async(self) -> None:
        if state_version(self.app) != self._version:
            await self.run_due_async()
            self.rebuild()

    async def _rebuild_async(self) -> None:
        self.rebuild()

    def start(self) -> list[Ran]:
        """On start: run what was missed while clerk was down (once), then plan what is ahead."""
        ran = self.run_due()
        self._schedule_housekeeping()
        return ran

    async def start_async(self) -> list[Ran]:
        """As :meth:`start`, reading the inbox to the end first if a vote closed while down."""
        ran = await self.run_due_async()
        self._schedule_housekeeping()
        return ran

    def _schedule_housekeeping(self) -> None:
        self.rebuild()
        if self.scheduler is not None:
            self.scheduler.add_job(self._refresh_async, "interval", seconds=REFRESH_SECONDS,
                                   id="replan-on-change", replace_existing=True, coalesce=True,
                                   max_instances=1)
            self.scheduler.add_job(self._rebuild_async, "cron", hour=0, minute=5, id="replan-daily",
                                   replace_existing=True, coalesce=True)


