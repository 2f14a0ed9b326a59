"""The papers side of a meeting's record, as data: the agenda and who approved it, each
circulation (late or not, to how many), declarations of interest, and the minutes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from clerk.agenda.declarations import list_declarations
from clerk.agenda.items import read_agenda
from clerk.agenda.minutes import minutes_state
from clerk.app import Clerk
from clerk.meetings.schedule import get_meeting
from clerk.store.rows import fetch_all


def papers_record(app: Clerk, meeting_ref: str) -> dict[str, Any]:
    """What ``clerk meetings show`` (``meeting_view``) lists about agenda, papers and minutes."""
    meeting = get_meeting(app, meeting_ref)
    agenda = read_agenda(app, app.store.db, meeting)
    circulations = fetch_all(
        app.store.db,
        "SELECT c.kind, c.number, c.started_at, c.late, c.timing, c.due_on, "
        "(SELECT COUNT(*) FROM circulation_recipients r WHERE r.circulation_id = c.id AND "
        "r.skipped = '') AS recipients FROM circulations c WHERE c.meeting_id = ? ORDER BY c.id",
        [meeting.id])
    return {
        "agenda": {"version": agenda.version, "needs_approval": agenda.needs_approval,
                   "approved": agenda.approved, "approved_by": agenda.approved_by,
                   "items": [{"number": i.number, "title": i.title, "lead": i.lead,
                              "papers": [p.filename for p in i.papers]} for i in agenda.items]},
        "circulations": [{**c, "late": bool(c["late"])} for c in circulations],
        "papers_late": any(c["late"] for c in circulations if c["kind"] != "minutes"),
        "declarations": [asdict(d) for d in list_declarations(app, meeting.ref)],
        "minutes": minutes_state(app, meeting.ref).as_json(),
    }
