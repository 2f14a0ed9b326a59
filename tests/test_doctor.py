"""``clerk doctor`` against the real test servers (SMTP sinks, Dovecot, the fake Bot API), up and down:
each part gets a verdict and a fix, a failure exits 1 naming host:port, and nothing prints a
traceback. Doctor only reads: it sends nothing without --send-test and never migrates the database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clerk.ops.doctor import run_doctor
from clerk.ops.verdicts import Check, Part, Verdict
from clerk.store.db import ClerkDatabase
from clerk.store.schema import migrations
from tests.app_fixtures import EXAMPLE_CONFIG
from tests.botapi import TOKEN, FakeBotApi
from tests.conftest import DOVECOT_PASSWORD, DOVECOT_USER
from tests.servers import Dovecot, SmtpSink, free_port, require_dovecot

CLERK = [sys.executable, "-m", "clerk"]


def write_config(folder: Path, *, smtp: str = "", imap: str = "", api_url: str = "",
                 listen: str = "") -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    # the console on a port nothing uses (8080 may be taken on a test machine)
    text = text.replace('listen = "127.0.0.1:8080"',
                        f'listen = "{listen or f"127.0.0.1:{free_port()}"}"')
    if api_url:
        text = text.replace('# api_url = "http://127.0.0.1:8081/bot"', f'api_url = "{api_url}"')
    text += "\n" + smtp + "\n" + imap + "\n"
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def smtp_section(sink: SmtpSink, **extra: str) -> str:
    lines = ["[mail.smtp]", 'host = "127.0.0.1"', f"port = {sink.port}"]
    if sink.tls:
        lines += ["starttls = true", 'username = "clerk"', 'password_env = "DOCTOR_SMTP_PASSWORD"']
    else:
        lines += ["starttls = false"]
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    return "\n".join(lines)


def imap_section(port: int, **extra: str) -> str:
    lines = ["[mail.imap]", 'host = "127.0.0.1"', f"port = {port}", "ssl = false",
             f'username = "{DOVECOT_USER}"', 'password_env = "DOCTOR_IMAP_PASSWORD"']
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    return "\n".join(lines)


def doctor(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLERK, "doctor", "-c", str(config), *args], cwd=config.parent,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=120)


def of(checks: list[Check], part: Part, name: str | None = None) -> list[Check]:
    return [c for c in checks if c.part is part and (name is None or c.name == name)]


def verdicts(checks: list[Check], part: Part) -> set[Verdict]:
    return {c.verdict for c in of(checks, part)}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The mail passwords; no Telegram token (a test that wants one sets it, with a local api_url)."""
    values = {"DOCTOR_SMTP_PASSWORD": "smtp-secret", "DOCTOR_IMAP_PASSWORD": DOVECOT_PASSWORD}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CLERK_TELEGRAM_TOKEN", raising=False)
    return values


def test_everything_up_is_ready_and_exits_0(tmp_path: Path, dovecot: Dovecot, smtp_sink_tls: SmtpSink,
                                             env: dict[str, str]) -> None:
    with FakeBotApi() as api:
        config = write_config(tmp_path, smtp=smtp_section(smtp_sink_tls),
                              imap=imap_section(dovecot.imap_port), api_url=api.base_url)
        subprocess.run([*CLERK, "init", "-c", str(config)], check=True, capture_output=True)
        assert smtp_sink_tls.cert_path is not None
        out = doctor(config, env={**env, "SSL_CERT_FILE": str(smtp_sink_tls.cert_path),
                                  "CLERK_TELEGRAM_TOKEN": TOKEN})
        assert api.calls_of("getMe")
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "Traceback" not in text
    assert "FAIL" not in text and "warn " not in text
    names = [m.name for m in migrations.pending(ClerkDatabase(memory=True))]  # every one
    schema = f"schema {names[-1]} ({len(names)} of {len(names)} migrations)"
    for expected in ("configuration", "integrity check passed", schema,
                     "STARTTLS, certificate verified", "logged in as clerk",
                     "INBOX (read) exists", "@clerk_test_bot", "Europe/London loads", "MB free",
                     "readable by", "Ready. 0 failed, 0 warnings"):
        assert expected in text
    assert smtp_sink_tls.received == []  # nothing is sent without --send-test
    assert "smtp-secret" not in text and TOKEN not in text


def test_servers_down_fail_naming_host_and_port_without_a_traceback(tmp_path: Path,
                                                                     env: dict[str, str]) -> None:
    sink = SmtpSink()  # never started: nothing listens on its port
    imap_port = free_port()
    bot_port = free_port()
    config = write_config(tmp_path, smtp=smtp_section(sink), imap=imap_section(imap_port),
                          api_url=f"http://127.0.0.1:{bot_port}/bot")
    out = doctor(config, env={"CLERK_TELEGRAM_TOKEN": TOKEN})
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "Traceback" not in text
    assert f"cannot connect to the SMTP server 127.0.0.1:{sink.port}" in text
    assert f"cannot connect to the IMAP server 127.0.0.1:{imap_port}" in text
    assert f"cannot reach the Bot API at 127.0.0.1:{bot_port}" in text
    assert "connection was refused" in text
    assert "fix: check [mail.smtp] host and port" in text
    assert "Not ready. 3 failed" in text
    assert TOKEN not in text


def test_a_server_that_goes_down_turns_ok_into_fail(tmp_path: Path, smtp_sink: SmtpSink,
                                                     env: dict[str, str]) -> None:
    config = write_config(tmp_path, smtp=smtp_section(smtp_sink))
    up = run_doctor(config)
    assert verdicts(up.checks, Part.SMTP) == {Verdict.OK}
    assert "no TLS (a server on this machine)" in of(up.checks, Part.SMTP, "TLS")[0].detail
    smtp_sink.stop()
    down = run_doctor(config)
    assert not down.ok
    [connect] = of(down.checks, Part.SMTP)
    assert connect.verdict is Verdict.FAIL and connect.where == f"127.0.0.1:{smtp_sink.port}"


def test_wrong_smtp_password_fails_with_the_fix(tmp_path: Path, smtp_sink_tls: SmtpSink,
                                                env: dict[str, str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCTOR_SMTP_PASSWORD", "not-the-password")
    config = write_config(tmp_path, smtp=smtp_section(smtp_sink_tls))
    report = run_doctor(config, tls_context=smtp_sink_tls.client_tls_context())
    [login] = of(report.checks, Part.SMTP, "login")
    assert login.verdict is Verdict.FAIL
    assert f"the SMTP server 127.0.0.1:{smtp_sink_tls.port} refused the user name or password" \
        in login.detail
    assert "$DOCTOR_SMTP_PASSWORD" in login.fix
    assert not report.ok


def test_missing_smtp_password_says_which_variable(tmp_path: Path, smtp_sink_tls: SmtpSink,
                                                   env: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCTOR_SMTP_PASSWORD")
    config = write_config(tmp_path, smtp=smtp_section(smtp_sink_tls))
    report = run_doctor(config, tls_context=smtp_sink_tls.client_tls_context())
    [password] = of(report.checks, Part.SMTP, "password")
    assert password.verdict is Verdict.FAIL
    assert "DOCTOR_SMTP_PASSWORD" in password.fix
    assert smtp_sink_tls.auth_attempts == []


def test_an_untrusted_certificate_fails_tls(tmp_path: Path, smtp_sink_tls: SmtpSink,
                                            env: dict[str, str]) -> None:
    config = write_config(tmp_path, smtp=smtp_section(smtp_sink_tls))
    report = run_doctor(config)  # the system's CAs do not trust the sink's self-signed cert
    [tls] = of(report.checks, Part.SMTP, "TLS")
    assert tls.verdict is Verdict.FAIL
    assert "certificate is not trusted" in tls.detail


def test_send_test_delivers_one_message(tmp_path: Path, smtp_sink: SmtpSink,
                                        env: dict[str, str]) -> None:
    config = write_config(tmp_path, smtp=smtp_section(smtp_sink))
    out = doctor(config, "--send-test", "it@council.example.org")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "a test message to it@council.example.org was accepted" in out.stdout
    [message] = smtp_sink.messages_to("it@council.example.org")
    assert len(smtp_sink.received) == 1
    assert message["Subject"].startswith("clerk test message")
    assert f"127.0.0.1:{smtp_sink.port}" in message.get_content()
    assert message["Auto-Submitted"] == "auto-generated"


def test_send_test_without_a_server_fails(tmp_path: Path, env: dict[str, str]) -> None:
    config = write_config(tmp_path)
    report = run_doctor(config, send_test="it@council.example.org")
    assert [c.name for c in report.checks if c.verdict is Verdict.FAIL] == ["test message"]


def test_imap_folders_missing_are_created(tmp_path: Path, dovecot: Dovecot,
                                          env: dict[str, str]) -> None:
    config = write_config(tmp_path, imap=imap_section(dovecot.imap_port,
                                                      processed_folder="Doctor-Processed"))
    report = run_doctor(config)
    assert verdicts(report.checks, Part.IMAP) == {Verdict.OK}
    details = " ".join(c.detail for c in of(report.checks, Part.IMAP, "folder"))
    assert "Doctor-Processed did not exist: created it" in details
    assert "Doctor-Processed" in dovecot.folders(DOVECOT_USER)
    again = run_doctor(config)
    assert "Doctor-Processed exists" in " ".join(c.detail for c in again.checks)


def test_imap_read_folder_missing_fails(tmp_path: Path, dovecot: Dovecot, env: dict[str, str]) -> None:
    config = write_config(tmp_path, imap=imap_section(dovecot.imap_port, folder="Nowhere"))
    report = run_doctor(config)
    [missing] = [c for c in of(report.checks, Part.IMAP, "folder") if c.verdict is Verdict.FAIL]
    assert "the folder Nowhere clerk reads does not exist" in missing.detail


def test_telegram_token_refused(tmp_path: Path, env: dict[str, str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLERK_TELEGRAM_TOKEN", "999:wrong-token")
    with FakeBotApi() as api:
        port = api.port
        config = write_config(tmp_path, api_url=api.base_url)
        out = doctor(config)
    text = out.stdout + out.stderr
    assert out.returncode == 1
    assert f"the Bot API at 127.0.0.1:{port} refused the token in $CLERK_TELEGRAM_TOKEN (401" in text
    assert "@BotFather" in text
    assert "wrong-token" not in text and "Traceback" not in text


def test_no_token_means_the_bot_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLERK_TELEGRAM_TOKEN", raising=False)
    report = run_doctor(write_config(tmp_path))
    [telegram] = of(report.checks, Part.TELEGRAM)
    assert telegram.verdict is Verdict.OK and "the bot stays off" in telegram.detail


def test_json_output_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLERK_TELEGRAM_TOKEN", raising=False)
    config = write_config(tmp_path)
    out = doctor(config, "--json")
    assert out.returncode == 0, out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    assert set(data) == {"config", "ok", "counts", "checks"}
    assert data["ok"] is True
    assert set(data["counts"]) == {"ok", "warn", "fail"}
    assert sum(data["counts"].values()) == len(data["checks"])
    for check in data["checks"]:
        assert set(check) == {"part", "name", "verdict", "detail", "where", "fix"}
        assert check["verdict"] in {"ok", "warn", "fail"}
    parts = {c["part"] for c in data["checks"]}
    assert {"configuration", "database", "disk", "timezone", "maildir", "telegram"} <= parts
    [db] = [c for c in data["checks"] if c["part"] == "database"]
    assert db["verdict"] == "warn" and "clerk init" in db["fix"]  # no database yet


def test_a_broken_configuration_fails_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[clerk]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    out = doctor(config)
    text = out.stdout + out.stderr
    assert out.returncode == 1
    assert "Traceback" not in text
    assert "FAIL  configuration" in text and "Mars/Olympus" in text


def test_doctor_never_migrates_or_writes_the_database(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLERK_TELEGRAM_TOKEN", raising=False)
    config = write_config(tmp_path)
    db_path = tmp_path / "var" / "clerk.db"
    db_path.parent.mkdir(mode=0o700)
    db = ClerkDatabase(str(db_path))
    migrations.apply(db, stop_before="m006_bot")
    db.close()
    before = db_path.read_bytes()
    report = run_doctor(config)
    [schema] = of(report.checks, Part.DATABASE, "schema")
    assert schema.verdict is Verdict.WARN
    total = len(migrations.pending(ClerkDatabase(memory=True)))
    assert f"5 of {total} migrations" in schema.detail and "clerk init" in schema.fix
    assert db_path.read_bytes() == before
    assert list(db_path.parent.glob("*.bak")) == []


def test_low_disk_space_warns_and_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    from collections import namedtuple

    from clerk.ops import local_checks

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(local_checks.shutil, "disk_usage",
                        lambda _p: usage(100_000 * 2**20, 0, 500 * 2**20))
    [low] = local_checks.check_disk(tmp_path / "clerk.db")
    assert low.verdict is Verdict.WARN and "500 MB free" in low.detail
    monkeypatch.setattr(local_checks.shutil, "disk_usage", lambda _p: usage(10**12, 0, 50 * 2**20))
    [full] = local_checks.check_disk(tmp_path / "clerk.db")
    assert full.verdict is Verdict.FAIL
    assert shutil is local_checks.shutil


def test_wrong_imap_password_fails_with_the_fix(tmp_path: Path, env: dict[str, str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """On its own Dovecot: a failed login from 127.0.0.1 delays that server's later logins."""
    require_dovecot()
    monkeypatch.setenv("DOCTOR_IMAP_PASSWORD", "not-the-password")
    server = Dovecot(imap_port=free_port(), lmtp_port=free_port())
    try:
        server.add_user(DOVECOT_USER, DOVECOT_PASSWORD)
        server.start()
        config = write_config(tmp_path, imap=imap_section(server.imap_port))
        report = run_doctor(config)
    finally:
        server.close()
    [login] = of(report.checks, Part.IMAP, "login")
    assert login.verdict is Verdict.FAIL
    assert f"the IMAP server 127.0.0.1:{server.imap_port} refused the user name or password" \
        in login.detail
    assert "$DOCTOR_IMAP_PASSWORD" in login.fix


def test_the_console_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing listening yet is fine; another program on the port fails; a console on a public
    address without TLS is a warning."""
    monkeypatch.delenv("CLERK_TELEGRAM_TOKEN", raising=False)
    [free] = of(run_doctor(write_config(tmp_path)).checks, Part.CONSOLE)
    assert free.verdict is Verdict.OK and "clerk run will serve the console" in free.detail
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        [taken] = of(run_doctor(write_config(tmp_path, listen=f"127.0.0.1:{port}")).checks,
                     Part.CONSOLE)
    assert taken.verdict is Verdict.FAIL and "another program is listening" in taken.detail
    exposed = of(run_doctor(write_config(tmp_path, listen=f"0.0.0.0:{free_port()}")).checks,
                 Part.CONSOLE, "tls")
    assert [c.verdict for c in exposed] == [Verdict.WARN]
    assert "unencrypted" in exposed[0].detail
