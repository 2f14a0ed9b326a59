"""The console's dashboard as data (reads only): the bodies a person serves, their coming
meetings with the replies so far and the quorum forecast, the next deadlines, and what needs
attention (a meeting short of quorum, papers late, minutes overdue, addresses bouncing, mail in
quarantine, a vote closing, a report whose paper is late). Which of these need attention is
decided by rules (:mod:`clerk.rules.deadlines`, :mod:`clerk.rules.referrals`); each item carries
its code, the page chooses the words.

It reads one query per kind of thing for all the bodies at once (meetings, seats, replies,
minutes, votes, the inbox), never one per meeting: :mod:`bench.console` measures it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlite_utils import Database

from clerk.actions.model import overdue_actions
from clerk.agenda.referred import receiving_bodies, reports_due
from clerk.app import Clerk
from clerk.attendance.quorum import Forecast, ReplyLine, forecast_of
from clerk.meetings.schedule import Meeting
from clerk.people.directory import seat_from_row
from clerk.rules.access import Served, may_see_inbound
from clerk.rules.deadlines import (
    Deadline,
    JobKind,
    meeting_deadlines,
    minutes_overdue,
    papers_late,
    report_late_at,
    short_of_quorum,
    still_stands,
    vote_closing,
)
from clerk.rules.people import Seat
from clerk.rules.referrals import report_late
from clerk.store.rows import fetch_all, fetch_one
from clerk.times import from_iso, in_words, to_iso

#: Every meeting in this many days is listed (and each body's next meeting, however far): four
#: weeks, as far ahead as any body sends its invitations in the example configuration.
HORIZON_DAYS = 28
#: How many of the next deadlines are listed.
NEXT_DEADLINES = 10
REPLY_KINDS = ("attend", "apologies", "substitute", "no_reply")

#: The order attention items are listed in: the most pressing kinds first.
ATTENTION_ORDER = ("cannot_be_quorate", "papers_late", "short_of_quorum", "papers_due_today",
                   "report_late", "vote_closing", "minutes_overdue", "actions_overdue",
                   "addresses_bouncing", "mail_quarantined")


@dataclass(frozen=True)
class ReplyCounts:
    """How the members of a meeting have answered so far."""

    attend: int = 0
    apologies: int = 0
    substitute: int = 0
    no_reply: int = 0


@dataclass(frozen=True)
class MeetingLine:
    """A coming meeting: when, whether invitations have gone out, the replies so far and the
    quorum forecast (``quorum``: ``quorate`` on the replies so far, ``possible`` if enough of
    those who have not replied come, ``cannot`` even if they all do)."""

    meeting: Meeting
    body_name: str
    when: str
    invited: bool
    papers_sent: bool
    counts: ReplyCounts
    forecast: Forecast
    quorum: str

    @property
    def ref(self) -> str:
        return self.meeting.ref


@dataclass(frozen=True)
class DeadlineLine:
    """One deadline still to come for a meeting of a body the person serves."""

    ref: str
    body: str
    body_name: str
    at: datetime
    when: str
    what: str
    why: str
    code: JobKind


@dataclass(frozen=True)
class Attention:
    """Something that needs the person's attention. ``code`` is one of
    :data:`clerk.rules.deadlines.AttentionCode`, ``actions_overdue`` (a body's open actions
    past their date), ``addresses_bouncing``, ``mail_quarantined`` or ``report_late`` (a
    report due at a coming meeting whose paper has not arrived by the papers deadline,
    :func:`clerk.rules.referrals.report_late`: ``about`` is the report, ``source`` who makes
    it); ``ref`` is the meeting's reference, or the vote's for ``vote_closing`` (``""`` for the
    others); ``when`` the meeting's time in words, or the vote's deadline; ``count`` the
    addresses, messages or actions, where there are several."""

    code: str
    body: str = ""
    body_name: str = ""
    ref: str = ""
    meeting_ref: str = ""
    at: datetime | None = None
    when: str = ""
    count: int = 0
    reason: str = ""
    about: str = ""
    source: str = ""


@dataclass(frozen=True)
class BodyLine:
    """A body the person serves: its members, those whose address bounces, its next meeting."""

    slug: str
    name: str
    members: int
    bouncing: int
    next_ref: str = ""
    next_when: str = ""


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows for one person, as it stands at ``now``."""

    now: datetime
    bodies: tuple[BodyLine, ...]
    meetings: tuple[MeetingLine, ...]
    deadlines: tuple[DeadlineLine, ...]
    attention: tuple[Attention, ...]
    #: ``meetings`` holds those of this many days from today (and each body's next).
    horizon_days: int = HORIZON_DAYS


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


_COMING = """
SELECT m.*, EXISTS (SELECT 1 FROM invitations i WHERE i.meeting_id = m.id) AS invited
FROM meetings m
WHERE m.body IN ({bodies}) AND m.status != 'cancelled' AND m.starts_at >= ?
  AND (m.starts_at < ? OR m.starts_at = (
       SELECT MIN(n.starts_at) FROM meetings n
       WHERE n.body = m.body AND n.status != 'cancelled' AND n.starts_at >= ?))
ORDER BY m.starts_at, m.ref
"""

_SEATS = """
SELECT m.body, p.id AS person_id, p.email, p.name, m.role, m.office, m.organisation, m.sector,
       m.carer, m.voting, m.advisory, p.undeliverable
FROM memberships m JOIN people p ON p.id = m.person_id
WHERE m.body IN ({bodies}) AND m.active = 1
ORDER BY p.name
"""

_REPLIES = """
SELECT i.meeting_id, i.person_id, i.reply, s.email AS sub_email, s.name AS sub_name,
       si.reply AS sub_reply
FROM invitations i
LEFT JOIN people s ON s.id = i.substitute_id
LEFT JOIN invitations si ON si.meeting_id = i.meeting_id AND si.person_id = i.substitute_id
WHERE i.meeting_id IN ({meetings}) AND i.stands_for IS NULL AND i.reply != 'no_reply'
"""

_MINUTES_OUTSTANDING = """
SELECT * FROM meetings
WHERE body IN ({bodies}) AND status != 'cancelled' AND starts_at < ?
  AND minutes_circulated_at IS NULL
ORDER BY starts_at
"""

_OPEN_VOTES = """
SELECT b.ref, b.closes_at, m.ref AS meeting_ref, m.body
FROM ballots b JOIN meetings m ON m.id = b.meeting_id
WHERE b.status = 'open' AND m.body IN ({bodies})
ORDER BY b.closes_at
"""


def dashboard(app: Clerk, served: Served) -> Dashboard:
    """The dashboard of the person ``served`` describes (the bodies they serve, all of them for
    an administrator), as it stands now."""
    db = app.store.db
    now = app.clock.now()
    slugs = sorted((s for s in served.bodies if s in app.config.bodies),
                   key=lambda s: app.config.bodies[s].name.casefold())
    if not slugs:
        return Dashboard(now, (), (), (), ())
    seats, bouncing = _seats(db, slugs)
    meetings = _coming(app, db, slugs, seats, now)
    outstanding = _minutes_outstanding(app, db, slugs, now)
    attention: list[Attention] = []
    deadlines: list[DeadlineLine] = []
    for line in meetings:
        attention.extend(_coming_attention(app, line, now, deadlines))
    for meeting in outstanding:
        attention.extend(_minutes_attention(app, meeting, now, deadlines))
    attention.extend(_votes_attention(app, db, slugs, now))
    attention.extend(_reports_attention(app, db, meetings, now))
    overdue = overdue_actions(db, slugs, now.astimezone(app.tz).date())
    for slug in slugs:
        if overdue.get(slug):
            attention.append(Attention("actions_overdue", slug, app.config.bodies[slug].label,
                                       count=overdue[slug], reason=f"{overdue[slug]} overdue"))
        if bouncing[slug]:
            attention.append(Attention("addresses_bouncing", slug, app.config.bodies[slug].label,
                                       count=bouncing[slug],
                                       reason=f"{bouncing[slug]} undeliverable"))
    if may_see_inbound(served, frozenset()):  # as a message tied to no body: not a Chair's
        held = _quarantined(db)
        if held:
            attention.append(Attention("mail_quarantined", count=held,
                                       reason=f"{held} in quarantine"))
    rank = {code: n for n, code in enumerate(ATTENTION_ORDER)}
    attention.sort(key=lambda a: (rank.get(a.code, len(rank)), a.at or now, a.ref, a.body))
    deadlines = sorted({(d.ref, d.code, d.at): d for d in deadlines}.values(),
                       key=lambda d: (d.at, d.ref))
    nexts: dict[str, MeetingLine] = {}
    for line in meetings:
        nexts.setdefault(line.meeting.body, line)
    bodies = tuple(BodyLine(slug, app.config.bodies[slug].name, len(seats[slug]), bouncing[slug],
                            nexts[slug].ref if slug in nexts else "",
                            nexts[slug].when if slug in nexts else "") for slug in slugs)
    listed = tuple(replace(d, when=in_words(d.at, app.tz)) for d in deadlines[:NEXT_DEADLINES])
    return Dashboard(now, bodies, tuple(meetings), listed, tuple(attention))


def _seats(db: Database, slugs: list[str]) -> tuple[dict[str, dict[int, Seat]],
                                                     dict[str, int]]:
    """Each body's active members by person id (in name order), and how many of them have an
    address that bounces."""
    seats: dict[str, dict[int, Seat]] = {slug: {} for slug in slugs}
    bouncing: dict[str, int] = dict.fromkeys(slugs, 0)
    for row in fetch_all(db, _SEATS.format(bodies=_marks(slugs)), slugs):
        seats[row["body"]][row["person_id"]] = seat_from_row(row)
        if row["undeliverable"]:
            bouncing[row["body"]] += 1
    return seats, bouncing


def _coming(app: Clerk, db: Database, slugs: list[str], seats: dict[str, dict[int, Seat]],
            now: datetime) -> list[MeetingLine]:
    """The meetings from the start of today to :data:`HORIZON_DAYS` ahead, and each body's
    next one, with their replies and forecasts."""
    today = datetime.combine(now.astimezone(app.tz).date(), time(0), tzinfo=app.tz)
    horizon = today + timedelta(days=HORIZON_DAYS)
    rows = fetch_all(db, _COMING.format(bodies=_marks(slugs)),
                     [*slugs, to_iso(today), to_iso(horizon), to_iso(today)])
    if not rows:
        return []
    ids = [row["id"] for row in rows if row["invited"]]
    answers: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    if ids:
        for reply in fetch_all(db, _REPLIES.format(meetings=_marks(ids)), ids):
            answers[reply["meeting_id"]][reply["person_id"]] = reply
    # nobody's answer, and the forecast when nobody has answered, are the same for every
    # meeting of a body: made once
    unanswered: dict[str, dict[int, ReplyLine]] = {}
    silent: dict[str, Forecast] = {}
    out = []
    for row in rows:
        meeting = Meeting.from_row(row)
        body = app.config.bodies[meeting.body]
        members = seats[meeting.body]
        no_reply = unanswered.get(meeting.body)
        if no_reply is None:
            no_reply = unanswered[meeting.body] = {
                pid: ReplyLine(seat.email, seat.name, "no_reply") for pid, seat in members.items()}
        got = answers.get(meeting.id)
        tally = dict.fromkeys(REPLY_KINDS, 0)
        if got:
            pairs = []
            for pid, seat in members.items():
                answer = got.get(pid)
                line = (ReplyLine(seat.email, seat.name, answer["reply"],
                                  answer["sub_email"] or "", answer["sub_name"] or "",
                                  answer["sub_reply"] or "") if answer else no_reply[pid])
                if line.reply in tally:
                    tally[line.reply] += 1
                pairs.append((seat, line))
            fc = forecast_of(body.quorum, pairs)
        else:
            tally["no_reply"] = len(members)
            fc = silent.get(meeting.body) or silent.setdefault(meeting.body, forecast_of(
                body.quorum, [(seat, no_reply[pid]) for pid, seat in members.items()]))
        quorum = "quorate" if fc.confirmed.ok else "possible" if fc.possible.ok else "cannot"
        out.append(MeetingLine(meeting, body.label, in_words(meeting.starts_at, app.tz),
                               bool(row["invited"]), bool(row["papers_sent_at"]),
                               ReplyCounts(**tally), fc, quorum))
    return out


def _deadline_line(app: Clerk, meeting: Meeting, d: Deadline) -> DeadlineLine:
    """The line for a deadline, its time in words left out until it is sure to be listed."""
    return DeadlineLine(meeting.ref, meeting.body, app.config.bodies[meeting.body].label, d.at,
                        "", d.what, d.why, d.code)


def _coming_attention(app: Clerk, line: MeetingLine, now: datetime,
                      deadlines: list[DeadlineLine]) -> list[Attention]:
    """What a coming meeting needs (its quorum, its papers); its deadlines still to come are
    added to ``deadlines``."""
    meeting = line.meeting
    body = app.config.bodies[meeting.body]
    planned = meeting_deadlines(body, meeting.starts_at, app.tz)
    at = {d.code: d.at for d in planned}
    reached = frozenset(name for name, yes in (("invited", line.invited),
                                                ("papers_sent", line.papers_sent)) if yes)
    deadlines.extend(_deadline_line(app, meeting, d) for d in planned
                     if d.at >= now and still_stands(d.code, reached))
    found = []

    def item(code: str, reason: str) -> Attention:
        return Attention(code, meeting.body, line.body_name, meeting.ref, meeting.ref,
                         meeting.starts_at, line.when, reason=reason)

    quorum = short_of_quorum(line.forecast.confirmed.ok, line.forecast.possible.ok,
                             at[JobKind.QUORUM_FORECAST], meeting.starts_at, now)
    if quorum:  # why, in the quorum rule's words: of everyone who may come, or who is coming
        verdict = line.forecast.possible if quorum.code == "cannot_be_quorate" else \
            line.forecast.confirmed
        found.append(item(quorum.code, verdict.reason))
    papers = papers_late(line.papers_sent, at[JobKind.PAPERS_DUE], at[JobKind.PAPERS_OVERDUE],
                         meeting.starts_at, now)
    if papers:
        found.append(item(papers.code, papers.reason))
    return found


_REPORT_PAPERS = """
SELECT ai.meeting_id, ai.source FROM agenda_items ai
WHERE ai.kind = 'report' AND ai.meeting_id IN ({meetings})
  AND EXISTS (SELECT 1 FROM papers p WHERE p.item_id = ai.id)
"""


def _reports_attention(app: Clerk, db: Database, lines: list[MeetingLine],
                       now: datetime) -> list[Attention]:
    """Each report due at a coming meeting whose paper has not arrived by the papers deadline
    (reports are read only for the meetings past it, papers for them all in one query)."""
    receiving = receiving_bodies(app)
    late = []
    for line in lines:
        meeting = line.meeting
        if meeting.body not in receiving or meeting.starts_at <= now:
            continue
        late_at = report_late_at(app.config.bodies[meeting.body],
                                 meeting.starts_at.astimezone(app.tz).date(), app.tz)
        if now >= late_at:
            late.append((line, late_at))
    if not late:
        return []
    ids = [line.meeting.id for line, _ in late]
    arrived = {(row["meeting_id"], row["source"])
               for row in fetch_all(db, _REPORT_PAPERS.format(meetings=_marks(ids)), ids)}
    found = []
    for line, late_at in late:
        meeting = line.meeting
        for report in reports_due(app, meeting.body, meeting.starts_at):
            verdict = report_late((meeting.id, report.source) in arrived, late_at,
                                  meeting.starts_at, now)
            if verdict:
                found.append(Attention(verdict.code, meeting.body, line.body_name, meeting.ref,
                                       meeting.ref, meeting.starts_at, line.when,
                                       reason=verdict.reason, about=report.what,
                                       source=report.from_label))
    return found


def _minutes_outstanding(app: Clerk, db: Database, slugs: list[str],
                         now: datetime) -> list[Meeting]:
    """The meetings held whose minutes have not been circulated, of the bodies that set a
    deadline for them."""
    due = [slug for slug in slugs if app.config.bodies[slug].minutes.due]
    if not due:
        return []
    return [Meeting.from_row(row) for row in fetch_all(
        db, _MINUTES_OUTSTANDING.format(bodies=_marks(due)), [*due, to_iso(now)])]


def _minutes_attention(app: Clerk, meeting: Meeting, now: datetime,
                       deadlines: list[DeadlineLine]) -> list[Attention]:
    body = app.config.bodies[meeting.body]
    planned = meeting_deadlines(body, meeting.starts_at, app.tz)
    deadlines.extend(_deadline_line(app, meeting, d) for d in planned
                     if d.at >= now and d.code in (JobKind.MINUTES_DUE, JobKind.ABSENCES))
    due_at = next((d.at for d in planned if d.code is JobKind.MINUTES_DUE), None)
    verdict = minutes_overdue(False, due_at, now)
    if not verdict:
        return []
    return [Attention(verdict.code, meeting.body, body.label, meeting.ref, meeting.ref,
                      meeting.starts_at, in_words(meeting.starts_at, app.tz),
                      reason=verdict.reason)]


def _votes_attention(app: Clerk, db: Database, slugs: list[str],
                     now: datetime) -> list[Attention]:
    found = []
    for row in fetch_all(db, _OPEN_VOTES.format(bodies=_marks(slugs)), slugs):
        closes = from_iso(row["closes_at"])
        verdict = vote_closing(closes, now)
        if verdict:
            found.append(Attention(verdict.code, row["body"], app.config.bodies[row["body"]].label,
                                   row["ref"], row["meeting_ref"], closes,
                                   in_words(closes, app.tz), reason=verdict.reason))
    return found


def _quarantined(db: Database) -> int:
    row = fetch_one(db, "SELECT COUNT(*) AS n FROM inbound WHERE status = 'quarantined'")
    return int(row["n"]) if row else 0
