"""The OAuth2 settings as an administrator writes them: every key is checked, each mistake gets
its own sentence, and the token source asks the identity provider once per token lifetime and
not again at once after a refusal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clerk.config import parse_config
from clerk.errors import ConfigError
from clerk.oauth2 import TokenRefused, TokenSource
from clerk.oauth2.grants import token_request
from tests.servers.idp import FakeIdentityProvider

MAILBOX = "clerk@council.example"
BODIES = {"carers": {"name": "Carers Partnership"}}


def mail(**sections: Any) -> dict[str, Any]:
    return {"bodies": BODIES, "mail": sections}


IMAP = {"host": "outlook.office365.com", "username": MAILBOX, "auth": "oauth2"}
MICROSOFT = {"provider": "microsoft", "tenant": "council.gov.uk", "client_id": "abc",
             "client_secret_env": "CLERK_OAUTH_CLIENT_SECRET"}


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "/etc/clerk/clerk.toml")
    return caught.value.problems


@pytest.mark.parametrize(("data", "expected"), [
    (mail(imap=IMAP), '[mail.imap] auth = "oauth2" needs a [mail.oauth2] section'),
    (mail(smtp={**IMAP, "host": "smtp.office365.com"}, oauth2={"provider": "google"}),
     'provider "google" needs service_account_file'),
    (mail(imap=IMAP, oauth2={"provider": "microsoft", "client_id": "abc"}),
     'provider "microsoft" needs tenant, client_secret_env'),
    (mail(imap=IMAP, oauth2={"provider": "generic", "client_id": "a", "client_secret_env": "S"}),
     'provider "generic" needs token_url'),
    (mail(imap=IMAP, oauth2={**MICROSOFT, "service_account_file": "key.json"}),
     'provider "microsoft" does not use service_account_file: remove it'),
    (mail(imap={**IMAP, "password_env": "CLERK_IMAP_PASSWORD"}, oauth2=MICROSOFT),
     '[mail.imap] auth = "oauth2" does not use password_env'),
    (mail(imap={**IMAP, "username": ""}, oauth2=MICROSOFT),
     '[mail.imap] auth = "oauth2" needs username'),
    (mail(imap={**IMAP, "auth": "xoauth"}, oauth2=MICROSOFT), "mail.imap.auth must be one of"),
    (mail(imap=IMAP, oauth2={**MICROSOFT, "provider": "yahoo"}), "mail.oauth2.provider must be one of"),
])
def test_each_mistake_is_named(data: dict[str, Any], expected: str) -> None:
    [problem] = problems(data)
    assert expected in problem, problem


def test_the_issues_example_is_valid_and_the_key_file_is_beside_the_config() -> None:
    config = parse_config(mail(imap=IMAP, smtp={**IMAP, "host": "smtp.office365.com", "port": 587},
                               oauth2=MICROSOFT), "/etc/clerk/clerk.toml")
    assert config.mail.imap is not None and config.mail.imap.auth == "oauth2"
    google = parse_config(mail(imap=IMAP, oauth2={
        "provider": "google", "service_account_file": "google-service-account.json"}),
        "/etc/clerk/clerk.toml")
    assert google.mail.oauth2 is not None
    assert google.mail.oauth2.service_account_file == Path("/etc/clerk/google-service-account.json")
    password = parse_config(mail(imap={"host": "imap.example.org", "username": "clerk",
                                       "password_env": "P"}), "/etc/clerk/clerk.toml")
    assert password.mail.imap is not None and password.mail.imap.auth == "password"


def test_microsofts_own_endpoint_and_scope_unless_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLERK_OAUTH_CLIENT_SECRET", "s3cret")
    config = parse_config(mail(imap=IMAP, oauth2=MICROSOFT))
    assert config.mail.oauth2 is not None
    request = token_request(config.mail.oauth2, MAILBOX)
    assert request.url == "https://login.microsoftonline.com/council.gov.uk/oauth2/v2.0/token"
    assert request.form == {"grant_type": "client_credentials", "client_id": "abc",
                            "client_secret": "s3cret",
                            "scope": "https://outlook.office365.com/.default"}
    custom = parse_config(mail(imap=IMAP, oauth2={**MICROSOFT, "scopes": ["a", "b"],
                                                  "token_url": "https://sts.example/token"}))
    assert custom.mail.oauth2 is not None
    request = token_request(custom.mail.oauth2, MAILBOX)
    assert request.url == "https://sts.example/token" and request.form["scope"] == "a b"


# ----------------------------------------------------------------------------- the token source


@pytest.fixture
def idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider(mailbox=MAILBOX) as server:
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def source_for(idp: FakeIdentityProvider, clock: Clock, monkeypatch: pytest.MonkeyPatch,
               secret: str) -> TokenSource:
    monkeypatch.setenv("CLERK_TEST_SECRET", secret)
    config = parse_config(mail(imap=IMAP, oauth2={
        "provider": "generic", "client_id": idp.client_id, "client_secret_env": "CLERK_TEST_SECRET",
        "token_url": f"{idp.url}/generic/token"}))
    assert config.mail.oauth2 is not None
    return TokenSource(config.mail.oauth2, MAILBOX, clock=clock)


def test_one_request_per_token_lifetime_renewed_before_its_end(
        idp: FakeIdentityProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    source = source_for(idp, clock, monkeypatch, idp.client_secret)
    first = source.token_sync()
    assert len(first) > 1500
    for _ in range(50):  # connections for the next 55 minutes: the same token
        clock.now += 60
        assert source.token_sync() == first
    clock.now += 298  # 3298 s of 3599: still good for more than 5 minutes
    assert source.token_sync() == first
    clock.now += 1  # 5 minutes before its end: a new one
    assert source.token_sync() != first
    assert idp.issued() == 2
    assert "eyJ" not in repr(source.current())  # never shown, even in a repr


def test_a_refusal_is_not_asked_again_at_once(idp: FakeIdentityProvider,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    source = source_for(idp, clock, monkeypatch, "old-s3cret-value")
    for _ in range(5):
        with pytest.raises(TokenRefused) as refused:
            source.token_sync()
        clock.now += 5
    assert len(idp.requests) == 1  # five connections in 25 s: one request
    assert str(refused.value).startswith("the identity provider at 127.0.0.1:")
    assert "(invalid_client, AADSTS7000215)" in str(refused.value) \
        and "old-s3cret-value" not in str(refused.value)
    clock.now += 30
    with pytest.raises(TokenRefused):
        source.token_sync()
    assert len(idp.requests) == 2  # asked again after 30 s, then after 60 s, 120 s ...
    clock.now += 59
    with pytest.raises(TokenRefused):
        source.token_sync()
    assert len(idp.requests) == 2


def test_an_unreachable_provider_is_named_and_retried_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    from clerk.oauth2 import TokenUnavailable
    from tests.servers import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv("CLERK_TEST_SECRET", "s")
    config = parse_config(mail(imap=IMAP, oauth2={
        "provider": "generic", "client_id": "a", "client_secret_env": "CLERK_TEST_SECRET",
        "token_url": f"http://127.0.0.1:{port}/token"}))
    assert config.mail.oauth2 is not None
    clock = Clock()
    source = TokenSource(config.mail.oauth2, MAILBOX, clock=clock)
    with pytest.raises(TokenUnavailable) as down:
        source.token_sync()
    assert str(down.value).startswith(f"cannot reach the identity provider at 127.0.0.1:{port} (")
    assert str(down.value).endswith("): check this machine's network and proxy")
    with pytest.raises(TokenUnavailable):
        source.token_sync()
    assert source.requests == 1  # not asked again within 5 s
    clock.now += 5
    with pytest.raises(TokenUnavailable):
        source.token_sync()
    assert source.requests == 2
