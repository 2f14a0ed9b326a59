"""Building the emails members (and machines) send back, as real clients shape them: Gmail and
Outlook replies to an invitation, out-of-office notes, delivery status notifications."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

DOMAIN = "clerk.example.org"
_ids = itertools.count(1)

INVITATION_TEXT = """Dear Board member,

You are invited to the meeting of the Worcestershire Carers Partnership.

Please tell us if you can come. Reply to this email with one of these:

  YES - if you will be there
  NO  - if you cannot come (we will record your apologies)
"""


def new_id(domain: str = "mail.example.org") -> str:
    return f"<reply{next(_ids)}.{datetime.now(UTC).timestamp():.0f}@{domain}>"


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def reply(sender: str, key: str | None, body: str, *, name: str = "", message_id: str | None = None,
          subject: str = "Re: Invitation", to: str | None = None, in_reply_to: str | None = None,
          headers: dict[str, str] | None = None, quote: str = INVITATION_TEXT) -> bytes:
    """A plain-text reply as Gmail writes it (top-posted, the invitation quoted below)."""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to or (f"Partnership clerk <clerk+{key}@{DOMAIN}>" if key else f"clerk@{DOMAIN}")
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or new_id()
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for header, value in (headers or {}).items():
        msg[header] = value
    text = body
    if quote:
        text += (f"\n\nOn Mon, 23 Nov 2026 at 09:12, Partnership clerk <clerk@{DOMAIN}> wrote:\n\n"
                 f"{_quoted(quote)}\n")
    msg.set_content(text)
    return msg.as_bytes(policy=policy.SMTP)


def gmail_reply_to(invitation: EmailMessage, sender: str, name: str, body: str,
                   message_id: str | None = None) -> bytes:
    """What Gmail sends when a member presses Reply on an invitation: To the Reply-To address,
    In-Reply-To and References the invitation's Message-ID, text and HTML, the original quoted."""
    original = invitation.get_body(("plain",))
    quoted = str(original.get_content()) if original is not None else ""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = str(invitation["Reply-To"])
    msg["Subject"] = f"Re: {invitation['Subject']}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id or new_id("mail.gmail.com")
    msg["In-Reply-To"] = str(invitation["Message-ID"])
    msg["References"] = str(invitation["Message-ID"])
    msg.set_content(f"{body}\n\nOn Mon, 23 Nov 2026 at 09:12, Partnership clerk <clerk@{DOMAIN}> "
                    f"wrote:\n\n{_quoted(quoted)}\n")
    html_quote = "".join(f"<p>{line}</p>" for line in quoted.splitlines() if line)
    msg.add_alternative(f'<div dir="ltr">{body}</div><br><div class="gmail_quote"><blockquote '
                        f'class="gmail_quote">{html_quote}</blockquote></div>', subtype="html")
    return msg.as_bytes(policy=policy.SMTP)


def outlook_reply_to(invitation: EmailMessage, sender: str, name: str, body: str,
                     message_id: str | None = None) -> bytes:
    """What Outlook desktop sends: ``RE:``, Thread-Index, ``X-Auto-Response-Suppress: All`` (a
    normal reply all the same), the original below a ``From:/Sent:`` block."""
    original = invitation.get_body(("plain",))
    quoted = str(original.get_content()) if original is not None else ""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = f"Partnership clerk <{invitation['Reply-To']}>"
    msg["Subject"] = f"RE: {invitation['Subject']}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id or new_id("DB9PR02MB7001.eurprd02.prod.outlook.com")
    msg["In-Reply-To"] = str(invitation["Message-ID"])
    msg["References"] = str(invitation["Message-ID"])
    msg["Thread-Index"] = "AQHbY2Zk3J1fQmVbTkqGm0Pp0aZ8qbN1aBcD"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(f"{body}\n\nKind regards\n{name}\n\n________________________________\n"
                    f"From: Partnership clerk <{invitation['Reply-To']}>\nSent: 23 November 2026 "
                    f"09:12\nTo: {name} <{sender}>\nSubject: {invitation['Subject']}\n\n{quoted}\n",
                    charset="windows-1252" if body.isascii() else "utf-8")
    return msg.as_bytes(policy=policy.SMTP)


def out_of_office(sender: str, key: str, *, message_id: str | None = None) -> bytes:
    """An Exchange out-of-office note sent to the reply address."""
    return reply(sender, key, "I am out of the office until Monday with no access to email. "
                 "Yes, I will deal with your message when I am back.", quote="",
                 subject="Automatic reply: Invitation", message_id=message_id,
                 headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"})


def bounce(failed: str, *, permanent: bool = True, message_id: str | None = None,
           status: str | None = None, original_id: str | None = None) -> bytes:
    """An RFC 3464 delivery status notification from a mailer daemon, about mail to ``failed``;
    ``original_id`` is the Message-ID of the returned message (in its returned headers)."""
    code = status or ("5.1.1" if permanent else "4.4.1")
    action = "failed" if permanent else "delayed"
    mid = message_id or new_id("mx1.example.org")
    boundary = "dsnboundary42"
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx1.example.org>\r\n"
        f"To: clerk@{DOMAIN}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(datetime(2026, 11, 23, 9, 31, tzinfo=UTC))}\r\n"
        f"Message-ID: {mid}\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f"\tboundary=\"{boundary}\"\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx1.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nOriginal-Recipient: rfc822;{failed}\r\n"
        f"Action: {action}\r\nStatus: {code}\r\n"
        f"Diagnostic-Code: smtp; 550 {code} <{failed}>: Recipient address rejected\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Partnership clerk <clerk@{DOMAIN}>\r\nTo: {failed}\r\nSubject: Invitation\r\n"
        + (f"Message-ID: <{original_id.strip('<>')}>\r\n" if original_id else "") + "\r\n"
        f"--{boundary}--\r\n").encode("ascii")


def calendar_reply(uid: str, sender: str, name: str, partstat: str, *, to: str,
                   body: str = "", delegated_to: tuple[str, str] | None = None,
                   message_id: str | None = None, attendee_email: str | None = None) -> bytes:
    """What Outlook sends when a member presses Accept, Tentative or Decline on an invitation in
    their calendar: to the organizer (clerk's From address, not the reply address), no
    In-Reply-To, "Accepted: ..." as the subject, often no text, and an iTIP REPLY carrying the
    event's UID and the attendee's PARTSTAT."""
    word = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative",
            "DELEGATED": "Delegated"}.get(partstat, partstat.title())
    attendee = f"ATTENDEE;PARTSTAT={partstat};CN={name}"
    extra = ""
    if delegated_to:
        attendee += f';DELEGATED-TO="mailto:{delegated_to[0]}"'
        extra = (f"ATTENDEE;PARTSTAT=NEEDS-ACTION;CN={delegated_to[1]};"
                 f'DELEGATED-FROM="mailto:{sender}":mailto:{delegated_to[0]}\r\n')
    ics = ("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:Microsoft Exchange Server 2010\r\n"
           "VERSION:2.0\r\nBEGIN:VEVENT\r\n"
           f"{attendee}:mailto:{attendee_email or sender}\r\n{extra}"
           "SUMMARY;LANGUAGE=en-GB:Accepted: Worcestershire Carers Partnership\r\n"
           f"UID:{uid}\r\nSEQUENCE:0\r\nDTSTAMP:20261123T093000Z\r\n"
           "DTSTART:20270114T100000Z\r\nDTEND:20270114T120000Z\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n")
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = to
    msg["Subject"] = f"{word}: Worcestershire Carers Partnership"
    msg["Date"] = format_datetime(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or new_id("DB9PR02MB7001.eurprd02.prod.outlook.com")
    msg["Thread-Topic"] = "Worcestershire Carers Partnership"
    msg["Content-Class"] = "urn:content-classes:calendarmessage"
    msg.set_content(body)
    msg.add_alternative(ics, subtype="calendar", params={"method": "REPLY"})
    return msg.as_bytes(policy=policy.SMTP)
