"""The composition root: the only place in ``clerk`` that wires the adapters (``mail``, ``bot``,
``scheduler``) to the domain. ``clerk run`` starts here (:mod:`.run`)."""
