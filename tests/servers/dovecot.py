"""A private Dovecot 2.3 (IMAP + LMTP) on loopback, started and stopped by the test suite.

Each ``Dovecot`` writes its own config, users file and maildirs into a short temp dir
(``/tmp/dcXXXXXXXX``: unix socket paths must stay under 108 characters) and runs
``dovecot -F -c CONF`` as a child process. Nothing touches the system Dovecot config.

Mail belongs to uid/gid 5000 (a ``vmail``-like owner that needs no ``/etc/passwd`` entry) when
running as root; as another user, the current uid/gid is used instead.

If the ``dovecot`` binary is missing, ``require_dovecot()`` skips the calling test, except under
CI (``CI=true``), where a missing server fails the run instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import grp
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pytest
from imapclient import IMAPClient

VMAIL_UID = 5000
VMAIL_GID = 5000
DEFAULT_FOLDERS: tuple[str, ...] = ("INBOX", "Archive", "Processed", "Quarantine")
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
_APT_HINT = (
    "apt-get install -y --no-install-recommends dovecot-imapd dovecot-lmtpd "
    "(scripts/test.sh does this when run as root)"
)


class DovecotError(RuntimeError):
    """Dovecot failed to start or stop; the message carries the tail of its log."""


def find_dovecot() -> str | None:
    """Return the path of the ``dovecot`` binary (also looked for in the sbin dirs), or None."""
    return shutil.which("dovecot", path=_SEARCH_PATH)


def require_dovecot() -> str:
    """Return the ``dovecot`` binary's path; skip the test if missing, or fail when ``CI=true``."""
    binary = find_dovecot()
    if binary is not None:
        return binary
    reason = f"dovecot binary not found: real IMAP tests need it; install with {_APT_HINT}"
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


_prctl: Callable[..., int] | None
try:  # looked up here, not in the forked child: no dlopen between fork and exec
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux/glibc: no parent-death signal
    _prctl = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: have Linux SIGTERM dovecot if the test process dies."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Dovecot:
    """One private Dovecot instance: IMAP and LMTP on ``host`` at the given ports.

    Typical use: ``Dovecot(imap_port, lmtp_port)``, ``add_user("clerk", "secret")``,
    ``start()``; then ``append``/``messages``/``folders``/``client``; ``stop()`` at the end
    (``close()`` also removes the temp dir). Folders INBOX, Archive (``\\Archive``),
    Processed and Quarantine exist for every user.
    """

    def __init__(
        self,
        imap_port: int,
        lmtp_port: int,
        *,
        host: str = "127.0.0.1",
        binary: str | None = None,
        extra_folders: Sequence[str] = (),
    ) -> None:
        self.host = host
        self.imap_port = imap_port
        self.lmtp_port = lmtp_port
        self.binary = binary or require_dovecot()
        self.folders_created: tuple[str, ...] = (*DEFAULT_FOLDERS, *extra_folders)
        self.dir = Path(tempfile.mkdtemp(prefix="dc", dir="/tmp"))
        self.dir.chmod(0o755)  # the mail processes (uid 5000) must traverse it
        self.config_path = self.dir / "dovecot.conf"
        self.log_path = self.dir / "dovecot.log"
        self.users_path = self.dir / "users"
        self.mail_root = self.dir / "mail"
        self._users: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            self.uid, self.gid = VMAIL_UID, VMAIL_GID
            self._internal_user, self._login_user = "dovecot", "dovenull"
            self._internal_group = "dovecot"
        else:  # Dovecot can run unprivileged when every service runs as the current user
            self.uid, self.gid = os.geteuid(), os.getegid()
            self._internal_user = self._login_user = pwd.getpwuid(self.uid).pw_name
            self._internal_group = grp.getgrgid(self.gid).gr_name
        self.mail_root.mkdir()
        os.chown(self.mail_root, self.uid, self.gid)
        self._write_users()
        self._write_config()

    # ------------------------------------------------------------------ users

    def add_user(self, name: str, password: str) -> None:
        """Create (or re-password) a mail user, best before ``start()``.

        While running this also works, but takes up to a second: Dovecot re-reads the users
        file at most once per second, so this waits for the next whole second.
        """
        if not re.fullmatch(r"[A-Za-z0-9._+-]+", name) or not password or ":" in password:
            raise ValueError(f"unsupported user name or password for the test server: {name!r}")
        home = self.mail_root / name
        home.mkdir(exist_ok=True)
        os.chown(home, self.uid, self.gid)
        self._users[name] = password
        self._write_users()
        if self.running:
            time.sleep(1.05 - time.time() % 1.0)

    def user_password(self, name: str) -> str:
        """The password given to ``add_user`` for ``name``."""
        return self._users[name]

    @property
    def users(self) -> list[str]:
        """Names of all users added so far."""
        return list(self._users)

    def _write_users(self) -> None:
        lines = [
            f"{name}:{{PLAIN}}{pw}:{self.uid}:{self.gid}::{self.mail_root / name}\n"
            for name, pw in self._users.items()
        ]
        tmp = self.users_path.with_suffix(".tmp")
        tmp.write_text("".join(lines))
        tmp.chmod(0o644)
        tmp.replace(self.users_path)  # atomic: a running auth process never reads half a file

    def _write_config(self) -> None:
        mailboxes = "".join(
            f'  mailbox "{name}" {{\n    auto = subscribe\n'
            + ("    special_use = \\Archive\n" if name == "Archive" else "")
            + "  }\n"
            for name in self.folders_created
            if name != "INBOX"
        )
        privileged = os.geteuid() == 0
        # Unprivileged, Dovecot cannot chroot its login and anvil processes.
        login_chroot = "" if privileged else "\n  chroot ="
        anvil = "" if privileged else "service anvil {\n  chroot =\n}\n"
        config = f"""\
# Written by tests/servers/dovecot.py for one test run; not a system config.
instance_name = clerk-test-{self.dir.name}
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.log_path}
protocols = imap lmtp
listen = {self.host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {self._internal_user}
default_login_user = {self._login_user}
default_internal_group = {self._internal_group}
first_valid_uid = {self.uid if privileged else 1}
first_valid_gid = {self.gid if privileged else 1}
mail_location = maildir:~/Maildir
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {self.users_path}
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {self.users_path}
}}
service imap-login {{{login_chroot}
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {self.host}
    port = {self.lmtp_port}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
{anvil}"""
        self.config_path.write_text(config)

    # -------------------------------------------------------------- lifecycle

    @property
    def running(self) -> bool:
        """Whether the dovecot master process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 15.0) -> None:
        """Start ``dovecot -F`` and return once IMAP greets with ``* OK`` and LMTP with 220."""
        if self.running:
            return
        if not self._users:
            raise DovecotError("add_user() at least one user before start()")
        with open(self.dir / "stderr.log", "ab") as stderr:
            self._proc = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # own process group: stop() can reap stragglers
                preexec_fn=_die_with_parent,
                close_fds=True,
            )
        deadline = time.monotonic() + timeout
        try:
            self._wait_for_greeting(self.imap_port, b"* OK", deadline)
            self._wait_for_greeting(self.lmtp_port, b"220 ", deadline)
        except BaseException:
            self.stop()
            raise

    def _wait_for_greeting(self, port: int, greeting: bytes, deadline: float) -> None:
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise DovecotError(
                    f"dovecot exited with code {self._proc.returncode} during start\n" + self.log_tail()
                )
            try:
                with socket.create_connection((self.host, port), timeout=2) as sock:
                    data = b""
                    while b"\n" not in data:
                        chunk = sock.recv(1024)
                        if not chunk:
                            break
                        data += chunk
                    if data.startswith(greeting):
                        return
                    last_error = DovecotError(f"unexpected greeting on port {port}: {data!r}")
            except OSError as exc:
                last_error = exc
            time.sleep(0.005)
        raise DovecotError(
            f"no {greeting!r} greeting on {self.host}:{port} in time ({last_error})\n" + self.log_tail()
        )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the instance, wait for it to exit, and leave no process of it behind.

        The signal goes to the whole process group (master and children at once): that takes
        about 0.1 s, where SIGTERM to the master alone takes about 1.1 s.
        """
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        # Children got the same SIGTERM; give them a moment, then kill whatever is left of the
        # process group start() made, so nothing of this instance outlives stop().
        deadline = time.monotonic() + 2.0
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    def restart(self, timeout: float = 15.0) -> None:
        """Stop (waiting for exit) and start again on the same ports; mail is kept."""
        self.stop()
        self.start(timeout)

    def close(self) -> None:
        """Stop the server and delete its temp dir (config, logs, all mail)."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of Dovecot's log and stderr, for error messages."""
        out = []
        for path in (self.log_path, self.dir / "stderr.log"):
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace").splitlines()[-lines:]
                if text:
                    out.append(f"--- {path}\n" + "\n".join(text))
        return "\n".join(out)

    # ------------------------------------------------------------ mail access

    def client(self, user: str) -> IMAPClient:
        """A new IMAPClient (plain, ``ssl=False``) logged in as ``user``; the caller logs out."""
        imap = IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=30)
        try:
            imap.login(user, self._users[user])
        except BaseException:
            with contextlib.suppress(Exception):
                imap.shutdown()
            raise
        return imap

    def append(
        self,
        user: str,
        raw: bytes,
        folder: str = "INBOX",
        flags: Iterable[str | bytes] = (),
        internaldate: dt.datetime | None = None,
    ) -> int | None:
        """APPEND ``raw`` to ``folder`` of ``user``; returns the new UID (from APPENDUID)."""
        with self.client(user) as imap:
            response = imap.append(folder, raw, flags=tuple(flags), msg_time=internaldate)
        match = re.search(rb"APPENDUID \d+ (\d+)", response)
        return int(match.group(1)) if match else None

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """Raw bytes of every message in ``folder``, in UID order (flags are left unchanged)."""
        with self.client(user) as imap:
            imap.select_folder(folder, readonly=True)
            uids = sorted(imap.search("ALL"))
            if not uids:
                return []
            fetched = imap.fetch(uids, ["BODY.PEEK[]"])
        return [fetched[uid][b"BODY[]"] for uid in uids]

    def folders(self, user: str) -> list[str]:
        """Names of all folders of ``user`` (separator ``/``)."""
        with self.client(user) as imap:
            return [name for _flags, _sep, name in imap.list_folders()]

    def deliver(self, recipient: str, raw: bytes, mail_from: str = "sender@example.org") -> None:
        """Deliver ``raw`` to ``recipient`` (a user name) over LMTP, as an MTA would."""
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=30) as lmtp:
            lmtp.sendmail(mail_from, [recipient], raw)

    def clear(self, user: str) -> None:
        """Empty every folder of ``user`` and delete folders other than the default ones."""
        keep = set(self.folders_created)
        gone = {b"\\noselect", b"\\nonexistent"}
        with self.client(user) as imap:
            folders = imap.list_folders()
            for flags, _sep, name in sorted(folders, key=lambda f: f[2].count("/"), reverse=True):
                if {flag.lower() for flag in flags} & gone:
                    continue  # a parent that only exists as a path to its children
                if name not in keep:
                    imap.delete_folder(name)
                    continue
                imap.select_folder(name)
                uids = imap.search("ALL")
                if uids:
                    imap.delete_messages(uids)
                    imap.expunge()
                imap.close_folder()
