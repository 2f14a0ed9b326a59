"""Extraordinary meetings by email: a member's request written to clerk's own address (no reply
key: :func:`handle_request`, tried before such a message is refused), and the supporter's answer
to clerk's question (purpose ``support``: :func:`handle_support`).

A request names its body when the member sits on more than one that holds extraordinary
meetings; what is missing (a reason, a supporter, a supporter clerk can find among the members)
is told to the member by code (``templates/email/extraordinary_incomplete.txt.j2``).
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.attendance.extraordinary import (
    RequestMeeting,
    SupportAnswer,
    record_support,
    request_in,
)
from clerk.mail_in.message import Decision, InboundMail, VerifiedReply
from clerk.mail_in.responses import queue_answer
from clerk.mail_in.rsvp import quote
from clerk.people.directory import Person, memberships_of
from clerk.reading.extraordinary import read_request, read_support
from clerk.rules.terms import Body


def _body_named(app: Clerk, slugs: list[str], text: str) -> list[str]:
    low = text.casefold()
    named = []
    for slug in slugs:
        body: Body = app.body(slug)
        if any(w and w.casefold() in low for w in (body.name, body.short_name, slug)):
            named.append(slug)
    return named


def handle_request(app: Clerk, db: Database, mail: InboundMail, person: Person,
                   received: datetime) -> Decision | None:
    """A message with no reply key from a person clerk knows: a request for an extraordinary
    meeting is recorded (or the member is told what is missing); anything else is None (the
    caller refuses it as before)."""
    reading = read_request(mail.fresh_text)
    if not reading.is_request:
        return None
    holding = [m.body for m in memberships_of(db, person.id) if m.body in app.config.bodies
               and app.body(m.body).extraordinary.allowed]
    member_of = [m.body for m in memberships_of(db, person.id) if m.body in app.config.bodies]
    named = _body_named(app, holding, f"{mail.subject}\n{mail.fresh_text}")
    context: dict[str, object] = {"recipient_name": person.name, "supporter":
                                  reading.supporter_name or reading.supporter_email,
                                  "body_label": "", "body_name": "", "facilitator": "",
                                  "policy_words": "", "choices": [app.body(s).name for s in holding]}
    slug = named[0] if len(named) == 1 else (holding[0] if len(holding) == 1 else "")
    if slug:
        body = app.body(slug)
        context.update(body_label=body.label, body_name=body.name, facilitator=body.facilitator,
                       policy_words=body.extraordinary.words)
    code = ""
    if not slug:
        code = "body_unclear" if len(holding) > 1 else ("no_body" if member_of else "")
        if not code:
            return None  # not a member of any body: refused as before
    elif reading.code == "no_reason":
        code = "no_reason"
    if not code:
        done = request_in(app, db, RequestMeeting(
            body=slug, by=person.email, reason=reading.reason,
            supporter=reading.supporter_email, supporter_name=reading.supporter_name,
            channel="email", actor=person.email, message_key=mail.message_key,
            in_reply_to=mail.message_id))
        if done.request is not None:
            req = done.request
            what = ("waiting for " + (req.supporter.name if req.supporter else "the supporter")
                    + " to confirm") if req.status == "awaiting_support" else (
                "complete: the Chair and the facilitator are told")
            return Decision("processed", f"a request for an extraordinary meeting of {slug}: "
                            f"{req.reason}", f"recorded as {req.ref}, {what}",
                            queued=list(done.queued))
        code = done.verdict.code
    queued = queue_answer(app, db, template="extraordinary_incomplete", to_addr=person.email,
                          in_reply_to=mail.message_id,
                          dedupe_key=f"extraordinary-incomplete:{mail.message_key}",
                          context={**context, "code": code}, person_id=person.id,
                          purpose="note")
    return Decision("unclear", f"a request for an extraordinary meeting ({reading.evidence})",
                    f"not recorded ({code}); the member was told what is missing", reason=code,
                    queued=[queued] if queued else [])


def handle_support(app: Clerk, db: Database, reply: VerifiedReply) -> Decision:
    """The supporter's yes or no (an unclear answer is asked again)."""
    reading = read_support(reply.mail.fresh_text)
    ref = reply.key.subject_ref
    if reading.intent == "unclear":
        queued = queue_answer(app, db, template="extraordinary_support_unclear",
                              to_addr=reply.sender.email, in_reply_to=reply.mail.message_id,
                              dedupe_key=f"support-unclear:{reply.mail.message_key}",
                              context={"recipient_name": reply.sender.name, "ref": ref,
                                       "quote": quote(reply.mail.fresh_text)},
                              person_id=reply.sender.id, subject_ref=ref,
                              reply_key=reply.key.key, purpose="support")
        return Decision("unclear", f"an answer about {ref}: {reading.code}",
                        "not recorded (unclear); asked them again", reason=reading.code,
                        queued=[queued] if queued else [])
    answer: SupportAnswer = "yes" if reading.intent == "yes" else "no"
    req, sent = record_support(app, db, ref, reply.sender, answer, channel="email",
                               evidence=reply.evidence, in_reply_to=reply.mail.message_id)
    return Decision("processed", f"{'support' if answer == 'yes' else 'no support'} for {ref}",
                    f"recorded; the request is now {req.status.replace('_', ' ')}", queued=sent)
