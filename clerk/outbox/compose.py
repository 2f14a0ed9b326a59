"""Writing an outgoing message's raw bytes: text and HTML alternatives, a calendar part,
attachments; and the personal head of a paper pack whose attachments are stored once. It is the
only MIME writer for outgoing mail.

Every reply read gets an answer and every member an invitation, so composing has to be cheap:
the ``email`` package's modern API costs about 3 ms a message, more than all the rest of reading
a reply. This writer produces the headers clerk needs (the Message-ID and Reply-To scheme,
``Auto-Submitted``, threading) with the stdlib's small helpers, in about a tenth of that.
Bodies are UTF-8, quoted-printable; the boundary starts with ``=_``, which quoted-printable text
can never contain. No line written here is longer than RFC 5322's 78 characters (a boundary
parameter is folded onto its own line). The attachment parts of a paper pack, stored once for
all its recipients (:func:`clerk.outbox.mail.store_shared_body`), are written by the email
package (:func:`attachment_part`): long file names as RFC 2231 continuations; only a very long
media type (a .docx's, 85 characters) passes 78, far from 998. This is the one module of clerk's
outbox that imports ``email``.

Line ends are LF here and in the outbox; aiosmtplib writes CRLF on the wire (every line end,
as SMTP requires), and the Maildir outbox keeps LF, the Maildir convention. ``Date`` is the time
the message was queued, when clerk finished writing it (RFC 5322's origination date), so a copy
sent again after a crash is the same message byte for byte.

No ``List-Unsubscribe``: clerk sends nobody a subscription. Every message is to one person
about their own business: a member's seat on the board (invitations, papers, ballots, which a
member may not opt out of), an answer to their own email, or an observer's own booking (whose
emails say how to cancel it: ``/cancel``). A one-click unsubscribe (RFC 8058) would need a web
endpoint clerk does not have, and a ``mailto:`` one would promise what no part of clerk does.
Nor is there any tracking: no images, no redirect or tagged links (tests/test_mail_hygiene.py).
"""

from __future__ import annotations

import binascii
import secrets
from datetime import datetime
from email import policy as email_policy
from email.header import Header
from email.message import MIMEPart
from email.utils import format_datetime, formataddr

from clerk.calendar import METHODS as CALENDAR_METHODS
from clerk.config import MailSettings
from clerk.outbox.outgoing import Attachment, Outgoing, reply_address

_MAX_LINE = 76


def _header_text(name: str, value: str) -> str:
    """A header value safe to write: encoded if not ASCII, folded if long."""
    value = " ".join(value.split())  # no line breaks ever reach a header
    if not value.isascii():
        return Header(value, "utf-8", maxlinelen=_MAX_LINE, header_name=name).encode()
    lines: list[str] = []
    line = ""
    room = _MAX_LINE - len(name) - 2
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line, room = word, _MAX_LINE - 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n ".join(lines)


def _encoded_word(text: str) -> str:
    return Header(text, "utf-8", maxlinelen=10_000).encode()


def _encoded_phrase(field: str, name: str) -> str:
    """A display name that is not ASCII as encoded words (RFC 2047) of at most 75 characters,
    split between words, each space kept at the end of the word before it: clients that drop
    the folding between encoded words (as RFC 2047 asks) and those that keep it (Python's
    address parser) both show the name as written."""
    whole = _encoded_word(name)
    if len(whole) <= 75 and len(field) + 2 + len(whole) <= _MAX_LINE:
        return whole
    chunks: list[str] = []
    current = ""
    for word in name.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and len(_encoded_word(candidate + " ")) > 75:
            chunks.append(current + " ")
            current = word
        else:
            current = candidate
    chunks.append(current)
    words: list[str] = []
    for chunk in chunks:
        encoded = _encoded_word(chunk)
        if len(encoded) > 75:  # one very long word: the stdlib splits it
            encoded = Header(chunk, "utf-8", maxlinelen=_MAX_LINE, header_name=field).encode()
        words.append(encoded)
    lines = [words[0]]
    room = _MAX_LINE - len(field) - 2
    for encoded in words[1:]:  # fold only where a line would pass the limit
        if len(lines[-1]) + 1 + len(encoded) <= (room if len(lines) == 1 else _MAX_LINE):
            lines[-1] += " " + encoded
        else:
            lines.append(" " + encoded)
    return "\n".join(lines)


def _address(field: str, name: str, addr: str) -> str:
    """``Name <addr>`` for the header ``field``: a name that is not ASCII as RFC 2047 encoded
    words of at most 75 characters, and the address on a folded line of its own when the line
    would pass 78 characters."""
    if not addr or len(addr.split()) != 1 or not addr.isprintable() or not addr.isascii():
        raise ValueError(f"cannot write to the address {addr!r}")
    name = " ".join(name.split())
    if not name:
        return addr
    # an ASCII name as formataddr writes it (quoted if it must be), without " <addr>"
    display = (formataddr((name, addr))[: -len(addr) - 3] if name.isascii()
               else _encoded_phrase(field, name))
    last = display.rsplit("\n", 1)[-1]
    used = len(last) + (0 if "\n" in display else len(field) + 2)
    return f"{display} <{addr}>" if used + len(addr) + 3 <= 78 else f"{display}\n <{addr}>"


def _message_ref(value: str | None) -> str | None:
    """``<id>`` for In-Reply-To, or None when the id cannot be written safely."""
    if not value:
        return None
    ref = value if value.startswith("<") else f"<{value}>"
    if not ref.isascii() or not ref.isprintable() or " " in ref or len(ref) > 900:
        return None
    return ref


def _qp(text: str) -> str:
    # every line end is LF here (a lone CR too), so the wire has CRLF only and nothing else
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True).decode("ascii")


def _b64(data: bytes) -> str:
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "\n".join(encoded[i:i + _MAX_LINE] for i in range(0, len(encoded), _MAX_LINE))


def _filename(name: str) -> str:
    """A filename parameter (RFC 2231 encoded when it is not plain ASCII)."""
    if name.isascii() and '"' not in name and "\\" not in name:
        return f'filename="{name}"'
    quoted = "".join(c if c.isalnum() or c in "._-" else "%" + "%".join(
        f"{b:02X}" for b in c.encode("utf-8")) for c in name)
    return f"filename*=utf-8''{quoted}"


def _text_part(subtype: str, text: str) -> str:
    return (f'Content-Type: text/{subtype}; charset="utf-8"\n'
            "Content-Transfer-Encoding: quoted-printable\n\n" + _qp(text))


def _calendar_part(msg: Outgoing) -> str | None:
    """The meeting request (RFC 6047): ``text/calendar`` whose ``method`` parameter is the
    VCALENDAR's METHOD. Base64 keeps the iCalendar's own CRLF line ends and folding intact."""
    if not msg.calendar:
        return None
    method = msg.calendar_method
    if method not in CALENDAR_METHODS or f"\r\nMETHOD:{method}\r\n".encode() not in msg.calendar:
        raise ValueError(f"the calendar part's METHOD is not {method!r}")
    return (f'Content-Type: text/calendar; method={method}; charset="UTF-8"\n'
            "Content-Transfer-Encoding: base64\n\n" + _b64(msg.calendar))


def _body_parts(msg: Outgoing) -> str:
    """What the reader sees: text/plain, then text/html, then the meeting request, as one
    multipart/alternative (a lone text/plain when there is nothing else).

    The calendar is the *last* alternative, as RFC 6047 and Microsoft's guidance for Outlook
    ask: Outlook and Gmail then show a meeting request (Accept / Decline, a tentative entry),
    and a client without a calendar shows the text or HTML, which say everything the calendar
    does. There is deliberately no second copy as an ``invite.ics`` attachment: Outlook, Apple
    Mail and Thunderbird can show an attached calendar beside the alternative one as a second
    invitation (or as "not supported calendar message.ics"), and one message must be one
    invitation."""
    parts = [_text_part("plain", msg.text)]
    if msg.html is not None:
        parts.append(_text_part("html", msg.html))
    calendar = _calendar_part(msg)
    if calendar is not None:
        parts.append(calendar)
    if len(parts) == 1:
        return parts[0]
    boundary = f"=_clerk_{secrets.token_hex(12)}"
    return (f'Content-Type: multipart/alternative;\n boundary="{boundary}"\n'
            + "".join(f"\n--{boundary}\n{part}" for part in parts) + f"\n--{boundary}--\n")


def _attached_parts(msg: Outgoing) -> list[str]:
    return [f"Content-Type: {item.maintype}/{item.subtype}\n"
            "Content-Transfer-Encoding: base64\n"
            f"Content-Disposition: attachment; {_filename(item.filename)}\n\n"
            + _b64(item.content) for item in msg.attachments]


def _headers(mail: MailSettings, msg: Outgoing, now: datetime) -> tuple[list[str], str]:
    """The header lines, and the Message-ID (without brackets)."""
    if msg.reply_key:
        message_id = f"{msg.purpose}.{msg.reply_key}.{secrets.token_hex(4)}@{mail.reply_domain}"
    else:
        message_id = f"{msg.kind}.{secrets.token_hex(12)}@{mail.reply_domain}"
    headers = [
        f"From: {_address('From', mail.from_name, mail.from_address)}",
        f"To: {_address('To', msg.to_name, msg.to_addr)}",
        f"Subject: {_header_text('Subject', msg.subject)}",
        f"Date: {format_datetime(now)}",
        f"Message-ID: <{message_id}>",
    ]
    if msg.reply_key:
        headers.append(f"Reply-To: {reply_address(mail, msg.reply_key)}")
    ref = _message_ref(msg.in_reply_to)
    if ref:
        headers += [f"In-Reply-To: {ref}", f"References: {ref}"]
    headers += [f"Auto-Submitted: {msg.auto}", "X-Auto-Response-Suppress: OOF, AutoReply",
                f"X-Clerk-Kind: {msg.kind}", "MIME-Version: 1.0"]
    return headers, message_id


def _mixed(boundary: str, parts: list[str]) -> str:
    """A multipart/mixed body up to (not including) its closing delimiter."""
    return (f'Content-Type: multipart/mixed;\n boundary="{boundary}"\n'
            + "".join(f"\n--{boundary}\n{part}" for part in parts))


def compose_message(mail: MailSettings, msg: Outgoing, now: datetime) -> tuple[bytes, str]:
    """Any outgoing message (an answer, an invitation, a ballot, a notice) written whole:
    ``(raw bytes, Message-ID without brackets)``: the text, HTML and calendar alternatives,
    and any attachments after them in a multipart/mixed."""
    headers, message_id = _headers(mail, msg, now)
    body = _body_parts(msg)
    attached = _attached_parts(msg)
    if attached:
        boundary = f"=_clerk_{secrets.token_hex(12)}"
        body = _mixed(boundary, [body, *attached]) + f"\n--{boundary}--\n"
    raw = "\n".join(headers) + "\n" + body
    if not raw.endswith("\n"):  # a lone text part: its last line ends like every other
        raw += "\n"
    return raw.encode("ascii"), message_id


def compose_head(mail: MailSettings, msg: Outgoing, boundary: str,
                 now: datetime) -> tuple[bytes, str]:
    """The personal head of a message whose attachment parts are stored once for many
    recipients (:func:`clerk.outbox.mail.store_shared_body`): the headers, and the
    alternatives (text, HTML, calendar) as the first part of a multipart/mixed with
    ``boundary``, ending where the shared parts begin; the sender appends them (and the closing
    delimiter) byte for byte."""
    headers, message_id = _headers(mail, msg, now)
    raw = "\n".join(headers) + "\n" + _mixed(boundary, [_body_parts(msg)])
    return raw.encode("ascii"), message_id


def attachment_part(item: Attachment) -> bytes:
    """One attachment of a paper pack as a MIME part (its headers and base64 body), by the email
    package, which writes a long file name as RFC 2231 continuations."""
    part = MIMEPart(policy=email_policy.default)
    part.set_content(item.content, maintype=item.maintype, subtype=item.subtype,
                     filename=item.filename, disposition="attachment")
    return part.as_bytes()
