"""OAuth2 mail sign-in, the whole way round against real servers on loopback: a fake identity
provider (Microsoft's client-credentials grant, Google's JWT-bearer grant verified with the public
half of a key made here, and the introspection endpoint), Dovecot with its ``oauth2`` passdb (no
passwords at all) and an aiosmtpd server that takes only XOAUTH2. Tokens are 2-3 KB, as real ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clerk.app import Clerk
from clerk.attendance.invitations import invite
from clerk.clock import FakeClock
from clerk.config import parse_config
from clerk.meetings.schedule import AddMeeting, add_meeting
from clerk.oauth2.tokens import forget_sources
from clerk.ops.mail_checks import check_imap, check_smtp
from clerk.ops.verdicts import Verdict
from clerk.outbox.delivery import outbox_counts
from clerk.people.bodies import sync_bodies
from clerk.people.membership import import_members
from clerk.store import open_store
from clerk.times import parse_local
from mail.imap_reader import ImapReader
from mail.sender import send_outbox
from tests.app_fixtures import EXAMPLE_CONFIG, EXAMPLE_MEMBERS, reply_of
from tests.reply_mail import gmail_reply_to, outlook_reply_to
from tests.servers import free_port
from tests.servers.dovecot_oauth import DovecotOAuth
from tests.servers.idp import FakeIdentityProvider
from tests.servers.imap_bye_proxy import ExpiringSessionProxy
from tests.servers.smtp_oauth import OAuthSmtpSink
from tests.service_helpers import env, open_on, wait_for
from tests.test_mail_e2e import read_inbox

pytestmark = [pytest.mark.servers,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

MAILBOX = "clerk@council.example"
SECRET_ENV = "CLERK_TEST_OAUTH_SECRET"
CLERK = [sys.executable, "-m", "clerk"]
CAROL, DEV = "carol.chowdhury@example.org", "dev.davies@example.org"


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider(mailbox=MAILBOX) as server:
        yield server


@pytest.fixture(scope="module")
def oauth_dovecot(idp: FakeIdentityProvider) -> Iterator[DovecotOAuth]:
    server = DovecotOAuth(free_port(), free_port(), idp)
    try:
        server.add_user("clerk", "-")
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def sink(idp: FakeIdentityProvider) -> Iterator[OAuthSmtpSink]:
    with OAuthSmtpSink(idp) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(idp: FakeIdentityProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No token held from an earlier test; the right secret; the provider's usual lifetime."""
    forget_sources()
    monkeypatch.setenv(SECRET_ENV, idp.client_secret)
    idp.lifetime = 3599
    idp.requests.clear()
    yield
    forget_sources()


def oauth2_section(idp: FakeIdentityProvider, provider: str, key_file: Path | None) -> dict[str, Any]:
    if provider == "microsoft":
        return {"provider": "microsoft", "tenant": idp.tenant, "client_id": idp.client_id,
                "client_secret_env": SECRET_ENV,
                "token_url": f"{idp.url}/{idp.tenant}/oauth2/v2.0/token"}
    assert key_file is not None  # the key file's token_uri points at the fake provider
    return {"provider": "google", "service_account_file": str(key_file)}


def mail_data(idp: FakeIdentityProvider, imap_port: int, sink: OAuthSmtpSink, provider: str,
              key_file: Path | None) -> dict[str, Any]:
    return {"smtp": {"host": sink.host, "port": sink.port, "starttls": False, "timeout_seconds": 5,
                     "username": MAILBOX, "auth": "oauth2"},
            "imap": {"host": "127.0.0.1", "port": imap_port, "ssl": False, "username": MAILBOX,
                     "auth": "oauth2", "timeout_seconds": 10},
            "oauth2": oauth2_section(idp, provider, key_file)}


def make_app(clock: FakeClock, tmp_path: Path, mail: dict[str, Any]) -> Clerk:
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["clerk"]["database"] = str(tmp_path / "clerk.db")
    data["mail"]["maildir"] = str(tmp_path / "mail")
    data["mail"].update(mail)
    config = parse_config(data, EXAMPLE_CONFIG)
    app = Clerk(config=config, store=open_store(config.database_path), clock=clock)
    sync_bodies(app)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    return app


def secrets_in_files(tmp_path: Path, idp: FakeIdentityProvider) -> list[str]:
    """Tokens or the client secret written anywhere under ``tmp_path`` (the database, the mail)."""
    tokens = [r for r in idp._tokens]  # every token the provider gave out
    found = []
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".json":
            data = path.read_bytes()
            found += [str(path) for t in [*tokens, idp.client_secret] if t.encode() in data]
    return found


# ------------------------------------------------------------------------- both providers


@pytest.mark.parametrize("provider", ["microsoft", "google"])
def test_invitations_a_reply_and_its_confirmation_go_through_with_oauth2(
        provider: str, idp: FakeIdentityProvider, oauth_dovecot: DovecotOAuth, sink: OAuthSmtpSink,
        clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key_file = idp.service_account_json(tmp_path / "google-service-account.json")
    oauth_dovecot.clear(MAILBOX)
    app = make_app(clock, tmp_path, mail_data(idp, oauth_dovecot.imap_port, sink, provider,
                                              key_file))
    meeting = add_meeting(app, AddMeeting(body="carers", venue="County Hall, Worcester",
                                          starts_at=parse_local("2027-01-14 10:00", app.tz)))
    invite(app, meeting.ref)

    report = send_outbox(app)

    assert report.sent == 20 and report.failed == 0
    assert sink.auth_attempts == [(MAILBOX, True)]  # one login for all twenty
    assert min(sink.token_lengths) > 1500  # a token of real size went through AUTH XOAUTH2
    grant = "/google/token" if provider == "google" else "/oauth2/v2.0/token"
    assert idp.issued(grant) == 1
    invitation = sink.messages_to(CAROL)[0]
    sink.clear()

    oauth_dovecot.append(MAILBOX, gmail_reply_to(invitation, CAROL, "Carol Chowdhury",
                                                 "Yes, I'll be there."))
    assert [r.status for r in read_inbox(app).results] == ["processed"]
    assert reply_of(app, meeting, CAROL) == "attend"
    assert idp.issued(grant) == 1  # the reader logged in with the token the sender had fetched
    assert send_outbox(app).sent == 1
    [confirmation] = sink.messages_to(CAROL)
    assert confirmation["X-Clerk-Kind"] == "reply_confirmation"
    assert oauth_dovecot.messages(MAILBOX) == []
    assert len(oauth_dovecot.messages(MAILBOX, "Processed")) == 1

    logged = caplog.text
    app.store.close()
    assert not any(t in logged for t in idp._tokens)
    assert idp.client_secret not in logged
    assert secrets_in_files(tmp_path, idp) == []


def test_google_signs_its_jwt_with_the_service_accounts_key(
        idp: FakeIdentityProvider, oauth_dovecot: DovecotOAuth, sink: OAuthSmtpSink,
        clock: FakeClock, tmp_path: Path) -> None:
    """A key the provider does not know (another service account's, or one revoked) is refused
    by the provider in one sentence; the mail stays queued."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = idp.service_account_json(tmp_path / "key.json", key=other)
    app = make_app(clock, tmp_path, mail_data(idp, oauth_dovecot.imap_port, sink, "google", key_file))
    meeting = add_meeting(app, AddMeeting(body="carers", venue="County Hall",
                                          starts_at=parse_local("2027-01-14 10:00", app.tz)))
    invite(app, meeting.ref)

    report = send_outbox(app)

    assert report.sent == 0 and sink.received == []
    assert report.stopped.startswith("Google refused clerk's token request (invalid_grant): check "
                                     f"that the service account key in {key_file}")
    assert "\n" not in report.stopped and "Traceback" not in report.stopped
    assert outbox_counts(app)["queued"] == 20
    app.store.close()


# ------------------------------------------------------------------------- refusals and doctor


def test_doctor_fetches_a_token_and_logs_in_to_both_servers_with_it(
        idp: FakeIdentityProvider, oauth_dovecot: DovecotOAuth, sink: OAuthSmtpSink,
        clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(clock, tmp_path, mail_data(idp, oauth_dovecot.imap_port, sink, "microsoft", None))
    checks = check_smtp(app.config) + check_imap(app.config)
    shown = {(c.part.value, c.name): c for c in checks}
    assert all(c.verdict is Verdict.OK for c in checks), checks
    assert shown[("smtp", "OAuth2 token")].detail == \
        f"Microsoft Entra ID gave clerk a token for {MAILBOX}"
    assert shown[("smtp", "login")].detail == f"logged in as {MAILBOX} (OAuth2)"
    assert shown[("imap", "login")].detail == f"logged in as {MAILBOX} (OAuth2)"
    assert idp.issued() == 1  # one token for both checks

    forget_sources()
    idp.requests.clear()
    monkeypatch.setenv(SECRET_ENV, "an-expired-secret")
    checks = check_smtp(app.config) + check_imap(app.config)
    refused = [c for c in checks if c.verdict is Verdict.FAIL]
    assert [(c.part.value, c.name) for c in refused] == [("smtp", "OAuth2 token"),
                                                          ("imap", "OAuth2 token")]
    assert refused[0].detail == (
        "Microsoft Entra ID refused clerk's token request (invalid_client, AADSTS7000215): the "
        "client secret is wrong or has expired: make a new one in the app registration and put "
        f"it in ${SECRET_ENV}")
    text = " ".join(f"{c.detail} {c.fix}" for c in checks)
    assert "an-expired-secret" not in text  # the provider echoed it; clerk does not
    assert idp.issued() == 0 and len(idp.requests) == 1  # refused once; not asked again at once
    app.store.close()


def test_an_unknown_tenant_is_named(idp: FakeIdentityProvider, sink: OAuthSmtpSink,
                                    clock: FakeClock, tmp_path: Path) -> None:
    mail = mail_data(idp, 1, sink, "microsoft", None)
    mail["oauth2"]["token_url"] = f"{idp.url}/council.exmaple/oauth2/v2.0/token"
    mail["oauth2"]["tenant"] = "council.exmaple"
    app = make_app(clock, tmp_path, mail)
    [token] = [c for c in check_smtp(app.config) if c.name == "OAuth2 token"]
    assert token.verdict is Verdict.FAIL
    assert token.detail == ("Microsoft Entra ID refused clerk's token request (invalid_request, "
                            "AADSTS90002): the tenant council.exmaple does not exist: check "
                            "[mail.oauth2] tenant (the tenant id or one of its domains)")
    app.store.close()


def test_a_server_that_refuses_the_token_is_named_and_mail_stays_queued(
        idp: FakeIdentityProvider, sink: OAuthSmtpSink, clock: FakeClock, tmp_path: Path) -> None:
    """The provider gives a token, but the mail server will not take it (no SMTP.SendAsApp)."""
    idp.mailbox = "someone.else@council.example"
    try:
        app = make_app(clock, tmp_path, mail_data(idp, 1, sink, "microsoft", None))
        meeting = add_meeting(app, AddMeeting(body="carers", venue="County Hall",
                                              starts_at=parse_local("2027-01-14 10:00", app.tz)))
        invite(app, meeting.ref)
        report = send_outbox(app)
    finally:
        idp.mailbox = MAILBOX
    assert report.sent == 0 and outbox_counts(app)["queued"] == 20
    assert report.stopped.startswith(f"the SMTP server {sink.host}:{sink.port} refused the OAuth2 "
                                     f"token for {MAILBOX}: 535 5.7.3 Authentication unsuccessful; "
                                     "check that the app may send as this mailbox")
    app.store.close()


# ------------------------------------------------------------------------- a session whose token ends


def test_a_session_ended_for_an_expired_token_is_opened_again_quietly(
        idp: FakeIdentityProvider, oauth_dovecot: DovecotOAuth, sink: OAuthSmtpSink,
        clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Exchange Online ends an IDLE session whose token expired with ``* BYE Session invalidated
    - AccessTokenExpired``; the reader logs in again with a new token (one INFO line) and goes on
    reading; no outage WARNING."""
    oauth_dovecot.clear(MAILBOX)
    with ExpiringSessionProxy(oauth_dovecot.imap_port, idp, expire_after=1.0) as proxy:
        app = make_app(clock, tmp_path, mail_data(idp, proxy.port, sink, "microsoft", None))
        meeting = add_meeting(app, AddMeeting(body="carers", venue="County Hall",
                                              starts_at=parse_local("2027-01-14 10:00", app.tz)))
        invite(app, meeting.ref)
        assert send_outbox(app).sent == 20
        invitations = {m["To"].addresses[0].addr_spec.lower(): m for m in
                       (r.parsed() for r in sink.received)}
        caplog.set_level(logging.DEBUG, logger="mail.imap_reader")
        seen: list[str] = []

        async def scenario() -> ImapReader:
            reader = ImapReader(app, idle_tick=0.2, on_result=lambda r: seen.append(r.status))
            stop = asyncio.Event()
            task = asyncio.create_task(reader.run(stop))
            for _ in range(100):
                if proxy.byes >= 2:
                    break
                await asyncio.sleep(0.1)
            await asyncio.to_thread(oauth_dovecot.append, MAILBOX, outlook_reply_to(
                invitations[DEV], DEV, "Dev Davies", "Sorry, I can't come."))
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.wait_for(task, 10)
            return reader

        reader = asyncio.run(scenario())
    assert proxy.byes >= 2 and reader.connections >= 3
    assert seen == ["processed"] and reply_of(app, meeting, DEV) == "apologies"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "mail.log"]
    assert "ended the session because its OAuth2 token expired" in caplog.text
    app.store.close()


# ------------------------------------------------------------------------- clerk run and clerk mail send


def service_config(directory: Path, idp: FakeIdentityProvider, imap_port: int,
                   sink: OAuthSmtpSink) -> Path:
    """The example configuration in ``directory`` with the OAuth2 servers, as an administrator
    writes it."""
    path = directory / "config.toml"
    shutil.copy(EXAMPLE_CONFIG, path)
    text = path.read_text(encoding="utf-8").replace("[telegram]", f"""\
[mail.smtp]
host = "{sink.host}"
port = {sink.port}
starttls = false
timeout_seconds = 10
username = "{MAILBOX}"
auth = "oauth2"

[mail.imap]
host = "127.0.0.1"
port = {imap_port}
ssl = false
username = "{MAILBOX}"
auth = "oauth2"

[mail.oauth2]
provider = "microsoft"
tenant = "{idp.tenant}"
client_id = "{idp.client_id}"
client_secret_env = "{SECRET_ENV}"
token_url = "{idp.url}/{idp.tenant}/oauth2/v2.0/token"

[telegram]""", 1)
    path.write_text(text, encoding="utf-8")
    return path


def invited_on_disk(path: Path) -> None:
    """Members imported and a Carers Partnership meeting's twenty invitations queued."""
    app = open_on(path)
    assert import_members(app, EXAMPLE_MEMBERS.read_text(encoding="utf-8")).ok
    meeting = add_meeting(app, AddMeeting(body="carers", venue="County Hall, Worcester",
                                          starts_at=parse_local("2027-01-14 10:00", app.tz)))
    invite(app, meeting.ref)
    assert outbox_counts(app)["queued"] == 20
    app.store.close()


def confirmations_in(sink: OAuthSmtpSink) -> list[Any]:
    return [m for m in sink.received if m.parsed()["X-Clerk-Kind"] == "reply_confirmation"]


def test_tokens_that_expire_every_few_seconds_keep_clerk_run_reading_and_sending(
        idp: FakeIdentityProvider, oauth_dovecot: DovecotOAuth, sink: OAuthSmtpSink,
        tmp_path: Path) -> None:
    """Tokens live 3 s; the IMAP proxy ends a session whose token has expired, as Exchange Online
    does. clerk renews each token before its end (for IDLE too), asks the provider about once
    per token lifetime, and never logs an outage."""
    lifetime = 3
    idp.lifetime = lifetime
    oauth_dovecot.clear(MAILBOX)
    with ExpiringSessionProxy(oauth_dovecot.imap_port, idp) as proxy:
        path = service_config(tmp_path, idp, proxy.port, sink)
        invited_on_disk(path)
        proc = subprocess.Popen([*CLERK, "run", "--config", "config.toml"], cwd=tmp_path,
                                env={**env(), SECRET_ENV: idp.client_secret},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            seen = wait_for(proc, "clerk is running")
            started = time.monotonic()
            received = sink.wait_for(20, timeout=30)
            invitations = {m.rcpt_tos[0].lower(): m.parsed() for m in received}
            members = sorted(invitations)[:4]
            for email in members:  # a reply every 2.5 s: each after a token or two has ended
                time.sleep(2.5)
                oauth_dovecot.append(MAILBOX, gmail_reply_to(invitations[email], email, "Member",
                                                             "Yes, I'll be there."))
            deadline = time.monotonic() + 30
            while len(confirmations_in(sink)) < 4 and time.monotonic() < deadline:
                time.sleep(0.1)
            elapsed = time.monotonic() - started
        finally:
            proc.send_signal(signal.SIGTERM)
            rest, _ = proc.communicate(timeout=30)
    output = seen + rest
    assert proc.returncode == 0, output
    assert sorted(m.rcpt_tos[0].lower() for m in confirmations_in(sink)) == members
    assert all(ok for _, ok in sink.auth_attempts)  # never a stale token offered
    assert proxy.byes == 0  # each IMAP session logged in again before its token ended
    assert proxy.logins >= 3
    asked = idp.issued()
    assert 3 <= asked <= elapsed / (lifetime * 0.9) + 3, (asked, elapsed)
    assert "WARNING" not in output and "Traceback" not in output, output
    assert not any(t in output for t in idp._tokens)


def test_a_refused_secret_is_one_sentence_mail_stays_queued_and_all_goes_once_fixed(
        idp: FakeIdentityProvider, sink: OAuthSmtpSink, tmp_path: Path) -> None:
    path = service_config(tmp_path, idp, 1, sink)
    invited_on_disk(path)

    refused = subprocess.run([*CLERK, "mail", "send", "--config", "config.toml"], cwd=tmp_path,
                             env={**env(), SECRET_ENV: "last-years-secret"}, capture_output=True,
                             text=True, timeout=60)

    assert refused.returncode == 75, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr and "last-years-secret" not in refused.stderr
    assert ("Microsoft Entra ID refused clerk's token request (invalid_client, AADSTS7000215): the "
            "client secret is wrong or has expired: make a new one in the app registration and put "
            f"it in ${SECRET_ENV}. 20 messages stay queued") in " ".join(refused.stderr.split())
    assert sink.received == []

    fixed = subprocess.run([*CLERK, "mail", "send", "--config", "config.toml"], cwd=tmp_path,
                           env={**env(), SECRET_ENV: idp.client_secret}, capture_output=True,
                           text=True, timeout=60)

    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert len(sink.received) == 20, fixed.stdout + fixed.stderr
    assert len({m.rcpt_tos[0] for m in sink.received}) == 20
    assert idp.issued() == 1


def test_clerk_doctor_shows_the_token_check_and_both_logins_and_never_a_token(
        idp: FakeIdentityProvider, oauth_dovecot: DovecotOAuth, sink: OAuthSmtpSink,
        tmp_path: Path) -> None:
    path = service_config(tmp_path, idp, oauth_dovecot.imap_port, sink)
    invited_on_disk(path)  # a database, as on a live installation

    def doctor(secret: str) -> dict[tuple[str, str], dict[str, Any]]:
        done = subprocess.run([*CLERK, "doctor", "--json", "--config", "config.toml"],
                              cwd=tmp_path, env={**env(), SECRET_ENV: secret},
                              capture_output=True, text=True, timeout=60)
        assert "Traceback" not in done.stderr, done.stderr
        assert secret not in done.stdout + done.stderr
        assert not any(t in done.stdout for t in idp._tokens)
        data = json.loads(done.stdout)
        checks = data["checks"] if isinstance(data, dict) else data
        return {(c["part"], c["name"]): c for c in checks if c["part"] in ("smtp", "imap")}

    good = doctor(idp.client_secret)
    for part in ("smtp", "imap"):
        assert good[(part, "OAuth2 token")]["verdict"] == "ok"
        assert good[(part, "login")]["detail"] == f"logged in as {MAILBOX} (OAuth2)"

    refused = doctor("revoked-secret")
    for part in ("smtp", "imap"):
        check = refused[(part, "OAuth2 token")]
        assert check["verdict"] == "fail"
        assert check["detail"].startswith("Microsoft Entra ID refused clerk's token request "
                                          "(invalid_client, AADSTS7000215)")
        assert (part, "login") not in refused
