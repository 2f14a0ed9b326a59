"""``clerk publish``: a static website section for the partnerships' own web pages.

``publish_site(app, out_dir)`` writes plain HTML (``templates/site/``) the facilitator uploads
as it is: an index of bodies, an index per body, and one page per meeting with its agenda and
papers (once circulated), its approved minutes (the approved file, checked against its hash)
and its decisions, and the action log of the meeting (each action, its owner by name, when it
is due and whether it is done) once its minutes are approved. Only bodies that publish their
records (``minutes.publish = true``) appear;
draft minutes, uncirculated papers and cancelled meetings never do. Every link is relative, so
the folder works wherever it is put.

The site is public, so it shows only what is meant to be: a lead by name (never an email
address; an address in an item's title is replaced by the person's name, or withheld), the venue
but never the online joining link (that goes to members and booked observers), meetings by
their date (clerk's references appear only in the addresses of the pages), and decisions in
plain words. The approved minutes' fingerprint (SHA-256) is kept out of sight, under a plain
explanation, for whoever wants to check a copy.

The site's ``privacy.html`` is the privacy notice (:mod:`clerk.records.privacy`: what is held,
why, for how long and whom to ask, from the configuration), linked from every page's footer.

Each body's folder also has ``calendar.ics``, its meetings as a subscription feed
(:mod:`clerk.records.feed`: cancelled ones marked so), linked from its page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from clerk.actions.model import list_actions
from clerk.agenda.items import papers_out, read_agenda
from clerk.agenda.minutes import approved_minutes_file
from clerk.app import Clerk
from clerk.attendance.decisions import list_decisions
from clerk.attendance.report import attendance_report
from clerk.errors import NotFound
from clerk.meetings.schedule import Meeting, get_meeting, list_meetings
from clerk.messages import environment
from clerk.records.feed import FEED_NAME, body_feed
from clerk.records.privacy import privacy_notice
from clerk.rules.attendance import annual_report_period, latest_annual_report_year
from clerk.rules.terms import Body
from clerk.store.files import read_file, safe_filename
from clerk.store.rows import fetch_one
from clerk.times import day_in_words, in_words, to_iso

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class PublishReport:
    out: Path
    bodies: list[str] = field(default_factory=list)
    pages: int = 0
    files: int = 0

    @property
    def message(self) -> str:
        return (f"wrote {self.pages} pages and {self.files} files for "
                f"{len(self.bodies)} bodies ({', '.join(self.bodies) or 'none publish'}) "
                f"into {self.out}")


def _render(name: str, **context: Any) -> str:
    return environment().get_template(f"site/{name}.html.j2").render(**context)


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def _meeting_page(app: Clerk, meeting: Meeting, folder: Path,
                  report: PublishReport) -> dict[str, Any]:
    """Write one meeting's page and files; returns what the body index says about it."""
    db = app.store.db
    circulated = papers_out(db, meeting)
    items: list[dict[str, Any]] = []
    if circulated:
        agenda = read_agenda(app, db, meeting)
        for item in agenda.items:
            papers = []
            for paper in item.papers:
                if not paper.circulated:
                    continue
                href = f"papers/{paper.id}-{safe_filename(paper.filename)}"
                _write(folder / href, read_file(db, paper.sha256))
                report.files += 1
                papers.append({"href": href, "filename": paper.filename, "size": paper.size})
            items.append({"number": item.number, "title": _without_addresses(db, item.title),
                          "lead": _lead_name(item.lead, item.lead_name), "papers": papers})
    minutes = None
    approved = approved_minutes_file(db, meeting.id)
    if approved is not None:
        record, content = approved
        href = f"minutes/v{record.version}-{safe_filename(record.filename)}"
        _write(folder / href, content)
        report.files += 1
        approved_at = record.approved_at_meeting
        minutes = {"href": href, "filename": record.filename, "sha256": record.approved_sha256,
                   "approved_at_meeting": approved_at,
                   "approved_at_day": _meeting_day(app, approved_at) if approved_at else ""}
    decisions = [{"number": d.number, "text": _without_addresses(db, d.text), "status": d.status}
                 for d in list_decisions(app, meeting.ref)]
    actions = [{"text": _without_addresses(db, a.text),
                "owner": _without_addresses(db, a.owner_name), "status": a.status,
                "due": day_in_words(datetime(a.due.year, a.due.month, a.due.day, 12,
                                             tzinfo=app.tz), app.tz) if a.due else ""}
               for a in list_actions(app, meeting=meeting.ref)
               if a.status != "withdrawn"] if minutes else []
    page = {"ref": meeting.ref, "when": in_words(meeting.starts_at, app.tz),
            "day": day_in_words(meeting.starts_at, app.tz), "venue": meeting.venue,
            "online": bool(meeting.online_url), "iso": to_iso(meeting.starts_at),
            "agenda_items": items, "minutes": minutes, "decisions": decisions,
            "actions": actions,
            "papers_out": circulated,
            "observers_book": app.body(meeting.body).observers.public,
            "extraordinary": meeting.kind == "extraordinary",
            "reason": _without_addresses(db, meeting.reason)}
    return page


def _lead_name(lead: str, name: str) -> str:
    """A lead as the public sees them: their name; nothing when only an address is known."""
    return "" if not name or EMAIL.search(name) else name


def _without_addresses(db: Database, text: str) -> str:
    """``text`` with each email address replaced by that person's name, or withheld."""
    def name_of(match: re.Match[str]) -> str:
        row = fetch_one(db, "SELECT name FROM people WHERE email = ?", [match.group(0).lower()])
        name = str(row["name"] or "") if row else ""
        return name if name and "@" not in name else "(address withheld)"

    return EMAIL.sub(name_of, text)


def _meeting_day(app: Clerk, ref: str) -> str:
    """``Thursday 4 February 2027`` for the meeting ``ref`` (the reference itself if unknown)."""
    try:
        return day_in_words(get_meeting(app, ref).starts_at, app.tz)
    except NotFound:
        return ref


def _attendance_page(app: Clerk, slug: str, body: Body, out: Path, report: PublishReport) -> str:
    """A body that sets ``attendance.annual_report_month`` publishes its latest annual
    attendance report (the twelve months before the latest report day that has come) as
    ``attendance.html``: members by name and organisation, never an address. Returns the link
    to it from the body's page ("" when the body publishes none)."""
    month = body.attendance.annual_report_month
    if month is None:
        return ""
    today = app.clock.now().astimezone(app.tz).date()
    start, end = annual_report_period(month, latest_annual_report_year(month, today))
    _write(out / slug / "attendance.html", _render(
        "attendance", body=body, slug=slug, root="../", report=attendance_report(
            app, slug, start, end), organisation=app.config.clerk.organisation))
    report.pages += 1
    return "attendance.html"


def publish_site(app: Clerk, out: Path) -> PublishReport:
    """Write the site into ``out`` (created if need be; files clerk wrote before are replaced)."""
    out = Path(out)
    report = PublishReport(out)
    bodies = []
    for slug, body in app.config.bodies.items():
        if not body.minutes.publish:
            continue
        meetings = [m for m in list_meetings(app, slug) if m.status != "cancelled"]
        pages: list[dict[str, Any]] = []
        for meeting in meetings:
            folder = out / slug / meeting.ref
            page = _meeting_page(app, meeting, folder, report)
            page["previous"] = pages[-1]["ref"] if pages else ""
            pages.append(page)
        for n, page in enumerate(pages):
            page["next"] = pages[n + 1]["ref"] if n + 1 < len(pages) else ""
            _write(out / slug / page["ref"] / "index.html",
                   _render("meeting", body=body, slug=slug, meeting=page, root="../../",
                           organisation=app.config.clerk.organisation))
            report.pages += 1
        _write(out / slug / FEED_NAME, body_feed(app, slug))
        report.files += 1
        attendance = _attendance_page(app, slug, body, out, report)
        _write(out / slug / "index.html", _render("body", body=body, slug=slug,
                                                  meetings=list(reversed(pages)), root="../",
                                                  attendance=attendance,
                                                  feed=FEED_NAME,
                                                  organisation=app.config.clerk.organisation))
        report.pages += 1
        bodies.append({"slug": slug, "name": body.name, "count": len(pages)})
        report.bodies.append(slug)
    _write(out / "index.html", _render("index", bodies=bodies, root="",
                                       organisation=app.config.clerk.organisation))
    _write(out / "style.css", environment().get_template("site/style.css").render())
    report.pages += 1
    _write(out / "privacy.html", _render("privacy", notice=privacy_notice(app.config), root="",
                                         show_addresses=False,
                                         organisation=app.config.clerk.organisation))
    report.pages += 1
    return report
