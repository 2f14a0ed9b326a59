"""Doctor's check of the console (``[web]``): whether it is on, whether it is exposed without TLS,
and what answers on its address (clerk's own console, nothing yet, or another program)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

from clerk.config import Config
from clerk.ops.mail_checks import is_loopback
from clerk.ops.verdicts import Check, Part, fail, ok, warn

TIMEOUT = 2.0


def check_console(config: Config) -> list[Check]:
    part = Part.CONSOLE
    web = config.web
    if not web.listen:
        return [ok(part, "listen", "[web] listen is not set: the console is off")]
    found: list[Check] = []
    if not is_loopback(web.host) and not web.public_url.startswith("https://"):
        found.append(warn(part, "tls", f"the console listens on {web.listen}, beyond this "
                          "machine, and no https:// public_url is set: sign-in links and session "
                          "cookies would cross the network unencrypted",
                          'listen on 127.0.0.1 behind a TLS reverse proxy (README: "The console") '
                          'and set public_url = "https://..."', web.listen))
    elif web.public_url.startswith("http://") and not is_loopback(
            web.public_url.removeprefix("http://").split("/")[0].rsplit(":", 1)[0].strip("[]")):
        found.append(warn(part, "tls", f"public_url {web.public_url} is not https: the session "
                          "cookie is not marked Secure", "serve it through a TLS proxy and set "
                          "public_url to its https:// address", web.public_url))
    found.append(_who_answers(config))
    return found


def _who_answers(config: Config) -> Check:
    web = config.web
    part = Part.CONSOLE
    host = "127.0.0.1" if web.host in ("0.0.0.0", "") else ("::1" if web.host == "::" else web.host)
    try:
        with socket.create_connection((host, web.port), timeout=TIMEOUT):
            pass
    except OSError:
        return ok(part, "listen", f"nothing listens on {web.listen} yet: clerk run will serve "
                  f"the console there ({web.base_url})", web.listen)
    try:
        url = f"http://{host if ':' not in host else f'[{host}]'}:{web.port}/healthz"
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            body = answer.read(16)
    except (OSError, urllib.error.URLError):
        body = b""
    if body.strip() == b"ok":
        return ok(part, "listen", f"the console answers on {web.listen} ({web.base_url})",
                  web.listen)
    return fail(part, "listen", f"another program is listening on {web.listen}, so clerk run "
                "cannot serve the console there", "stop that program, or choose another port in "
                "[web] listen", web.listen)
