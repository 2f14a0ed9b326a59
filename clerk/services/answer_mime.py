"""The raw bytes of a short answer: text and HTML alternatives, nothing attached.

Every reply read gets an answer, so composing one has to be cheap: the ``email`` package's
modern API (:func:`clerk.services.outbox.compose`) costs about 3 ms a message, more than all the
rest of reading a reply. This writer produces the same headers (same Message-ID and Reply-To
scheme, ``Auto-Submitted``, threading) with the stdlib's small helpers, in about a tenth of that.
Bodies are UTF-8, quoted-printable; the boundary starts with ``=_``, which quoted-printable text
can never contain.
"""

from __future__ import annotations

import binascii
import secrets
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr

from clerk.config import MailSettings
from clerk.services.outbox import Outgoing, reply_address

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


def _address(name: str, addr: str) -> str:
    if not addr or len(addr.split()) != 1 or not addr.isprintable():
        raise ValueError(f"cannot write to the address {addr!r}")
    name = " ".join(name.split())
    return formataddr((name, addr), charset="utf-8") if name else addr


def _message_ref(value: str | None) -> str | None:
    """``<id>`` for In-Reply-To, or None when the id cannot be written safely."""
    if not value:
        return None
    ref = value if value.startswith("<") else f"<{value}>"
    if not ref.isascii() or not ref.isprintable() or " " in ref or len(ref) > 900:
        return None
    return ref


def _qp(text: str) -> str:
    data = text.replace("\r\n", "\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True).decode("ascii")


def compose_answer(mail: MailSettings, msg: Outgoing, now: datetime) -> tuple[bytes, str]:
    """``(raw bytes, Message-ID without brackets)`` of a text (+ HTML) message."""
    if msg.calendar or msg.attachments:
        raise ValueError("compose_answer writes text and HTML only; use outbox.compose")
    if msg.reply_key:
        message_id = f"{msg.purpose}.{msg.reply_key}.{secrets.token_hex(4)}@{mail.reply_domain}"
    else:
        message_id = f"{msg.kind}.{secrets.token_hex(12)}@{mail.reply_domain}"
    headers = [
        f"From: {_address(mail.from_name, mail.from_address)}",
        f"To: {_address(msg.to_name, msg.to_addr)}",
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
    text_part = ('Content-Type: text/plain; charset="utf-8"\n'
                 "Content-Transfer-Encoding: quoted-printable\n\n" + _qp(msg.text))
    if msg.html is None:
        return "\n".join([*headers, text_part]).encode("ascii"), message_id
    boundary = f"=_clerk_{secrets.token_hex(12)}"
    html_part = ('Content-Type: text/html; charset="utf-8"\n'
                 "Content-Transfer-Encoding: quoted-printable\n\n" + _qp(msg.html))
    body = f"\n--{boundary}\n{text_part}\n--{boundary}\n{html_part}\n--{boundary}--\n"
    headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    return ("\n".join(headers) + "\n" + body).encode("ascii"), message_id
