"""The scheduler: deadlines derived from the state in SQLite, fired by APScheduler, each run once."""
