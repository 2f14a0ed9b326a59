"""Papers: files attached to agenda items.

``add_paper(app, AddPaper(meeting, item, FileUpload(...)))`` adds a paper to item N. The same
file again changes nothing; a file with the same name and new content replaces the earlier
version. A paper added after the papers were circulated goes out at once as a supplement to the
same distribution list (if the agenda is still approved).

``paper_file(app, meeting_ref, paper_id) -> (PaperInfo, bytes)`` reads one of a meeting's papers
(reads only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clerk.agenda.circulation import circulate_in
from clerk.agenda.items import (
    PaperInfo,
    attach_paper,
    papers_out,
    read_agenda,
    refuse_if_over,
    sync_standing_items,
)
from clerk.app import Clerk
from clerk.errors import NotFound
from clerk.meetings.schedule import get_meeting
from clerk.store.files import FileUpload, read_file
from clerk.store.rows import fetch_one


@dataclass(frozen=True)
class AddPaper:
    """A paper for agenda item ``item`` (its number on the agenda)."""

    meeting: str
    item: int
    file: FileUpload
    channel: str = "cli"
    actor: str = "facilitator"
    #: Names the item instead of ``item`` when given (:attr:`AgendaItem.key`: it stays the same
    #: when the numbers change, as a form in a browser needs).
    item_key: str = ""


@dataclass(frozen=True)
class PaperAdded:
    """What adding did: ``added``, ``replaced`` (a new version of a paper of the same name) or
    ``same`` (this file was already there); ``supplement`` says what was sent, if anything."""

    status: Literal["added", "replaced", "same"]
    paper: PaperInfo
    item: int
    supplement: str = ""


def add_paper(app: Clerk, cmd: AddPaper) -> PaperAdded:
    """Add a paper to an agenda item; after circulation it goes out as a supplement."""
    meeting = get_meeting(app, cmd.meeting)
    refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        sync_standing_items(app, db, meeting)
        agenda = read_agenda(app, db, meeting)
        item = agenda.by_key(cmd.item_key) if cmd.item_key else agenda.item(cmd.item)
        assert item.id is not None  # every item is stored: the standing ones just above
        status, paper_id = attach_paper(db, meeting, item.id, cmd.file, cmd.channel, now,
                                        actor=cmd.actor)
        supplement = ""
        if status != "same" and papers_out(db, meeting):
            result = circulate_in(app, db, meeting, actor=cmd.actor, channel=cmd.channel)
            supplement = result.message
        agenda = read_agenda(app, db, meeting)
        paper = next(p for i in agenda.items for p in i.papers if p.id == paper_id)
        return PaperAdded(status, paper, item.number, supplement)


def paper_file(app: Clerk, meeting_ref: str, paper_id: int) -> tuple[PaperInfo, bytes]:
    """One of the meeting's papers (a current one or an earlier version) and its bytes;
    NotFound for a paper of another meeting or none."""
    meeting = get_meeting(app, meeting_ref)
    db = app.store.db
    row = fetch_one(db, "SELECT * FROM papers WHERE id = ? AND meeting_id = ?",
                    [paper_id, meeting.id])
    if row is None:
        raise NotFound(f"{meeting.ref} has no such paper")
    return PaperInfo.from_row(row), read_file(db, row["sha256"])
