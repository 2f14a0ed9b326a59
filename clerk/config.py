"""Configuration: the TOML file read and validated into typed objects, with one message per problem."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clerk.errors import ConfigError
from clerk.rules.terms import Body

#: A body's keys that a file may set but that nothing in clerk acts on yet (dotted from the body,
#: as in ``[bodies.SLUG]``; a section name covers every key inside it). They are accepted so that
#: files written from the terms of reference stay valid; ``clerk check-config`` notes each one a
#: file sets, and the README lists them. Remove an entry in the change that makes its key work.
NOT_YET_ACTED_ON: frozenset[str] = frozenset({
    "source",
    "meetings.note",
    "substitutes.note",
    "decisions.method",
    "chairing.appointed",
    "chairing.elected_annually",
})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


MailAuth = Literal["password", "oauth2"]
OAuth2Provider = Literal["microsoft", "google", "generic"]


class SmtpSettings(_Section):
    """An outbound mail server; without one, mail goes to the local Maildir."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    tls: bool = False
    username: str = ""
    password_env: str = ""
    #: "password" (``password_env``) or "oauth2" (a token from ``[mail.oauth2]``, SASL XOAUTH2)
    auth: MailAuth = "password"
    timeout_seconds: float = Field(default=30, gt=0)
    #: At most this many messages a minute (Exchange Online: 30); no limit when left out
    max_per_minute: int | None = None

    @field_validator("max_per_minute")
    @classmethod
    def _a_pace(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be 1 or more messages a minute (leave it out for no limit)")
        return value


class ImapSettings(_Section):
    """The inbox replies arrive in; without one, clerk reads the local Maildir."""

    host: str
    port: int = Field(default=993, ge=1, le=65535)
    ssl: bool = True
    starttls: bool = False
    username: str = ""
    password_env: str = ""
    #: "password" (``password_env``) or "oauth2" (a token from ``[mail.oauth2]``, SASL XOAUTH2)
    auth: MailAuth = "password"
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    idle_renew_seconds: int = Field(default=540, ge=30, le=600)
    poll_seconds: int = Field(default=60, ge=5)
    timeout_seconds: float = Field(default=60, gt=0)


class OAuth2Settings(_Section):
    """Where clerk gets the OAuth2 access tokens it logs in to the mail servers with."""

    provider: OAuth2Provider
    #: microsoft: the tenant id or one of its domains
    tenant: str = ""
    client_id: str = ""
    #: microsoft and generic: the environment variable holding the client secret
    client_secret_env: str = ""
    #: google: the service account's JSON key (domain-wide delegation); relative to this file
    service_account_file: Annotated[Path | None, Field(strict=False)] = None
    #: overrides the provider's token endpoint (empty: the provider's own)
    token_url: str = ""
    #: overrides the provider's scopes (empty: the provider's own)
    scopes: list[str] = []

    @model_validator(mode="after")
    def _complete(self) -> OAuth2Settings:
        missing: list[str] = []
        if self.provider == "microsoft":
            missing = [k for k in ("tenant", "client_id", "client_secret_env") if not getattr(self, k)]
        elif self.provider == "generic":
            missing = [k for k in ("token_url", "client_id", "client_secret_env")
                       if not getattr(self, k)]
        elif self.service_account_file is None:
            missing = ["service_account_file"]
        if missing:
            keys = ", ".join(missing)
            raise ValueError(f'provider "{self.provider}" needs {keys} (in [mail.oauth2])')
        unused = {"microsoft": ("service_account_file",),
                  "google": ("tenant", "client_id", "client_secret_env"),
                  "generic": ("tenant", "service_account_file")}[self.provider]
        if found := [k for k in unused if getattr(self, k)]:
            raise ValueError(f'provider "{self.provider}" does not use {", ".join(found)}: '
                             "remove it from [mail.oauth2]")
        if self.token_url and not self.token_url.startswith(("https://", "http://")):
            raise ValueError(f"token_url must be an https:// address, got {self.token_url!r}")
        return self


class MailSettings(_Section):
    """Who clerk writes as, where replies go, and which servers (if any) carry the mail."""

    from_address: str = "clerk@clerk.example.org"
    from_name: str = "Partnership clerk"
    reply_local_part: str = "clerk"
    reply_domain: str = "clerk.example.org"
    reply_key_days: int = Field(default=60, ge=1)
    # The authserv-id your own receiving mail server writes in Authentication-Results; only its
    # verdicts are read (anyone can write such a header). Empty: all of them are ignored.
    trusted_authserv_id: str = ""
    maildir: Annotated[Path, Field(strict=False)] = Path("var/mail")
    smtp: SmtpSettings | None = None
    imap: ImapSettings | None = None
    oauth2: OAuth2Settings | None = None

    @model_validator(mode="after")
    def _oauth2_configured(self) -> MailSettings:
        for name, server in (("smtp", self.smtp), ("imap", self.imap)):
            if server is None or server.auth != "oauth2":
                continue
            if self.oauth2 is None:
                raise ValueError(f'[mail.{name}] auth = "oauth2" needs a [mail.oauth2] section '
                                 "(provider, and its client or service account)")
            if not server.username:
                raise ValueError(f'[mail.{name}] auth = "oauth2" needs username (the mailbox)')
            if server.password_env:
                raise ValueError(f'[mail.{name}] auth = "oauth2" does not use password_env: '
                                 "remove it")
        return self

    @field_validator("from_address")
    @classmethod
    def _has_at(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("must be an email address")
        return value.lower()


class TelegramSettings(_Section):
    """The Telegram bot; off unless a token is found."""

    token_env: str = "CLERK_TELEGRAM_TOKEN"
    api_url: str = ""


class WebSettings(_Section):
    """The facilitator's console in the browser, served by ``clerk run`` (off when ``listen`` is
    empty). TLS and the public name belong to a reverse proxy in front of it."""

    #: host:port to listen on; loopback unless a proxy on another host needs it
    listen: str = ""
    #: The address people reach the console at (the proxy's), for the sign-in links clerk emails
    #: and prints; an ``https://`` address also marks the session cookie Secure. When empty, the
    #: links use ``http://`` and ``listen``.
    public_url: str = ""
    #: Addresses that may sign in and see every body (besides each body's facilitator and chair)
    admins: tuple[str, ...] = ()

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if not value:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError('must be "host:port", for example "127.0.0.1:8080"')
        return value

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError('must start with "https://" (or "http://"), for example '
                             '"https://clerk.council.gov.uk"')
        return value.rstrip("/")

    @field_validator("admins", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(value, tuple):
            for item in value:
                if not isinstance(item, str) or "@" not in item:
                    raise ValueError(f"{item!r} is not an email address")
            return tuple(item.strip().lower() for item in value)
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def base_url(self) -> str:
        """Where people open the console: ``public_url``, else ``http://`` and ``listen``."""
        return self.public_url or f"http://{self.listen}"


class ClerkSettings(_Section):
    """Where clerk keeps its state and which clock it plans by."""

    database: Annotated[Path, Field(strict=False)] = Path("var/clerk.db")
    timezone: str = "Europe/London"
    organisation: str = ""
    #: Whom people ask about their data, named on the privacy notice (besides each body's
    #: facilitator); empty: the facilitators only
    privacy_contact: str = ""

    @field_validator("privacy_contact")
    @classmethod
    def _contact_address(cls, value: str) -> str:
        if value and ("@" not in value or " " in value.strip()):
            raise ValueError("must be an email address")
        return value.strip().lower()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:
            raise ValueError(f"is not a time zone clerk knows, got {value!r}") from exc
        return value


class RetentionSettings(_Section):
    """How long clerk keeps personal data it no longer needs; the daily retention job acts on it
    and the privacy notice states it. (Observers' details: each body's
    ``observers.keep_personal_data_days``.)"""

    #: Raw inbound messages are kept this many days after they arrive; then their bytes are
    #: deleted, keeping what became of each message and its SHA-256
    raw_mail_days: int = Field(default=90, ge=1)
    #: A former member's name and addresses are replaced by a pseudonym this many years after
    #: their last membership ended
    former_members_years: int = Field(default=6, ge=1, le=100)


class Config(_Section):
    """The whole configuration file."""

    clerk: ClerkSettings = ClerkSettings()
    retention: RetentionSettings = RetentionSettings()
    mail: MailSettings = MailSettings()
    telegram: TelegramSettings = TelegramSettings()
    web: WebSettings = WebSettings()
    bodies: dict[str, Body] = Field(min_length=1)
    path: Annotated[Path | None, Field(strict=False)] = None

    @model_validator(mode="before")
    @classmethod
    def _key_file_beside_config(cls, data: Any) -> Any:
        """``[mail.oauth2] service_account_file`` is relative to the file, as other paths are."""
        try:
            oauth2 = data["mail"]["oauth2"]
            key_file = oauth2["service_account_file"]
        except (KeyError, TypeError):
            return data
        path = data.get("path")
        if not isinstance(key_file, str) or not key_file or path is None or Path(key_file).is_absolute():
            return data
        resolved = str(Path(path).parent / key_file)
        return {**data, "mail": {**data["mail"], "oauth2": {**oauth2, "service_account_file": resolved}}}

    @field_validator("bodies")
    @classmethod
    def _slugs(cls, value: dict[str, Body]) -> dict[str, Body]:
        for slug in value:
            if not slug.replace("-", "").replace("_", "").isalnum() or slug != slug.lower():
                raise ValueError(f"body name {slug!r} must be lower-case letters, digits and -")
        return value

    def body(self, slug: str) -> Body:
        return self.bodies[slug]

    def slug_for(self, text: str) -> str | None:
        """The slug of the body ``text`` names: its slug, or its name or short name (any case)."""
        if text in self.bodies:
            return text
        wanted = text.casefold().strip()
        for slug, body in self.bodies.items():
            if wanted in (body.name.casefold().strip(), body.short_name.casefold().strip()) \
                    and wanted:
                return slug
        return None

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.clerk.timezone)

    def resolve(self, path: Path) -> Path:
        """A path from the file, relative to the file's own folder."""
        if path.is_absolute() or self.path is None:
            return path
        return self.path.parent / path

    @property
    def database_path(self) -> Path:
        return self.resolve(self.clerk.database)

    @property
    def maildir_path(self) -> Path:
        return self.resolve(self.mail.maildir)

    def warnings(self) -> list[str]:
        """What is valid but probably not what was meant (``check-config`` and doctor show it)."""
        return [w for slug, body in self.bodies.items() if (w := electorate_warning(slug, body))]

    def notes(self) -> list[str]:
        """One line per body that sets keys clerk accepts but does not act on yet (``check-config``)."""
        return [f'body "{slug}": accepted, not acted on yet: {", ".join(keys)}'
                for slug, body in self.bodies.items() if (keys := keys_not_acted_on(body))]


def keys_not_acted_on(body: Body) -> list[str]:
    """The keys of ``NOT_YET_ACTED_ON`` that this body's section of the file sets, sorted."""
    found: list[str] = []
    for key in sorted(NOT_YET_ACTED_ON):
        section: BaseModel = body
        *outer, last = key.split(".")
        for name in outer:
            if name not in section.model_fields_set:
                break
            section = getattr(section, name)
        else:
            if last in section.model_fields_set:
                found.append(key)
    return found


def electorate_warning(slug: str, body: Body) -> str:
    """A warning when a body's electorate filter would include members who may not vote.

    Members with ``voting = no`` never get a ballot, whatever the filter; a filter that does not say
    ``voting = true`` reads as if they would.
    """
    who = body.decisions.electorate
    where = f'body "{slug}" ({body.name}): decisions.electorate'
    if who.voting is False:
        return (f"{where} selects non-voting members only; members with voting = no never get a "
                "ballot, so no one would vote")
    if who.voting is None:
        return (f"{where} would include non-voting members (voting = no); they never get a "
                "ballot, so add voting = true to the filter to say so")
    return ""


def secret(env_name: str) -> str | None:
    """A secret (password, token) read from the environment variable the file names."""
    return os.environ.get(env_name) if env_name else None


def load_config(path: Path | str) -> Config:
    """Read and validate a configuration file, or raise ConfigError listing every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(path, [f"no configuration file at {path}"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"cannot read the file: {exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"is not valid TOML: {exc}"]) from exc
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path | str = "<config>") -> Config:
    """Validate already-parsed TOML data."""
    try:
        config = Config.model_validate({**data, "path": Path(path)})
    except ValidationError as exc:
        raise ConfigError(path, [describe_error(err) for err in exc.errors()]) from exc
    return link_bodies(config, path)


def link_bodies(config: Config, path: Path | str = "<config>") -> Config:
    """The configuration with every body one body names (``reports_to``, ``reports[].to``,
    ``decisions.unresolved.refer_to``) written as its slug: a slug is kept, a body's name or
    short name (any case) becomes its slug; anything else is a ConfigError naming the key. A
    group of ``reports_in`` must be no body of the file, and named once by each body."""
    problems: list[str] = []

    def slug_of(slug: str, key: str, value: str) -> str:
        found = config.slug_for(value)
        if not found:
            problems.append(f'body "{slug}": {key} names no body in this file, got "{value}" '
                            f"(give a body's slug, such as {', '.join(sorted(config.bodies))}, "
                            "or its name)")
        elif found == slug:
            problems.append(f'body "{slug}": {key} names the body itself')
        return found or value

    bodies: dict[str, Body] = {}
    for slug, body in config.bodies.items():
        reports_to = [slug_of(slug, f"reports_to[{i}]", v) for i, v in enumerate(body.reports_to)]
        reports = [r.model_copy(update={"to": slug_of(slug, f"reports[{i}].to", r.to)})
                   for i, r in enumerate(body.reports)]
        update: dict[str, Any] = {}
        if reports_to != body.reports_to:
            update["reports_to"] = reports_to
        if reports != body.reports:
            update["reports"] = reports
        groups: set[str] = set()
        for i, report in enumerate(body.reports_in):
            name = report.group.strip().casefold()
            if name in groups:
                problems.append(f'body "{slug}": reports_in[{i}].from names the group '
                                f'"{report.group}" again (one entry a group)')
            groups.add(name)
            other = config.slug_for(report.group)
            if other:  # one form a report: a body's reports are set on the body that makes them
                problems.append(f'body "{slug}": reports_in[{i}].from names the body "{other}" '
                                f"of this file: set [[bodies.{other}.reports]] to = \"{slug}\" "
                                "instead")
        unresolved = body.decisions.unresolved
        if unresolved.refer_to:
            refer_to = slug_of(slug, "decisions.unresolved.refer_to", unresolved.refer_to)
            if refer_to != unresolved.refer_to:
                update["decisions"] = body.decisions.model_copy(update={
                    "unresolved": unresolved.model_copy(update={"refer_to": refer_to})})
        bodies[slug] = body.model_copy(update=update) if update else body
    if problems:
        raise ConfigError(path, problems)
    return config.model_copy(update={"bodies": bodies})


_TAGS = {"all_of", "any_of", "at_least", "office", "distinct", "none"}


def _clean_loc(loc: tuple[Any, ...]) -> list[Any]:
    """Drop the union tags pydantic puts into the path of a quorum condition."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        prev = loc[i - 1] if i else None
        if part in _TAGS and (isinstance(prev, int) or prev in {"quorum", "participation"}):
            continue
        out.append(part)
    return out


def _dotted(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + str(part))
    return text


_MESSAGES = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text in quotes",
    "list_type": "must be a list in square brackets",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "missing": "is required",
    "extra_forbidden": "is not a setting clerk knows (check the spelling)",
}


def describe_error(err: Any) -> str:
    """One sentence for one validation error, naming the body and the key."""
    parts = _clean_loc(tuple(err["loc"]))
    prefix = ""
    if len(parts) >= 2 and parts[0] == "bodies":
        prefix = f'body "{parts[1]}": '
        parts = parts[2:]
    key = _dotted(parts) or "the file"
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in _MESSAGES:
        message = _MESSAGES[kind]
    elif kind == "literal_error":
        message = f"must be one of {ctx.get('expected', '')}"
    elif kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        message = err["msg"].lower().replace("input should be", "must be")
    elif kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
    else:
        message = err["msg"][0].lower() + err["msg"][1:]
        message = message.replace("input should be", "must be")
    shown = err.get("input")
    got = ""
    if kind not in {"missing", "extra_forbidden"} and isinstance(shown, str | int | float | bool):
        got = f", got {_toml_value(shown)}"
    return f"{prefix}{key} {message}{got}"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
