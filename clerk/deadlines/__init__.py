"""What each scheduled deadline does when it falls due (:mod:`.handlers`); the scheduler adapter
plans them from the state in SQLite.

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.deadlines.handlers import DueJob, run_job

__all__ = ["DueJob", "run_job"]
