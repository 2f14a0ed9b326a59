"""Shared pytest fixtures for the clerk test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# `tests.servers` is importable because pyproject.toml sets pytest's pythonpath = ["."].
from tests.servers import Dovecot, SmtpSink, free_port

pytest_plugins = ["tests.app_fixtures", "tests.console_fixtures"]

# =============================================================================================
# Real mail servers on loopback (tests/servers/). Owned by the test-servers set-up; see
# tests/test_servers_smoke.py for how they are used.
#   dovecot        session: one private Dovecot (IMAP + LMTP), user "clerk" / password "secret",
#                  folders INBOX, Archive, Processed, Quarantine. Skips if dovecot is missing
#                  (fails instead when CI=true). Mail persists across tests: call
#                  dovecot.clear("clerk") for an empty mailbox.
#   smtp_sink      function: plain SMTP sink, no TLS, no AUTH.
#   smtp_sink_tls  function: SMTP sink requiring STARTTLS + AUTH as "clerk" / "smtp-secret".
# =============================================================================================

DOVECOT_USER = "clerk"
DOVECOT_PASSWORD = "secret"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot shared by the whole session; stopped and removed at the end."""
    server = Dovecot(imap_port=free_port(), lmtp_port=free_port())
    try:
        server.add_user(DOVECOT_USER, DOVECOT_PASSWORD)
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A fresh plain SMTP sink on its own port, stopped after the test."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def smtp_sink_tls() -> Iterator[SmtpSink]:
    """A fresh SMTP sink that requires STARTTLS and AUTH (user "clerk", password "smtp-secret")."""
    with SmtpSink(tls=True) as sink:
        yield sink


# ======================================================================= end of mail servers
