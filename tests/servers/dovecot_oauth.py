"""A private Dovecot that only takes OAuth2 bearer tokens (SASL XOAUTH2 / OAUTHBEARER), checked at
the fake identity provider's introspection endpoint (``passdb oauth2``); no passwords anywhere.

Set up as ``../shared/TESTING.md`` ("OAuth2 mail sign-in on loopback") describes: a static userdb
with ``allow_all_users`` (LMTP still delivers), and the test suite's own access to the mailbox
(``append``, ``messages``, ``clear``) logs in with a token it mints at the identity provider.
"""

from __future__ import annotations

import contextlib
import os

from imapclient import IMAPClient  # type: ignore[import-untyped]

from .dovecot import Dovecot
from .idp import FakeIdentityProvider


class DovecotOAuth(Dovecot):
    """Like :class:`Dovecot`, but users log in with tokens from ``idp``. ``add_user(name, "-")``
    makes the home folder; the password is ignored."""

    def __init__(self, imap_port: int, lmtp_port: int, idp: FakeIdentityProvider,
                 **kwargs: object) -> None:
        self.idp = idp
        super().__init__(imap_port, lmtp_port, **kwargs)  # type: ignore[arg-type]

    def _write_config(self) -> None:
        super()._write_config()
        text = self.config_path.read_text()
        privileged = os.geteuid() == 0
        passdb_start = text.index("passdb {")
        userdb_end = text.index("}", text.index("userdb {")) + 1
        home = f"{self.mail_root}/%n"
        text = (text[:passdb_start]
                + f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                  f"  args = {self.dir}/dovecot-oauth2.conf.ext\n}}\n"
                  f"userdb {{\n  driver = static\n  args = uid={self.uid} gid={self.gid} "
                  f"home={home} allow_all_users=yes\n}}"
                + text[userdb_end:])
        text = text.replace("auth_mechanisms = plain login", "auth_mechanisms = xoauth2 oauthbearer")
        text = text.replace("instance_name = clerk-test-", "instance_name = clerk-oauth-test-")
        if not privileged:
            pass  # the same unprivileged settings as the password Dovecot
        self.config_path.write_text(text + "auth_verbose = yes\n")
        (self.dir / "dovecot-oauth2.conf.ext").write_text(
            "introspection_mode = post\n"
            f"introspection_url = {self.idp.url}/introspect\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n")

    def client(self, user: str) -> IMAPClient:
        """A new IMAPClient logged in as ``user`` with a token minted for the test itself."""
        imap = IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=30)
        try:
            imap.oauth2_login(user, self.idp.mint(user, "test-suite"))
        except BaseException:
            with contextlib.suppress(Exception):
                imap.shutdown()
            raise
        return imap
