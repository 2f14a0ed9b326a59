"""Read-only views for people: a meeting as the facilitator sees it, and a body's summary
(:mod:`.views`)."""
