"""Requests for an extraordinary meeting: recorded (a member's email to clerk's address, or the
facilitator with ``clerk meetings request``), judged by the body's terms
(:func:`clerk.rules.extraordinary.judge_request`), the named supporter asked to confirm by reply
(a reply key of purpose ``support``), and once the terms are met the Chair and the facilitator
told the last day it may be held; the deadline jobs warn them while no date is set. Scheduling
the meeting (``clerk meetings add --extraordinary``) marks the request held."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.errors import NotFound, Refused
from clerk.messages import render_email
from clerk.outbox.mail import Outgoing, queue
from clerk.people.directory import Person, find_person, member_seat, person_by_id
from clerk.people.officers import office_holders, officer_addresses
from clerk.rules.extraordinary import hold_by, judge_request
from clerk.rules.roles import chair_of
from clerk.rules.terms import Body
from clerk.rules.verdict import Verdict
from clerk.store import audit
from clerk.store.rows import execute, fetch_all, fetch_one, insert
from clerk.times import day_in_words, from_iso, to_iso
from clerk.tokens.reply_keys import issue_key

RequestStatus = Literal["awaiting_support", "declined", "called", "held", "withdrawn"]
#: Requests still waiting on something: the supporter, or a date.
OPEN = ("awaiting_support", "called")


@dataclass(frozen=True)
class RequestMeeting:
    """A request for an extraordinary meeting of ``body`` by the member at ``by``, for ``reason``,
    supported by the member at ``supporter`` (an address) or called ``supporter_name``."""

    body: str
    by: str
    reason: str
    supporter: str = ""
    supporter_name: str = ""
    channel: str = "cli"
    actor: str = "facilitator"
    message_key: str = ""
    in_reply_to: str = ""


@dataclass(frozen=True)
class ExtraordinaryRequest:
    id: int
    ref: str
    body: str
    requested_by: Person
    reason: str
    supporter: Person | None
    supporter_name: str
    support: str
    status: str
    complete_at: datetime | None
    hold_by: date | None
    meeting_id: int | None
    created_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class Requested:
    """What recording a request did: the request (None when refused), the rule's verdict (its
    code says which), and the emails queued."""

    request: ExtraordinaryRequest | None
    verdict: Verdict
    queued: tuple[int, ...] = ()
    added: bool = True


def _request(db: Database, row: dict[str, Any]) -> ExtraordinaryRequest:
    supporter = person_by_id(db, row["supporter_id"]) if row["supporter_id"] else None
    return ExtraordinaryRequest(
        id=row["id"], ref=row["ref"], body=row["body"],
        requested_by=person_by_id(db, row["requested_by"]), reason=row["reason"],
        supporter=supporter, supporter_name=row["supporter_name"], support=row["support"],
        status=row["status"], complete_at=from_iso(row["complete_at"]) if row["complete_at"]
        else None, hold_by=date.fromisoformat(row["hold_by"]) if row["hold_by"] else None,
        meeting_id=row["meeting_id"], created_at=from_iso(row["created_at"]))


def get_request(app: Clerk, ref: str, db: Database | None = None) -> ExtraordinaryRequest:
    db = db or app.store.db
    row = fetch_one(db, "SELECT * FROM extraordinary_requests WHERE ref = ? OR CAST(id AS TEXT)"
                        " = ?", [ref, ref])
    if row is None:
        raise NotFound(f'there is no request "{ref}" (see clerk meetings requests)')
    return _request(db, row)


def list_requests(app: Clerk, body: str | None = None, *,
                  open_only: bool = False) -> list[ExtraordinaryRequest]:
    """Requests, newest first (``open_only``: those waiting for a supporter or a date)."""
    sql = "SELECT * FROM extraordinary_requests WHERE 1=1"
    params: list[Any] = []
    if body:
        app.body(body)
        sql += " AND body = ?"
        params.append(body)
    if open_only:
        sql += " AND status IN ('awaiting_support', 'called')"
    db = app.store.db
    return [_request(db, r) for r in fetch_all(db, sql + " ORDER BY id DESC", params)]


def _is_chair(db: Database, slug: str, body: Body, email: str) -> bool:
    chair = chair_of(body, office_holders(db, slug))
    return chair is not None and chair.email.lower() == email.lower()


_TITLES = re.compile(r"^(?:dr|mr|mrs|ms|miss|mx|prof|professor|cllr|councillor|sir|dame)\.?\s+",
                     re.IGNORECASE)


def find_member_by_name(db: Database, slug: str, name: str) -> Person | None:
    """The one active member of the body called ``name`` (a title such as "Dr" ignored; a
    surname alone matches when only one member has it)."""
    wanted = _TITLES.sub("", name.strip()).casefold()
    if not wanted:
        return None
    rows = fetch_all(db, "SELECT p.* FROM memberships m JOIN people p ON p.id = m.person_id "
                         "WHERE m.body = ? AND m.active = 1", [slug])
    whole = [r for r in rows if str(r["name"]).casefold() == wanted]
    if len(whole) == 1:
        return Person.from_row(whole[0])
    last = [r for r in rows if str(r["name"]).casefold().split()[-1:] == wanted.split()[-1:]
            and (len(wanted.split()) == 1 or str(r["name"]).casefold().startswith(
                wanted.split()[0]))]
    return Person.from_row(last[0]) if len(last) == 1 else None


def _send(app: Clerk, db: Database, template: str, to: list[tuple[str, str]], dedupe: str,
          *, reply_key: str | None = None, person_id: int | None = None, subject_ref: str = "",
          in_reply_to: str = "", **context: Any) -> list[int]:
    now = app.clock.now()
    mail = app.config.mail
    out = []
    for email, name in to:
        r = render_email(template, recipient_name=name, from_name=mail.from_name,
                         organisation=app.config.clerk.organisation, **context)
        queued = queue(db, mail, Outgoing(
            kind=template, to_addr=email, to_name=name, subject=r.subject, text=r.text,
            html=r.html, person_id=person_id, subject_ref=subject_ref, reply_key=reply_key,
            purpose="support" if reply_key else "note", in_reply_to=in_reply_to or None,
            dedupe_key=f"{dedupe}:{email}"), now)
        if queued:
            out.append(queued)
    return out


def _context(app: Clerk, req: ExtraordinaryRequest) -> dict[str, Any]:
    body = app.body(req.body)
    return {"request": req, "body": body, "body_name": body.name, "body_label": body.label,
            "facilitator": body.facilitator, "policy_words": body.extraordinary.words,
            "requested_on": day_in_words(req.created_at, app.tz),
            "hold_by": _day(app, req.hold_by) if req.hold_by else "",
            "within_days": body.extraordinary.within_days}


def _day(app: Clerk, day: date) -> str:
    return day_in_words(datetime(day.year, day.month, day.day, 12, tzinfo=app.tz), app.tz)


def request_meeting(app: Clerk, cmd: RequestMeeting) -> Requested:
    """Record a request (refused with the rule's reason when the terms do not allow it)."""
    with app.store.write() as db:
        done = request_in(app, db, cmd)
    if done.request is None:
        raise Refused(done.verdict.reason)
    return done


def request_in(app: Clerk, db: Database, cmd: RequestMeeting) -> Requested:
    """Record a request inside the caller's transaction: refused (``request`` None, the verdict
    saying why), waiting for the supporter (who is asked to confirm), or complete (the Chair and
    the facilitator are told the last day for it). The same message, or the same open request
    asked again, records nothing new."""
    body = app.body(cmd.body)
    now = app.clock.now()
    person = find_person(db, cmd.by)
    is_member = person is not None and member_seat(db, cmd.body, person.id) is not None
    is_chair = _is_chair(db, cmd.body, body, cmd.by)
    supporter = find_person(db, cmd.supporter) if cmd.supporter else None
    if supporter is None and cmd.supporter_name:
        supporter = find_member_by_name(db, cmd.body, cmd.supporter_name)
    named = bool(cmd.supporter or cmd.supporter_name)
    verdict = judge_request(
        body.extraordinary, body.name, is_member=is_member, is_chair=is_chair, supporter=named,
        supporter_is_member=supporter is not None and member_seat(db, cmd.body, supporter.id)
        is not None, supporter_is_requester=supporter is not None and person is not None
        and supporter.id == person.id)
    if person is None or (not verdict.ok and verdict.code != "awaiting_support"):
        return Requested(None, verdict)
    same = fetch_one(db, "SELECT * FROM extraordinary_requests WHERE (message_key != '' AND "
                         "message_key = ?) OR (body = ? AND requested_by = ? AND reason = ? AND "
                         "status IN ('awaiting_support', 'called'))",
                     [cmd.message_key, cmd.body, person.id, cmd.reason.strip()])
    if same is not None:
        return Requested(_request(db, same), verdict, added=False)
    n = (fetch_one(db, "SELECT COUNT(*) AS n FROM extraordinary_requests WHERE body = ?",
                   [cmd.body]) or {"n": 0})["n"] + 1
    ref = f"{cmd.body}-request-{n}"
    insert(db, "extraordinary_requests", {
        "ref": ref, "body": cmd.body, "requested_by": person.id, "reason": cmd.reason.strip(),
        "supporter_id": supporter.id if supporter and verdict.code == "awaiting_support" else None,
        "supporter_name": (supporter.name if supporter else cmd.supporter_name)
        if verdict.code == "awaiting_support" else "",
        "support": "awaiting" if verdict.code == "awaiting_support" else "not_needed",
        "status": "awaiting_support", "channel": cmd.channel, "recorded_by": cmd.actor,
        "message_key": cmd.message_key, "created_at": to_iso(now), "updated_at": to_iso(now)})
    audit.record(db, at=now, actor=cmd.actor, action="extraordinary.request", subject=ref,
                 channel=cmd.channel, detail={"body": cmd.body, "by": person.email,
                                              "reason": cmd.reason.strip(),
                                              "supporter": supporter.email if supporter else "",
                                              "verdict": verdict.code})
    req = get_request(app, ref, db)
    queued: list[int] = []
    if verdict.code == "awaiting_support":
        assert supporter is not None
        key = issue_key(db, person_id=supporter.id, purpose="support", subject_ref=ref, now=now,
                        days=max(body.extraordinary.within_days or 14, 14))
        queued += _send(app, db, "extraordinary_support_ask", [(supporter.email, supporter.name)],
                        f"extraordinary-ask:{ref}", reply_key=key, person_id=supporter.id,
                        subject_ref=ref, **_context(app, req))
    else:
        req, sent = _call(app, db, req, now)
        queued += sent
    if cmd.channel == "email":
        queued += _send(app, db, "extraordinary_received", [(person.email, person.name)],
                        f"extraordinary-received:{ref}", person_id=person.id, subject_ref=ref,
                        in_reply_to=cmd.in_reply_to, **_context(app, req))
    return Requested(req, verdict, tuple(queued))


def _call(app: Clerk, db: Database, req: ExtraordinaryRequest,
          now: datetime) -> tuple[ExtraordinaryRequest, list[int]]:
    """The terms are met: the request is complete today; tell the Chair and the facilitator."""
    body = app.body(req.body)
    last = hold_by(body.extraordinary, now.astimezone(app.tz).date())
    execute(db, "UPDATE extraordinary_requests SET status = 'called', complete_at = ?, "
                "hold_by = ?, updated_at = ? WHERE id = ?",
            [to_iso(now), last.isoformat() if last else "", to_iso(now), req.id])
    audit.record(db, at=now, actor="clerk", action="extraordinary.called", subject=req.ref,
                 channel="clerk", detail={"hold_by": last.isoformat() if last else ""})
    req = get_request(app, req.ref, db)
    sent = _send(app, db, "extraordinary_called", officer_addresses(db, req.body, body),
                 f"extraordinary-called:{req.ref}", subject_ref=req.ref, **_context(app, req))
    return req, sent


SupportAnswer = Literal["yes", "no"]


def record_support(app: Clerk, db: Database, ref: str, supporter: Person, answer: SupportAnswer,
                   *, channel: str, evidence: dict[str, Any] | None = None,
                   in_reply_to: str = "") -> tuple[ExtraordinaryRequest, list[int]]:
    """The supporter's answer, inside the caller's transaction: ``yes`` completes the request
    (the Chair and the facilitator are told), ``no`` ends it (the member who asked and the
    facilitator are told). Refused when the request no longer waits for them."""
    req = get_request(app, ref, db)
    if req.supporter is None or req.supporter.id != supporter.id:
        raise Refused(f"{supporter.email} is not the supporter named in {req.ref}")
    if req.status != "awaiting_support":
        said = {"called": "your support is already recorded and the meeting has been called",
                "held": "the meeting has already been arranged",
                "declined": "you have already said you do not support it",
                "withdrawn": "the request has been withdrawn"}
        raise Refused(f"there is nothing more to confirm: {said.get(req.status, req.status)}")
    now = app.clock.now()
    execute(db, "UPDATE extraordinary_requests SET support = ?, updated_at = ? WHERE id = ?",
            ["confirmed" if answer == "yes" else "declined", to_iso(now), req.id])
    audit.record(db, at=now, actor=supporter.email, action="extraordinary.support",
                 subject=req.ref, channel=channel, evidence=evidence or {},
                 detail={"answer": answer})
    body = app.body(req.body)
    sent: list[int] = []
    if answer == "yes":
        req, sent = _call(app, db, get_request(app, ref, db), now)
    else:
        execute(db, "UPDATE extraordinary_requests SET status = 'declined' WHERE id = ?", [req.id])
        req = get_request(app, ref, db)
        to = [(req.requested_by.email, req.requested_by.name)] + (
            [(body.facilitator, "Facilitator")] if body.facilitator else [])
        sent = _send(app, db, "extraordinary_declined", to, f"extraordinary-declined:{req.ref}",
                     subject_ref=req.ref, **_context(app, req))
    sent += _send(app, db, "extraordinary_support_recorded", [(supporter.email, supporter.name)],
                  f"extraordinary-support:{req.ref}", person_id=supporter.id,
                  subject_ref=req.ref, in_reply_to=in_reply_to, answer=answer,
                  **_context(app, req))
    return req, sent


def chase_request(app: Clerk, db: Database, ref: str, job_key: str, *, lapsed: bool) -> str:
    """A deadline job: tell the facilitator and the Chair that no date is set for a called
    request (``lapsed``: today is the last day it may be held); nothing once a meeting is set."""
    req = get_request(app, ref, db)
    if req.status != "called":
        return f"nothing to do: the request is {req.status.replace('_', ' ')}"
    body = app.body(req.body)
    sent = _send(app, db, "extraordinary_no_date", officer_addresses(db, req.body, body),
                 job_key, subject_ref=req.ref, lapsed=lapsed, **_context(app, req))
    return (f"told {len(sent)} that no date is set for {req.ref} (last day "
            f"{req.hold_by.isoformat() if req.hold_by else 'none'})")
