"""Real mail servers on loopback for the test suite.

``Dovecot`` (IMAP + LMTP, a private ``dovecot -F`` instance) and ``SmtpSink``
(an aiosmtpd server that records what it receives) are started by the fixtures
in ``tests/conftest.py``; ``free_port`` picks the ports they listen on.
"""

from .dovecot import Dovecot, DovecotError, find_dovecot, require_dovecot
from .ports import free_port
from .smtp import ReceivedMessage, SmtpSink

__all__ = [
    "Dovecot",
    "DovecotError",
    "ReceivedMessage",
    "SmtpSink",
    "find_dovecot",
    "free_port",
    "require_dovecot",
]
