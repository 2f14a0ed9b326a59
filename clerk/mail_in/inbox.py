"""What an incoming message means and what to do about it: :func:`handle_inbound`, one
transaction per message, the same for every source (IMAP, the local Maildir, files replayed with
``clerk mail ingest``).

In order, for each message:

1. **Seen before?** A message is known by its Message-ID (else the SHA-256 of its bytes); the
   same message again is a ``duplicate`` and nothing is done twice. (A message that was
   quarantined may be replayed: it is then read afresh.)
2. **Written by a person?** Auto-replies, out-of-office notes and mailing-list traffic are
   ``ignored``: they change nothing and are never answered. Clerk's own mail come back is
   dropped. A bounce reporting a *permanent* failure of a message clerk sent
   (:mod:`clerk.mail_in.bounces`) marks that person's address undeliverable (with the reason,
   audited); a delay, or a report about nothing clerk sent, changes nothing. A message that
   later comes from the address (past the sender check) clears the mark, as
   ``clerk members resume-mail`` does.
3. **Is the sender believable?** Only our own mail server's ``Authentication-Results`` are read
   (:mod:`clerk.rules.messages.sender_auth`); a failed or forged one refuses the message, unanswered.
4. **Whose reply is it?** A message with no reply key from a person clerk knows may be a
   request for an extraordinary meeting (:mod:`clerk.mail_in.extraordinary`); otherwise the
   reply key must be one clerk issued, not withdrawn nor expired, and
   the sender's address must be the key owner's, or that of a substitute standing in for the
   owner at that meeting. Display names are never looked at.
5. **What does it say?** The key's purpose picks the handler (:data:`PURPOSE_HANDLERS`): ``rsvp``
   records an answer to an invitation and thanks the sender, or asks again when unclear. A
   purpose with no handler yet is quarantined, to be replayed once it has one.

**Where refusals go.** A refused message is always recorded (``inbound`` row and an
``inbound.refused`` audit event). The sender is told why only where that is safe: never
automatic mail, never a sender whose authentication failed (the From is forged: the answer
would go to the victim), and only when the message answers a key clerk issued (valid, expired or
withdrawn) or comes from a person clerk knows, so that mail from strangers (spam) gets no answer
and clerk sends no backscatter. A valid key used from another address is answered *to the
sender*: they hold the email the key came in, so the answer tells them nothing new; it names no
one and carries no key. And at most one refusal goes to an address in 24 hours.

**What the writer is told** is chosen by the refusal's code
(:data:`clerk.mail_in.message.Refusal`, and for a reply key :func:`check_key`'s code) in one
table, :data:`TOLD`; the sentences the records keep (``reason``) never choose it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.config import MailSettings
from clerk.errors import ClerkError
from clerk.mail_in.action import handle_action_reply
from clerk.mail_in.agenda import handle_agenda_reply, handle_papers_reply
from clerk.mail_in.bounces import bounced_messages
from clerk.mail_in.election import handle_candidacy, handle_election_ballot, handle_nomination
from clerk.mail_in.extraordinary import handle_request, handle_support
from clerk.mail_in.message import (
    Decision,
    InboundLine,
    InboundMail,
    InboundOutcome,
    Refusal,
    Status,
    VerifiedReply,
)
from clerk.mail_in.responses import queue_answer, refused_recently
from clerk.mail_in.rsvp import handle_rsvp
from clerk.mail_in.vote import handle_vote
from clerk.messages import environment
from clerk.people.directory import find_person, is_email
from clerk.people.undeliverable import mark_deliverable, mark_undeliverable
from clerk.reading.calendar_reply import CalendarReply
from clerk.rules.messages.sender_auth import judge_sender
from clerk.store import audit
from clerk.store.rows import fetch_all, fetch_one, insert, update
from clerk.times import day_in_words, to_iso
from clerk.tokens.reply_keys import KeyProblem, ReplyKey, check_key, key_subject, mark_used

PurposeHandler = Callable[[Clerk, Database, VerifiedReply], Decision]

PURPOSE_HANDLERS: dict[str, PurposeHandler] = {"rsvp": handle_rsvp, "agenda": handle_agenda_reply,
                                                 "papers": handle_papers_reply,
                                                 "vote": handle_vote, "action": handle_action_reply,
                                                 "support": handle_support,
                                                 "nomination": handle_nomination,
                                                 "candidacy": handle_candidacy,
                                                 "election": handle_election_ballot}
"""Who reads a verified reply, by the purpose of its key. A handler runs inside the message's
transaction, returns a :class:`Decision`, and raises :class:`clerk.errors.ClerkError` to refuse
(the sender is then told the error's sentence). Features add their own (``vote``, ``agenda``)."""

_PURPOSE_WORDS = {"rsvp": "an invitation", "vote": "a ballot", "agenda": "a draft agenda",
                  "papers": "the papers", "booking": "a booking", "action": "an action point",
                  "support": "a request for an extraordinary meeting",
                  "nomination": "a call for nominations", "candidacy": "a nomination",
                  "election": "an election ballot"}

@dataclass(frozen=True)
class Told:
    """What the writer of a refused message is told, as two templates under
    ``templates/email/refused/``: ``reason`` completes "we could not record it: ...", ``advice``
    says what to do instead."""

    reason: str
    advice: str


TOLD: dict[Refusal, Told | None] = {
    "no_sender": None,  # never answered: there is no address to answer
    "not_authentic": None,  # never answered: the From is forged, an answer would go to the victim
    "not_ours": Told("not_ours", "advice_reply_to_invitation"),
    "key_unknown": Told("not_ours", "advice_reply_to_invitation"),
    "key_withdrawn": Told("key_withdrawn", "advice_reply_to_latest"),
    "key_expired": Told("key_expired", "advice_reply_to_latest"),
    "other_address": Told("other_address", "advice_answer_from_own_address"),
    "not_accepted": None,  # told the handler's own sentence (its ClerkError), no advice
}
"""What the writer is told, by refusal: the one place these words are chosen (like Discourse's
email receiver, one template per refusal), never by the sentence the records keep."""


def refused_text(name: str) -> str:
    """The words of ``templates/email/refused/NAME.txt.j2`` (one line, no subject)."""
    return environment().get_template(f"email/refused/{name}.txt.j2").render().strip()


KEY_REFUSALS: dict[KeyProblem, Refusal] = {"unknown": "key_unknown",
                                           "withdrawn": "key_withdrawn",
                                           "expired": "key_expired"}
"""The refusal for each reason a reply key cannot be used (:func:`check_key`'s code)."""


def own_addresses(mail: MailSettings) -> set[str]:
    """clerk's own addresses: mail from them (or a plus-address of them) is a loop."""
    return {mail.from_address.lower(), f"{mail.reply_local_part}@{mail.reply_domain}".lower()}


def handle_inbound(app: Clerk, mail: InboundMail, *, source: str, uidvalidity: int | None = None,
                   uid: int | None = None, received_at: datetime | None = None) -> InboundOutcome:
    """Decide what one incoming message means, act on it and record it, in one transaction.

    ``received_at`` is when it arrived (the IMAP INTERNALDATE), else now; it orders replies (a
    later reply replaces an earlier one). Calling again with the same message does nothing.
    """
    now = app.clock.now()
    received = received_at.astimezone(UTC) if received_at else now
    key = mail.message_key
    with app.store.write() as db:
        earlier = fetch_one(db, "SELECT id, status, understood, reason FROM inbound "
                                "WHERE message_key = ?", [key])
        if earlier is not None and earlier["status"] != "quarantined":
            return InboundOutcome("duplicate", key, mail.message_id, mail.from_addr, mail.subject,
                                  understood=earlier["understood"], reason=earlier["reason"],
                                  inbound_id=earlier["id"], action=f"already read (it was "
                                  f"{earlier['status']}): nothing done again")
        decision = _decide(app, db, mail, received, now)
        inbound_id = _store(db, mail.raw, key=key, message_id=mail.message_id,
                            raw_sha256=mail.raw_sha256, from_addr=mail.from_addr,
                            subject=mail.subject, decision=decision, source=source,
                            uidvalidity=uidvalidity, uid=uid, received=received, now=now,
                            replace=earlier["id"] if earlier else None)
    return InboundOutcome(decision.status, key, mail.message_id, mail.from_addr, mail.subject,
                          decision.understood, decision.action, decision.reason, decision.meeting,
                          tuple(decision.queued), inbound_id, decision.refusal)


def quarantine_inbound(app: Clerk, raw: bytes, *, reason: str, source: str, message_id: str = "",
                       from_addr: str = "", subject: str = "", uidvalidity: int | None = None,
                       uid: int | None = None,
                       received_at: datetime | None = None) -> InboundOutcome:
    """Keep a message that could not be handled (raw bytes and the reason) for someone to look
    at; it can be replayed with ``clerk mail ingest`` once the cause is fixed."""
    now = app.clock.now()
    received = received_at.astimezone(UTC) if received_at else now
    digest = hashlib.sha256(raw).hexdigest()
    key = message_id or f"sha256:{digest}"
    decision = Decision("quarantined", "", f"quarantined: {reason}", reason=reason)
    with app.store.write() as db:
        earlier = fetch_one(db, "SELECT id, status FROM inbound WHERE message_key = ?", [key])
        if earlier is not None and earlier["status"] != "quarantined":
            return InboundOutcome("duplicate", key, message_id, from_addr, subject, "",
                                  f"already read (it was {earlier['status']}): nothing done "
                                  "again", inbound_id=earlier["id"])
        inbound_id = _store(db, raw, key=key, message_id=message_id, raw_sha256=digest,
                            from_addr=from_addr, subject=subject, decision=decision,
                            source=source, uidvalidity=uidvalidity, uid=uid, received=received,
                            now=now, replace=earlier["id"] if earlier else None)
        audit.record(db, at=now, actor="clerk", action="inbound.quarantined",
                     subject=from_addr or key, channel="email",
                     evidence={"message_id": message_id, "received_at": to_iso(received),
                               "from": from_addr, "source": source},
                     detail={"reason": reason})
    return InboundOutcome("quarantined", key, message_id, from_addr, subject, "",
                         decision.action, reason, inbound_id=inbound_id)


def known_uids(app: Clerk, source: str, uidvalidity: int, uids: Sequence[int]) -> dict[int, Status]:
    """Which of these IMAP UIDs were already read (and with what status)."""
    found: dict[int, Status] = {}
    wanted = list(uids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" for _ in chunk)
        for row in fetch_all(app.store.db, f"SELECT uid, status FROM inbound WHERE source = ? "
                             f"AND uidvalidity = ? AND uid IN ({marks})",
                             [source, uidvalidity, *chunk]):
            found[int(row["uid"])] = row["status"]
    return found


def list_inbound(app: Clerk, status: str | None = None, limit: int = 50) -> list[InboundLine]:
    """The messages read, newest first, without their raw bytes."""
    sql = f"SELECT {', '.join(f.name for f in fields(InboundLine))} FROM inbound"
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    return [InboundLine.from_row(row) for row in
            fetch_all(app.store.db, sql + " ORDER BY id DESC LIMIT ?", [*params, limit])]


# ----------------------------------------------------------------------------- the decision


def _decide(app: Clerk, db: Database, mail: InboundMail, received: datetime,
            now: datetime) -> Decision:
    if mail.automation is not None:
        return _automatic(app, db, mail, received, now)
    refuse = _Refusal(app, db, mail, received, now)
    if not is_email(mail.from_addr):
        return refuse("no_sender", "the message has no usable sender address",
                      "no sender address", answer=False, why_not="there is no address to answer")
    auth = judge_sender(mail.auth_results, app.config.mail.trusted_authserv_id)
    if auth.refused:
        return refuse("not_authentic", auth.reason, f"sender authentication: {auth.verdict}",
                      answer=False, why_not="the sender's address cannot be believed")
    known = find_person(db, mail.from_addr)
    if known is not None and known.undeliverable:  # they wrote from it: the mailbox works
        mark_deliverable(db, known.email, now=now, actor=mail.from_addr, channel="email",
                         why="a message came from this address",
                         evidence=_evidence(mail, received))
        known = replace(known, undeliverable=None)
    if not mail.reply_key and known is not None and mail.calendar_reply is not None:
        mail = replace(mail, reply_key=_calendar_key(db, mail.calendar_reply, known.id))
    if not mail.reply_key and known is not None:  # a request written to clerk's own address
        with app.store.write():  # a savepoint, as for a purpose handler
            asked = handle_request(app, db, mail, known, received)
        if asked is not None:
            return asked
    if not mail.reply_key:
        return refuse("not_ours", "no reply key: it does not answer one of clerk's emails",
                      "a message that answers none of clerk's emails", answer=known is not None,
                      why_not="the sender is not someone clerk knows",
                      person_id=known.id if known else None)
    check = check_key(db, mail.reply_key, now)
    if check.key is None:
        assert check.code != "valid"
        issued = key_subject(db, mail.reply_key)
        return refuse(KEY_REFUSALS[check.code], check.reason,
                      "a reply with a key that cannot be used",
                      answer=issued is not None or known is not None, about=issued or "",
                      why_not="the key is not one clerk issued and the sender is not someone "
                              "clerk knows",
                      person_id=known.id if known else None)
    key = check.key
    sender = known if known is not None and (
        mail.from_addr == key.email or _stands_in(db, key, known.id)) else None
    if sender is None:
        return refuse("other_address", f"the reply key belongs to another address, and "
                      f"{mail.from_addr} is not standing in for its owner",
                      f"a reply to {_about(key)} sent to someone else", answer=True,
                      about=key.subject_ref)
    handler = PURPOSE_HANDLERS.get(key.purpose)
    if handler is None:
        reason = f"clerk cannot read replies to '{key.purpose}' emails yet"
        return Decision("quarantined", f"a reply to {_about(key)}", f"quarantined: {reason}",
                        reason=reason, meeting=key.subject_ref)
    reply = VerifiedReply(mail, key, sender, received, _evidence(mail, received))
    try:
        with app.store.write():  # a savepoint: a refusal undoes the handler's partial work
            decision = handler(app, db, reply)
    except ClerkError as exc:
        return refuse("not_accepted", str(exc), f"a reply to {_about(key)} that cannot be "
                      "accepted", answer=True, said=str(exc), about=key.subject_ref,
                      person_id=sender.id)
    mark_used(db, key.key, now)
    return decision


def _calendar_key(db: Database, reply: CalendarReply, person_id: int) -> str | None:
    """The invitation key of a calendar's answer sent to clerk's own address (Outlook and Google
    answer the organizer, not the reply address): the meeting by the event's UID, the invitation
    by the sender, who must be a person clerk knows."""
    row = fetch_one(
        db, "SELECT k.key FROM meetings m JOIN reply_keys k ON k.purpose = 'rsvp' "
        "AND k.subject_ref = m.ref AND k.person_id = ? AND k.revoked = 0 WHERE m.uid = ? "
        "ORDER BY k.created_at DESC LIMIT 1", [person_id, reply.uid])
    return str(row["key"]) if row else None


def _about(key: ReplyKey) -> str:
    return _PURPOSE_WORDS.get(key.purpose, f"a '{key.purpose}' email")


def _stands_in(db: Database, key: ReplyKey, person_id: int) -> bool:
    """Whether this person is an accepted substitute for the key's owner at its meeting."""
    return fetch_one(
        db, "SELECT 1 FROM invitations i JOIN meetings m ON m.id = i.meeting_id WHERE m.ref = ? "
        "AND i.person_id = ? AND i.stands_for = ? AND i.reply != 'withdrawn'",
        [key.subject_ref, person_id, key.person_id]) is not None


def _evidence(mail: InboundMail, received: datetime) -> dict[str, Any]:
    return {"message_id": mail.message_id or mail.message_key, "reply_key": mail.reply_key or "",
            "received_at": to_iso(received), "from": mail.from_addr}


def _automatic(app: Clerk, db: Database, mail: InboundMail, received: datetime,
               now: datetime) -> Decision:
    auto = mail.automation
    assert auto is not None
    understood = f"{auto.kind}: {auto.reason}"
    if auto.kind == "own-mail":
        return Decision("ignored", understood, "dropped: it came from clerk's own address "
                        "(a mail loop)")
    if auto.kind != "bounce":
        return Decision("ignored", understood, f"ignored ({auto.kind}): automatic mail changes "
                        "nothing and is never answered")
    if not auto.permanent:
        return Decision("ignored", understood, "ignored (bounce): a delivery delay; the mail "
                        "server is still trying")
    bounced = bounced_messages(db, auto)
    if not bounced:  # a report about nothing clerk sent (forged, or a stranger's): no effect
        return Decision("ignored", understood, "ignored (bounce): it refers to no message clerk "
                        "sent (no Message-ID of clerk's outbox is quoted in it)")
    marked = []
    for sent in bounced:
        addr = sent.to_addr
        person = find_person(db, addr)
        if person is None or person.undeliverable:
            continue
        status = auto.statuses.get(addr, "")
        why = (f"mail bounced{f' ({status})' if status else ''}, reported by "
               f"{mail.from_addr or 'a mail server'} on {day_in_words(received, app.tz)}")
        mark_undeliverable(db, addr, why=why, now=now, actor=mail.from_addr or "mail server",
                           channel="email", evidence=_evidence(mail, received),
                           detail={"reason": why, "bounce": auto.reason,
                                   "bounced": sent.message_id})
        marked.append(addr)
    if not marked:
        return Decision("ignored", understood, "ignored (bounce): the address is not one clerk "
                        "knows, or is already marked undeliverable")
    return Decision("processed", understood, f"bounce: marked {', '.join(marked)} undeliverable "
                    "(nothing more is sent there until the address is corrected)")


class _Refusal:
    """Refusing one message: recorded and audited always, answered only where it is safe."""

    def __init__(self, app: Clerk, db: Database, mail: InboundMail, received: datetime,
                 now: datetime) -> None:
        self.app, self.db, self.mail, self.received, self.now = app, db, mail, received, now

    def __call__(self, refusal: Refusal, reason: str, understood: str, *, answer: bool,
                 why_not: str = "", said: str = "", about: str = "",
                 person_id: int | None = None) -> Decision:
        """Refuse for ``refusal``; ``reason`` is what the records say. The writer, if answered,
        is told ``TOLD[refusal]``, or ``said`` (a handler's own sentence) where there is none."""
        mail = self.mail
        audit.record(self.db, at=self.now, actor=mail.from_addr or "unknown sender",
                     action="inbound.refused", subject=about or mail.from_addr or mail.message_key,
                     channel="email", evidence=_evidence(mail, self.received),
                     detail={"reason": reason, "refusal": refusal})
        if not answer:
            return Decision("refused", understood, f"refused ({reason}); not answered: "
                            f"{why_not}", reason=reason, meeting=about, refusal=refusal)
        if refused_recently(self.db, mail.from_addr, self.now):
            return Decision("refused", understood, f"refused ({reason}); not answered: a "
                            "refusal already went to this address in the last 24 hours",
                            reason=reason, meeting=about, refusal=refusal)
        told = TOLD[refusal]
        if told is not None:
            why, advice = refused_text(told.reason), refused_text(told.advice)
        elif said:
            why, advice = said, ""
        else:
            raise ValueError(f"nothing to tell the writer for the refusal {refusal!r}")
        context = {"subject": mail.subject, "reason": why, "advice": advice,
                   **self._body_of(about)}
        queued = queue_answer(self.app, self.db, template="reply_refused", to_addr=mail.from_addr,
                              in_reply_to=mail.message_id, dedupe_key=f"refused:{mail.message_key}",
                              context=context, person_id=person_id, subject_ref=about)
        return Decision("refused", understood, f"refused ({reason}); the sender was told why",
                        reason=reason, meeting=about, queued=[queued] if queued else [],
                        refusal=refusal)

    def _body_of(self, meeting_ref: str) -> dict[str, str]:
        """The body a key's meeting belongs to, for the refusal's 'who to ask' line."""
        row = fetch_one(self.db, "SELECT body FROM meetings WHERE ref = ?",
                        [meeting_ref]) if meeting_ref else None
        if row is None or row["body"] not in self.app.config.bodies:
            return {"body_name": "", "facilitator": ""}
        body = self.app.body(row["body"])
        return {"body_name": body.name, "facilitator": body.facilitator}


def _store(db: Database, raw: bytes, *, key: str, message_id: str, raw_sha256: str,
           from_addr: str, subject: str, decision: Decision, source: str,
           uidvalidity: int | None, uid: int | None, received: datetime, now: datetime,
           replace: int | None) -> int:
    values = {"message_key": key, "message_id": message_id, "raw_sha256": raw_sha256,
              "source": source, "uidvalidity": uidvalidity, "uid": uid,
              "received_at": to_iso(received), "from_addr": from_addr, "subject": subject[:500],
              "status": decision.status, "understood": decision.understood[:2000],
              "action": decision.action[:2000], "reason": decision.reason[:2000],
              "raw": b"" if decision.secret else raw,
              "processed_at": to_iso(now)}
    if replace is not None:
        update(db, "inbound", replace, values)
        return replace
    return insert(db, "inbound", values)
