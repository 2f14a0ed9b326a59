"""The composition root: the only place in ``clerk`` (with the command line that calls it) that
wires the adapters (``mail``, ``bot``, ``scheduler``) to the domain. ``clerk run`` starts here
(:mod:`.run`, running the :class:`clerk.workers.Worker` each adapter builds); the one-shot commands
that need an adapter (``clerk mail ingest|read|send``, ``clerk schedule``) call :mod:`.commands`."""
