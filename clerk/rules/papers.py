"""Papers and minutes as rules (pure): when the papers are due and whether a circulation is late,
who may agree the agenda, which papers travel as attachments, and whether minutes are on time.
Each answer carries the reason in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from clerk.rules.deadlines import minutes_due, papers_due
from clerk.rules.terms import Body
from clerk.rules.verdict import Verdict, plural
from clerk.rules.workdays import describe

LargePapers = Literal["link", "separate"]


def day_words(day: date) -> str:
    """``Tuesday 5 January 2027``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Timing:
    """When something is due, whether sending it ``today`` is late, and whether to send now.

    ``send_now`` is false only before the due day: papers agreed early wait for it.
    """

    due_on: date | None
    late: bool
    send_now: bool
    reason: str


def papers_timing(body: Body, meeting_day: date, today: date) -> Timing:
    """Papers go out on the last day that gives the body's notice, or at once when later."""
    due = papers_due(body, meeting_day)
    notice = describe(body.papers.notice, body.papers.unit)
    if today < due:
        return Timing(due, False, False, f"sent on {day_words(today)}, ahead of "
                                         f"{day_words(due)}, the last day that gives {notice}' "
                                         "notice")
    if today == due:
        return Timing(due, False, True, f"sent on {day_words(today)}, the last day that gives "
                                        f"{notice}' notice")
    if today >= meeting_day:
        return Timing(due, True, True, f"sent on {day_words(today)}, on or after the day of the "
                                       f"meeting; they were due by {day_words(due)} ({notice} "
                                       "before)")
    late_by = plural((today - due).days, "day")
    return Timing(due, True, True, f"sent late on {day_words(today)}, {late_by} after they were "
                                   f"due ({day_words(due)}, {notice} before the meeting)")


def minutes_timing(body: Body, meeting_day: date, today: date) -> Timing:
    """Minutes are sent when recorded; late when after the body's deadline (if it has one)."""
    due = minutes_due(body, meeting_day)
    if due is None:
        return Timing(None, False, True, f"circulated on {day_words(today)}; the terms of "
                                         "reference set no deadline")
    within = describe(body.minutes.due or 0, body.minutes.unit)
    if today <= due:
        return Timing(due, False, True, f"circulated on {day_words(today)}, within {within} of "
                                        f"the meeting (due by {day_words(due)})")
    late_by = plural((today - due).days, "day")
    return Timing(due, True, True, f"circulated late on {day_words(today)}, {late_by} after they "
                                   f"were due ({day_words(due)}, {within} after the meeting)")


def may_approve_agenda(body: Body, office: str, *, is_configured_chair: bool = False) -> Verdict:
    """Only the Chair agrees the agenda, or the Vice-Chair where the body allows it."""
    chair, deputy = body.chairing.chair_office, body.chairing.deputy_office
    office_cf = office.casefold()
    if not body.papers.chair_approves_agenda:
        return Verdict(False, f"{body.label} does not ask the Chair to agree the agenda")
    if is_configured_chair or (office_cf and office_cf == chair.casefold()):
        return Verdict(True, "the Chair agrees the agenda")
    if office_cf and office_cf == deputy.casefold():
        if body.papers.vice_chair_may_approve:
            return Verdict(True, f"the Vice-Chair may agree the agenda of {body.label}")
        return Verdict(False, f"only the Chair may agree the agenda of {body.label}; the "
                              "Vice-Chair may not")
    who = "the Chair or the Vice-Chair" if body.papers.vice_chair_may_approve else "the Chair"
    return Verdict(False, f"only {who} may agree the agenda of {body.label}")


@dataclass(frozen=True)
class PaperSize:
    """A paper as the attachment rule sees it: its id, file name and size in bytes."""

    id: int
    filename: str
    size: int


#: How a paper travels: in the papers email, linked, in an email of its own, or held back (too
#: large to email and nowhere to link to; the facilitator is told).
Way = Literal["attached", "link", "separate", "held"]

#: Room kept in each email for everything but the attachments: the headers and the letter in
#: text and HTML (with the whole agenda, for the papers email; a short note for a paper sent
#: on its own).
PACK_LETTER_BYTES = 48_000
SINGLE_LETTER_BYTES = 12_000


def wire_size(filename: str, size: int) -> int:
    """The bytes a file of ``size`` bytes takes in an email as sent: base64 (4 characters for
    every 3 bytes, about a third more) in lines of 76 characters ending in CR LF, and the
    part's own headers (its name may be encoded, so up to 3 bytes a character)."""
    chars = 4 * ((size + 2) // 3)
    lines = (chars + 75) // 76
    return chars + 2 * lines + 300 + 3 * len(filename.encode("utf-8"))


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@dataclass(frozen=True)
class AttachmentPlan:
    """How each paper travels (``ways``), each with the reason in words."""

    ways: dict[int, Way]
    reasons: dict[int, str]

    @property
    def attached(self) -> tuple[int, ...]:
        return tuple(i for i, way in self.ways.items() if way == "attached")

    @property
    def other(self) -> tuple[int, ...]:
        return tuple(i for i, way in self.ways.items() if way != "attached")


def plan_attachments(papers: Sequence[PaperSize], limit_bytes: int, large: LargePapers,
                     *, can_link: bool) -> AttachmentPlan:
    """Attach papers in agenda order while the email, as sent, stays within ``limit_bytes``;
    the rest are linked or sent each in an email of its own, as the body chose. Linking needs a
    place to link to: without one, the rest go separately. No email is ever larger than the
    limit: a paper too large to go even on its own is linked when there is a place to link to,
    and otherwise held back (the facilitator is told)."""
    ways: dict[int, Way] = {}
    reasons: dict[int, str] = {}
    total = PACK_LETTER_BYTES
    limit_words = f"{limit_bytes / 1_000_000:g} MB"
    for paper in papers:
        wire = wire_size(paper.filename, paper.size)
        if total + wire <= limit_bytes:
            ways[paper.id] = "attached"
            total += wire
            reasons[paper.id] = "attached"
            continue
        alone = SINGLE_LETTER_BYTES + wire <= limit_bytes
        why = (f"with {paper.filename} the attachments would exceed {limit_words}" if alone
               else f"{paper.filename} is {_mb(paper.size)}, about {_mb(wire)} once encoded for "
                    f"email")
        if can_link and (large == "link" or not alone):
            ways[paper.id] = "link"
            reasons[paper.id] = f"linked, not attached: {why} (the limit is {limit_words})"
        elif alone:
            ways[paper.id] = "separate"
            reasons[paper.id] = (f"sent in a separate email: {why} (the limit is {limit_words})"
                                 + (", and no link_base_url is configured to link to"
                                    if large == "link" else ""))
        else:
            ways[paper.id] = "held"
            reasons[paper.id] = (f"not sent: too large to email ({why}; the limit is "
                                 f"{limit_words}), and there is no web address to link to")
    return AttachmentPlan(ways, reasons)


ItemChange = Literal["rename", "move", "remove"]
ItemChangeCode = Literal["ok", "standing", "papers_circulated", "declared"]


def may_change_item(change: ItemChange, *, standing: bool, papers_circulated: int = 0,
                    declarations: int = 0) -> Verdict:
    """Whether an agenda item may be renamed, moved or removed. Standing items (welcome and
    apologies, declarations, the previous minutes, business carried forward) are clerk's: they
    follow the body's terms and the record, so none is changed by hand. An item may be renamed
    or moved at any time before the meeting (the Chair is asked again, and once the papers are
    out the change goes as a supplement, as for an item added); it may not be removed once its
    papers have gone to the members, or once someone has declared an interest in it, since
    both are on the meeting's record."""
    verb = {"rename": "renamed", "move": "moved", "remove": "removed"}[change]
    if standing:
        return Verdict(False, f"a standing item cannot be {verb}: clerk keeps the standing items "
                              "as the body's terms of reference and its record say",
                       code="standing")
    if change == "remove" and papers_circulated:
        return Verdict(False, f"the item cannot be removed: its papers "
                              f"({plural(papers_circulated, 'paper')}) have been circulated to "
                              "the members and are on the meeting's record; rename it instead "
                              '(for example "Withdrawn: ...")', code="papers_circulated")
    if change == "remove" and declarations:
        return Verdict(False, "the item cannot be removed: "
                              f"{plural(declarations, 'declaration')} of interest "
                              f"{'is' if declarations == 1 else 'are'} recorded against it; "
                              'rename it instead (for example "Withdrawn: ...")',
                       code="declared")
    return Verdict(True, f"the item may be {verb}", code="ok")
