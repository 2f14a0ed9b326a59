"""Free TCP ports on loopback for test servers.

Servers here cannot bind port 0 and report back (aiosmtpd's readiness probe connects to the
configured port; Dovecot's config needs a number), so a port is found by binding port 0 once,
reading the number the kernel chose, and closing the socket again. Ports handed out in this
process are remembered so two servers of one test session never get the same number.
"""

from __future__ import annotations

import socket
import threading

_lock = threading.Lock()
_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that is free now and not handed out before in this process."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        with _lock:
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise RuntimeError(f"no free TCP port found on {host}")
