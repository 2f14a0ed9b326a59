"""Business from other bodies on a meeting's agenda: decisions referred to the body (each on the
first coming agenda of the body still open to it, with a link back to the referring meeting and
decision), and the reports made to it (a standing item at the meetings their frequency makes
them due at, expecting a paper): by other bodies (``[[bodies.X.reports]]``, their facilitator
chased when the paper has not arrived) or by groups that are not bodies, such as subgroups or
the owner of the KPIs (``[[bodies.Y.reports_in]]``, their lead chased); see
:func:`clerk.agenda.reports.chase_reports`.

Reading (standing items, :mod:`clerk.agenda.items`): ``referral_items(app, meeting)`` and
``reports_due(app, body, starts_at)``. The chaser is :mod:`clerk.agenda.reports`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.meetings.schedule import Meeting
from clerk.rules.referrals import due_in_order, every_words, report_due
from clerk.rules.terms import ReportEvery
from clerk.store.rows import fetch_all, fetch_one
from clerk.times import day_in_words, from_iso, to_iso


@dataclass(frozen=True)
class ReferralItem:
    """A decision another body referred to this one."""

    referral_id: int
    decision_id: int
    from_body: str
    from_label: str
    from_meeting: str
    from_day: str
    number: int
    text: str
    note: str

    @property
    def source(self) -> str:
        return f"decision:{self.decision_id}"

    @property
    def title(self) -> str:
        # the body and the day name the meeting (its reference is the two together), and the
        # title may be published: clerk's references stay out of the site's text
        return (f"Referred by the {self.from_label} (its meeting of {self.from_day}, decision "
                f"{self.number}): {self.text}")


@dataclass(frozen=True)
class ReportItem:
    """A report made to this body, due at this meeting: from another body (``from_body``, its
    slug; ``[[bodies.X.reports]]`` on that body), or from a group that is not a body
    (``from_body`` empty, ``lead`` its address; ``[[bodies.Y.reports_in]]`` on this one)."""

    from_body: str
    from_label: str
    what: str
    every: ReportEvery
    #: A group's lead, chased for the paper (empty for a body: its facilitator is).
    lead: str = ""

    @property
    def source(self) -> str:
        if self.from_body:
            return f"{self.from_body}:{self.what}"
        return f"group:{self.from_label}:{self.what}"

    @property
    def title(self) -> str:
        what = self.what[:1].upper() + self.what[1:]
        return f"{what} (from the {self.from_label}, {every_words(self.every)})"


def _frozen(db: Database, meeting_id: int) -> bool:
    """Whether a meeting's agenda takes no new standing items: approved as it stands."""
    row = fetch_one(db, "SELECT version, approved_version FROM agendas WHERE meeting_id = ?",
                    [meeting_id])
    return bool(row and row["approved_version"] == row["version"])


def target_meeting(db: Database, decision_id: int, to_body: str,
                   referred_at: str) -> dict[str, Any] | None:
    """The meeting row a referral is on the agenda of: the first meeting of ``to_body`` after the
    referral (not cancelled) that already has it, or whose agenda is still open; None while the
    body has no such meeting scheduled."""
    for row in fetch_all(db, "SELECT * FROM meetings WHERE body = ? AND status != 'cancelled' "
                             "AND starts_at > ? ORDER BY starts_at", [to_body, referred_at]):
        stored = fetch_one(db, "SELECT 1 AS x FROM agenda_items WHERE meeting_id = ? AND kind = "
                               "'referral' AND source = ?", [row["id"], f"decision:{decision_id}"])
        if stored is not None or not _frozen(db, row["id"]):
            return row
    return None


def referral_items(app: Clerk, meeting: Meeting) -> list[ReferralItem]:
    """The decisions referred to this meeting's body that are on this meeting's agenda."""
    db = app.store.db
    out = []
    for r in fetch_all(db, "SELECT r.id, r.decision_id, r.to_body, r.note, r.referred_at, d.number, d.text, "
                           "m.ref, m.body, m.starts_at FROM referrals r JOIN decisions d ON "
                           "d.id = r.decision_id JOIN meetings m ON m.id = r.from_meeting_id "
                           "WHERE r.to_body = ? AND r.referred_at < ? ORDER BY r.referred_at, "
                           "r.id", [meeting.body, to_iso(meeting.starts_at)]):
        target = target_meeting(db, r["decision_id"], r["to_body"], r["referred_at"])
        if target is None or target["id"] != meeting.id:
            continue
        body = app.config.bodies.get(r["body"])
        out.append(ReferralItem(r["id"], r["decision_id"], r["body"],
                                body.label if body else r["body"], r["ref"],
                                day_in_words(from_iso(r["starts_at"]), app.tz), r["number"],
                                r["text"], r["note"]))
    return out


def reports_made_to(app: Clerk, body: str) -> list[ReportItem]:
    """Every report made to ``body``, due or not: those other bodies make to it, then those of
    the groups its ``reports_in`` names (one list for both forms: the standing items, the
    chasers and the dashboard read this)."""
    out = [ReportItem(slug, other.label, report.what, report.every)
           for slug, other in app.config.bodies.items()
           for report in other.reports if report.to == body]
    receiving = app.config.bodies.get(body)
    if receiving is not None:
        out += [ReportItem("", r.group, r.what, r.every, lead=r.lead)
                for r in receiving.reports_in]
    return out


def receiving_bodies(app: Clerk) -> set[str]:
    """The bodies some report is made to (either form)."""
    return ({report.to for body in app.config.bodies.values() for report in body.reports}
            | {slug for slug, body in app.config.bodies.items() if body.reports_in})


def reports_due(app: Clerk, body: str, starts_at: datetime) -> list[ReportItem]:
    """The reports made to ``body`` that are due at its meeting at ``starts_at``."""
    wanted = reports_made_to(app, body)
    if not wanted:
        return []
    earlier = [from_iso(r["starts_at"]).astimezone(app.tz).date() for r in fetch_all(
        app.store.db, "SELECT starts_at FROM meetings WHERE body = ? AND status != 'cancelled' "
                      "AND starts_at < ?", [body, to_iso(starts_at)])]
    day = starts_at.astimezone(app.tz).date()
    return [report for report in wanted if report_due(report.every, day, earlier)]


def reports_due_by_meeting(app: Clerk, body: str) -> dict[str, list[ReportItem]]:
    """For each meeting of ``body`` (not cancelled), the reports due at it, keyed by its ref:
    :func:`reports_due` for every meeting at once (one query), for the planner."""
    wanted = reports_made_to(app, body)
    if not wanted:
        return {}
    rows = fetch_all(app.store.db, "SELECT ref, starts_at FROM meetings WHERE body = ? AND "
                                   "status != 'cancelled' ORDER BY starts_at", [body])
    days = [from_iso(r["starts_at"]).astimezone(app.tz).date() for r in rows]
    out: dict[str, list[ReportItem]] = {r["ref"]: [] for r in rows}
    for report in wanted:
        for row, due in zip(rows, due_in_order(report.every, days), strict=True):
            if due:
                out[row["ref"]].append(report)
    return out
