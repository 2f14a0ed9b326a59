"""Parse one raw incoming email into a :class:`ParsedMessage` (pure: no I/O, never raises).

This is the one place an incoming message's wire format is read; the services get what they
need of it as :class:`clerk.mail_in.message.InboundMail` (built by :mod:`mail.ingest`).

Headers are read from the raw header lines and decoded with small stdlib helpers
(RFC 2047 words, raw 8-bit bytes, address lists), bodies from the MIME tree with a
forgiving charset fallback (declared -> utf-8 -> windows-1252 -> latin-1).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from mail.quotes import html_to_text, strip_quoted

__all__ = ["ParsedMessage", "decode_bytes", "decode_header_value", "parse_message"]

# Envelope headers first: they name the mailbox that actually received the message.
_RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "to", "cc")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_SIMPLE_MAILBOX = re.compile(r"\s*(?:([^<>@,]*?)\s*<([^<>\s@,]+@[^<>\s@,]+)>|([^<>\s@,]+@[^<>\s@,]+))\s*")
_ADDR_SPEC = re.compile(r"[^@\s<>()\[\]\",;:]+@[^@\s<>()\[\]\",;:]+")
_SINGLE_BYTE = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252", "iso8859-2", "cp1250"})
_NOT_ASCII_COMPATIBLE = ("utf-16", "utf-32", "utf-7", "iso2022", "hz")
_CHARSET_ALIASES = {
    "iso-8859-1": "windows-1252",  # commonly mislabelled; cp1252 is a superset in practice
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-unknown": "",
    "unknown-8bit": "",
}


@dataclass(frozen=True)
class ParsedMessage:
    """One incoming message, parsed (the adapter's view of it, headers and MIME parts).

    ``message_id``/``in_reply_to``/``references`` hold ids without angle brackets;
    ``from_addr`` is the lower-cased addr-spec only (display names are never trusted);
    ``to_addrs`` are the lower-cased Delivered-To, X-Original-To, Envelope-To, To and Cc
    addresses, envelope ones first; ``date`` is aware (UTC when the header had no zone)
    or None; ``headers`` is the whole parsed message (a compat32
    :class:`email.message.Message`: case-insensitive header lookup, and the MIME parts
    for DSN checks) - use :meth:`header` for a decoded str; ``text`` is the decoded
    plain text (HTML converted when there is no text part); ``fresh_text`` is ``text``
    without quotes and signatures; ``html`` the HTML part ("" if none); ``attachments``
    the names (or content types) of attached parts, which are never read as text;
    ``calendar`` the first text/calendar part ("" if none), e.g. an Outlook "Accepted:".
    """

    message_id: str
    in_reply_to: list[str]
    references: list[str]
    from_addr: str
    from_name: str
    to_addrs: list[str]
    subject: str
    date: datetime | None
    headers: Message
    text: str
    fresh_text: str
    raw_sha256: str
    html: str = ""
    attachments: list[str] = field(default_factory=list)
    calendar: str = ""

    @property
    def answered_ids(self) -> tuple[str, ...]:
        """The Message-IDs this message answers: In-Reply-To first, then References newest
        first (References lists the thread oldest first)."""
        return (*self.in_reply_to, *reversed(self.references))

    def header(self, name: str, default: str = "") -> str:
        """First value of header ``name`` (case-insensitive), decoded and unfolded."""
        values = self.header_all(name)
        return values[0] if values else default

    def header_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), decoded and unfolded."""
        return [decode_header_value(v) for v in _raw_header_all(self.headers, name)]


# --------------------------------------------------------------------------- decoding


def _lookup_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text bytes: declared charset, then utf-8, windows-1252, latin-1. Never raises."""
    codec = _lookup_codec(declared)
    if data.isascii() and not (codec and codec.startswith(_NOT_ASCII_COMPATIBLE)):
        return data.decode("ascii")
    candidates: list[str] = []
    if codec in _SINGLE_BYTE or codec is None:
        candidates.append("utf-8")  # valid multi-byte UTF-8 is never an accident
    if codec:
        candidates.append(codec)
    candidates += ["utf-8", "cp1252"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1", errors="replace")


def _decode_word(match: re.Match[str]) -> str:
    charset, kind, payload = match.group(1).split("*", 1)[0], match.group(2), match.group(3)
    try:
        if kind in "bB":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_bytes(data, charset)


def decode_header_value(value: str) -> str:
    """Unfold a raw header value and decode raw 8-bit bytes and RFC 2047 encoded words."""
    value = _FOLD.sub("", value)
    value = _decode_8bit(value)
    if "=?" not in value:
        return value.strip()
    out: list[str] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if not (out and between.isspace()):  # whitespace between two words is dropped
            out.append(between)
        out.append(_decode_word(match))
        pos = match.end()
    out.append(value[pos:])
    return "".join(out).strip()


# --------------------------------------------------------------------------- headers


def _raw_header_all(msg: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == wanted]


def _header_map(msg: Message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in msg.raw_items():
        found.setdefault(key.lower(), []).append(str(value))
    return found


def _first(raw: dict[str, list[str]], name: str) -> str:
    values = raw.get(name)
    return decode_header_value(values[0]) if values else ""


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """Fast path for the common "Name <a@b>, c@d" shapes; None when getaddresses is needed."""
    if '"' in value or "(" in value or "\\" in value or ";" in value:
        return None
    pairs: list[tuple[str, str]] = []
    for item in value.split(","):
        if not item.strip():
            continue
        match = _SIMPLE_MAILBOX.fullmatch(item)
        if match is None:
            return None
        pairs.append((match.group(1) or "", match.group(2) or match.group(3)))
    return pairs


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(decoded display name, lower-cased addr-spec) pairs; addr-specs without @ kept."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        unfolded = _FOLD.sub("", _decode_8bit(value))
        simple = _simple_addresses(unfolded)
        if simple is None:
            try:
                simple = getaddresses([unfolded])
            except Exception:  # malformed address lists must not crash ingest
                simple = []
        pairs += simple
    return [(decode_header_value(name), addr.strip().lower()) for name, addr in pairs if addr]


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: decode the offending bytes as windows-1252 (latin-1 if undefined)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start : error.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in chunk), error.end


codecs.register_error("clerk.cp1252-fallback", _cp1252_fallback)


def _decode_8bit(value: str) -> str:
    """Turn surrogate-escaped raw header bytes into text: UTF-8, any stray bytes as windows-1252."""
    if value.isascii():
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value  # already real text
    return data.decode("utf-8", errors="clerk.cp1252-fallback")


def _ids(value: str) -> list[str]:
    found = _MSG_ID.findall(value)
    return found if found else [v.strip("<>,;") for v in value.split() if "@" in v]


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _recipients(raw: dict[str, list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for name in _RECIPIENT_HEADERS:
        for _display, addr in _addresses(raw.get(name, [])):
            if _ADDR_SPEC.fullmatch(addr):
                seen.setdefault(addr, None)
    return list(seen)


# --------------------------------------------------------------------------- bodies


def _leaves(part: Message, top: bool = True) -> Iterator[Message]:
    """Leaf parts of the message, not descending into attached messages."""
    if not top and part.get_content_maintype() == "message":
        yield part  # an attached message counts as an attachment
        return
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    yield from _leaves(sub, top=False)
        return
    yield part


def _payload_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken transfer encodings must not crash ingest
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(data, charset)


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft line breaks (same quote depth only)."""
    out: list[str] = []
    buf = ""
    depth = -1
    for line in text.split("\n"):
        line = line.rstrip("\r")
        level = len(line) - len(line.lstrip(">"))
        content = line[level:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if buf and level != depth:
            out.append(buf)
            buf = ""
        if line.endswith(" ") and content.rstrip() != "--":
            buf = (buf or ">" * level + (" " if level else "")) + (content[:-1] if delsp else content)
            depth = level
            continue
        out.append((buf + content) if buf else line)
        buf = ""
    if buf:
        out.append(buf)
    return "\n".join(out)


def _is_attachment(part: Message) -> str | None:
    """The attachment's name (or content type) if this leaf is an attachment."""
    try:
        disposition = part.get_content_disposition()
        filename = part.get_filename()
    except Exception:
        disposition, filename = None, None
    if disposition == "attachment" or filename:
        return decode_header_value(filename) if filename else part.get_content_type()
    ctype = part.get_content_type()
    return None if ctype.startswith("text/") else ctype


@dataclass
class _Bodies:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    calendar: str = ""


def _bodies(msg: Message) -> _Bodies:
    """Plain text, HTML, attachment names and any iCalendar part of the message's own parts."""
    found = _Bodies()
    for part in _leaves(msg):
        if part.get_content_type() == "text/calendar" and not found.calendar:
            found.calendar = _payload_text(part)  # e.g. an Outlook "Accepted:" METHOD:REPLY
        name = _is_attachment(part)
        if name is not None:
            found.attachments.append(name)
            continue
        ctype = part.get_content_type()
        if ctype == "text/html":
            found.html.append(_payload_text(part))
        elif ctype == "text/plain":
            text = _payload_text(part)
            if str(part.get_param("format", "")).lower() == "flowed":
                text = _unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
            found.plain.append(text)
    return found


# --------------------------------------------------------------------------- entry point


def _parse(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # fall back to an empty message rather than crash
        return email.message_from_string("")


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw RFC 5322 bytes into a :class:`ParsedMessage`; never raises."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    msg = _parse(raw)
    hdrs = _header_map(msg)
    senders = _addresses(hdrs.get("from", []))
    # Two addresses ("victim@x.org <attacker@y.org>", or two From lines): which one wrote is
    # unclear (a spoofing trick), so neither is believed.
    from_name, from_addr = senders[0] if len(senders) == 1 else ("", "")
    try:
        bodies = _bodies(msg)
    except Exception:  # pathological MIME trees must not crash ingest
        bodies = _Bodies()
    plain = "\n".join(p for p in bodies.plain if p.strip())
    html = "\n".join(bodies.html)
    text = plain.replace("\r\n", "\n") if plain.strip() else html_to_text(html) if html else ""
    message_ids = _ids(_first(hdrs, "message-id"))
    return ParsedMessage(
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=_ids(_first(hdrs, "in-reply-to")),
        references=_ids(" ".join(_decode_8bit(v) for v in hdrs.get("references", []))),
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=_recipients(hdrs),
        subject=_first(hdrs, "subject"),
        date=_date(_first(hdrs, "date")),
        headers=msg,
        text=text,
        fresh_text=strip_quoted(text, html or None),
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        html=html,
        attachments=bodies.attachments,
        calendar=bodies.calendar,
    )
