"""The facilitator's console: a thin aiohttp adapter that turns a web request into a call of the
same clerk operation the CLI, email and chat call, and its result into a page (templates under
``templates/console/``). Served by ``clerk run`` on its own event loop (``[web] listen``)."""
