"""Recognise mail that no human wrote (Mailman-style small named checks).

:func:`classify_automation` runs :data:`CHECKS` in order and returns the first
verdict, or None for an ordinary human message.  Every verdict says which check
fired and why, so the clerk's log can explain itself.  ``X-Auto-Response-Suppress``
is deliberately *not* a check: ordinary Outlook replies carry it.

A bounce also says which message bounced, where it can be read: the Message-IDs quoted in the
report (:func:`quoted_message_ids`: an RFC 3464 report's returned headers or message, qmail's
"copy of the message", the original's headers pasted into a "could not be delivered" note).
Whether it refers to a message clerk sent is for the inbox service to decide
(:mod:`clerk.mail_in.bounces`); this module only reads what the report says. Non-DSN reports
(qmail, Exim, Gmail, Exchange) name the failed address in prose: :func:`failed_in_text` reads
the common shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from typing import Literal

from mail.mime import ParsedMessage

__all__ = ["CHECKS", "AutomationVerdict", "classify_automation", "failed_in_text",
           "parse_delivery_status", "quoted_message_ids"]

Kind = Literal["auto-reply", "bounce", "own-mail", "list"]


@dataclass(frozen=True)
class AutomationVerdict:
    """Why a message was recognised as automated; bounce details when it is a bounce."""

    kind: Kind
    reason: str
    check: str = ""
    failed_recipients: list[str] = field(default_factory=list)
    permanent: bool = False
    statuses: dict[str, str] = field(default_factory=dict)
    #: Message-IDs (without angle brackets) of the message that bounced, as quoted in the report.
    original_ids: list[str] = field(default_factory=list)


Check = Callable[[ParsedMessage, frozenset[str]], AutomationVerdict | None]

_DAEMON_LOCALPARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_AUTO_SUBJECT = re.compile(
    r"\s*(?:\[?auto(?:matic|matische)?[- ]?(?:reply|response|respond|antwort|answer)\]?\s*:?"
    r"|out of (?:the )?office|autosvar|abwesenheitsnotiz|abwesend|réponse automatique"
    r"|respuesta automática|risposta automatica|automatisch antwoord|afwezigheidsbericht"
    r"|automaattinen vastaus|fraværsmelding|frånvaro|resposta automática|odpowiedź automatyczna"
    r"|on leave:|away from (?:the )?office|vacation reply|holiday auto)",
    re.IGNORECASE,
)
_DELAY_WORDS = ("delay", "warning", "retry", "retried", "temporar", "not yet been delivered")
_ADDR_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _verdict(kind: Kind, check: str, reason: str) -> AutomationVerdict:
    return AutomationVerdict(kind=kind, reason=reason, check=check)


def _base_address(addr: str) -> str:
    local, _, domain = addr.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if domain else addr


# --------------------------------------------------------------------------- checks


def check_own_address(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """From is one of our own addresses (or a plus-address of one): a loop."""
    addr = msg.from_addr
    if addr and (addr in own or _base_address(addr) in own):
        return _verdict(
            "own-mail", "own_address", f"From {addr} is one of the clerk's own addresses (mail loop)"
        )
    return None


def check_delivery_status(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """A multipart/report; report-type=delivery-status (RFC 3464 DSN)."""
    root = msg.headers
    if root.get_content_type() != "multipart/report":
        return None
    report_type = str(root.get_param("report-type", "") or "").lower()
    if report_type != "delivery-status":
        return None
    statuses = parse_delivery_status(root)
    affected = {r: s for r, (action, s) in statuses.items() if action in ("failed", "delayed")}
    permanent = any(action == "failed" and s.startswith("5") for action, s in statuses.values())
    detail = (
        ", ".join(f"{r} {statuses[r][0]} {s}" for r, s in affected.items()) or "no failed recipient listed"
    )
    return AutomationVerdict(
        kind="bounce",
        check="delivery_status",
        reason=f"delivery status notification (multipart/report, RFC 3464): {detail}; "
        + ("permanent failure" if permanent else "temporary problem, the server will retry"),
        failed_recipients=list(affected),
        permanent=permanent,
        statuses=affected,
        original_ids=quoted_message_ids(root),
    )


def check_mailer_daemon(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """A non-DSN bounce from MAILER-DAEMON/postmaster (or with an X-Failed-Recipients header)."""
    local = msg.from_addr.split("@", 1)[0]
    failed_header = msg.header("X-Failed-Recipients")
    if local not in _DAEMON_LOCALPARTS and not failed_header:
        return None
    failed = [a.lower() for a in _ADDR_IN_TEXT.findall(failed_header)]
    if not failed:
        failed = [a for a in failed_in_text(msg.text) if a not in own and a != msg.from_addr]
    subject = msg.subject.lower()
    permanent = not any(word in subject for word in _DELAY_WORDS)
    who = f"sender {msg.from_addr}" if local in _DAEMON_LOCALPARTS else "X-Failed-Recipients header"
    return AutomationVerdict(
        kind="bounce",
        check="mailer_daemon",
        reason=f"bounce from {who} (not a standard DSN): "
        + (", ".join(failed) if failed else "failed recipient not stated")
        + ("; permanent failure" if permanent else "; delivery delayed"),
        failed_recipients=failed,
        permanent=permanent,
        original_ids=quoted_message_ids(msg.headers),
    )


def check_auto_submitted(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """Auto-Submitted other than "no" (RFC 3834)."""
    value = msg.header("Auto-Submitted").strip().lower()
    if value and value.split(";", 1)[0].strip() != "no":
        return _verdict("auto-reply", "auto_submitted", f"Auto-Submitted: {value} header (RFC 3834)")
    return None


def check_autoreply_headers(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """X-Autoreply / X-Autorespond / X-Autoresponder present (and not "no")."""
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Autogenerated"):
        values = msg.header_all(name)
        if values and values[0].strip().lower() not in ("no", "false", "0"):
            return _verdict(
                "auto-reply", "autoreply_header", f"{name}: {values[0].strip() or '(empty)'} header"
            )
    return None


def check_list_headers(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """List-Id or List-Unsubscribe (RFC 2919 / RFC 2369): mailing-list traffic."""
    for name in ("List-Id", "List-Unsubscribe"):
        value = msg.header(name)
        if value:
            return _verdict(
                "list", "list_headers", f"{name}: {value} header: message came through a mailing list"
            )
    return None


def check_precedence(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """Precedence: bulk | junk | list | auto_reply."""
    value = msg.header("Precedence").strip().lower()
    if value == "list":
        return _verdict("list", "precedence", "Precedence: list header: mailing-list traffic")
    if value in ("bulk", "junk", "auto_reply", "auto-reply"):
        return _verdict("auto-reply", "precedence", f"Precedence: {value} header: bulk or automatic mail")
    return None


def check_auto_subject(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """Subject starts like an out-of-office ("Automatic reply:", "Out of Office", "Autosvar"...)."""
    if _AUTO_SUBJECT.match(msg.subject):
        return _verdict("auto-reply", "auto_subject", f'subject "{msg.subject[:80]}" is an automatic reply')
    return None


def check_null_sender(msg: ParsedMessage, own: frozenset[str]) -> AutomationVerdict | None:
    """Return-Path: <> (null envelope sender): only notifications are sent that way."""
    values = msg.header_all("Return-Path")
    if values and values[0].replace(" ", "") == "<>":
        return _verdict(
            "auto-reply",
            "null_sender",
            "Return-Path: <> (null envelope sender): sent by an automatic responder",
        )
    return None


CHECKS: tuple[tuple[str, Check], ...] = (
    ("own_address", check_own_address),
    ("delivery_status", check_delivery_status),
    ("mailer_daemon", check_mailer_daemon),
    ("auto_submitted", check_auto_submitted),
    ("autoreply_header", check_autoreply_headers),
    ("list_headers", check_list_headers),
    ("precedence", check_precedence),
    ("auto_subject", check_auto_subject),
    ("null_sender", check_null_sender),
)


def classify_automation(msg: ParsedMessage, own_addresses: set[str]) -> AutomationVerdict | None:
    """First verdict of :data:`CHECKS`, or None for a message a person wrote."""
    own = frozenset(a.strip().lower() for a in own_addresses)
    for _name, check in CHECKS:
        verdict = check(msg, own)
        if verdict is not None:
            return verdict
    return None


# --------------------------------------------------------------------------- DSN parsing


def _status_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part (per-message first)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload or "")
    blocks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [HeaderParser().parsestr(block) for block in blocks if block.strip()]


def _field(block: Message, name: str) -> str:
    """A DSN field as text (compat32 hands back Header objects for 8-bit values)."""
    value = block.get(name)
    return str(value).strip() if value is not None else ""


def _rfc822_addr(value: str) -> str:
    """ "rfc822; User@Example.org" -> "user@example.org"."""
    return value.split(";", 1)[-1].strip().strip("<>").strip().lower()


def parse_delivery_status(msg: Message) -> dict[str, tuple[str, str]]:
    """Recipient -> (action, status) from every message/delivery-status part of a DSN.

    The recipient is Original-Recipient when given (the address we sent to), else
    Final-Recipient.  Per-message fields (Reporting-MTA...) are skipped.
    """
    found: dict[str, tuple[str, str]] = {}
    for part in msg.walk():
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        for block in _status_blocks(part):
            recipient = _rfc822_addr(_field(block, "Original-Recipient"))
            recipient = recipient or _rfc822_addr(_field(block, "Final-Recipient"))
            if not recipient:
                continue
            action = _field(block, "Action").lower()
            status = _field(block, "Status").split(" ", 1)[0]
            found[recipient] = (action, status)
    return found


# --------------------------------------------------------------------------- what bounced

_MESSAGE_ID_LINE = re.compile(r"^[ \t>]*Message-ID:[ \t]*<?([^\s<>]+@[^\s<>]+?)>?[ \t]*$",
                              re.IGNORECASE | re.MULTILINE)
#: Where a non-DSN report's own words end and its copy of the returned message begins.
_COPY_STARTS = re.compile(
    r"^[ \t]*(?:--- Below this line is a copy of the message"  # qmail
    r"|-+ ?This is a copy of the message"  # Exim
    r"|-+ ?(?:Original|Returned) message"  # Gmail, Postfix, sendmail
    r"|Original message headers:"  # Exchange
    r"|-+ The header of the original message is following"
    r"|Received: |Return-Path: )",
    re.IGNORECASE | re.MULTILINE)
#: Words only a delivery failure report uses (the prose around the failed addresses).
_FAILURE_WORDS = re.compile(
    r"could not be delivered|couldn't be delivered|cannot be delivered|failed permanently"
    r"|delivery has failed|delivery to the following recipient|undeliverable"
    r"|permanent (?:fatal )?error|address(?:es|\(es\))? failed|user unknown|unknown user"
    r"|does not exist|no such (?:user|mailbox)|mailbox (?:unavailable|not found)"
    r"|recipient address rejected|wasn't found at|not found at",
    re.IGNORECASE)
_QMAIL_RECIPIENT = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:[ \t]*$", re.MULTILINE)


def _text_of(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes):
        try:
            text = raw.decode(part.get_content_charset() or "utf-8", "replace")
        except LookupError:  # a charset Python does not know: the ASCII of it still reads
            text = raw.decode("utf-8", "replace")
    else:
        payload = part.get_payload()
        text = payload if isinstance(payload, str) else ""
    return text.replace("\r\n", "\n")


def quoted_message_ids(root: Message) -> list[str]:
    """The Message-IDs of the returned message a bounce quotes (its returned headers, its
    attached message, or a ``Message-ID:`` line in its text), without angle brackets; never
    the report's own."""
    found: list[str] = []

    def add(value: object) -> None:
        text = str(value or "").strip().strip("<>").strip()
        if text and "@" in text and text not in found:
            found.append(text)

    for part in root.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            for inner in payload if isinstance(payload, list) else []:
                if isinstance(inner, Message):
                    add(inner.get("Message-ID"))
        elif kind in ("text/rfc822-headers", "message/rfc822-headers",
                      "message/global-headers"):
            add(HeaderParser().parsestr(_text_of(part)).get("Message-ID"))
        elif kind == "text/plain":
            for match in _MESSAGE_ID_LINE.finditer(_text_of(part)):
                add(match.group(1))
    return found


def failed_in_text(text: str) -> list[str]:
    """The failed addresses a non-DSN bounce names in its own words (before the copy of the
    returned message): qmail's ``<addr>:`` paragraphs, or the addresses in a report that says
    its message "could not be delivered" (Exim, Gmail, Exchange, Postfix's plain notes)."""
    own_words = _COPY_STARTS.split(text.replace("\r\n", "\n"), maxsplit=1)[0]
    qmail = [a.lower() for a in _QMAIL_RECIPIENT.findall(own_words)]
    if qmail:
        return list(dict.fromkeys(qmail))
    if not _FAILURE_WORDS.search(own_words):
        return []
    return list(dict.fromkeys(a.lower().rstrip(".") for a in _ADDR_IN_TEXT.findall(own_words)))
