"""Papers: files attached to agenda items.

``add_paper(app, AddPaper(meeting, item, FileUpload(...)))`` adds a paper to item N. The same
file again changes nothing; a file with the same name and new content replaces the earlier
version. A paper added after the papers were circulated goes out at once as a supplement to the
same distribution list (if the agenda is still approved).
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
from clerk.meetings.schedule import get_meeting
from clerk.store.files import FileUpload


@dataclass(frozen=True)
class AddPaper:
    """A paper for agenda item ``item`` (its number on the agenda)."""

    meeting: str
    item: int
    file: FileUpload
    channel: str = "cli"


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
        item = read_agenda(app, db, meeting).item(cmd.item)
        assert item.id is not None  # every item is stored: the standing ones just above
        status, paper_id = attach_paper(db, meeting, item.id, cmd.file, cmd.channel, now)
        supplement = ""
        if status != "same" and papers_out(db, meeting):
            result = circulate_in(app, db, meeting, actor="facilitator", channel=cmd.channel)
            supplement = result.message
        agenda = read_agenda(app, db, meeting)
        paper = next(p for i in agenda.items for p in i.papers if p.id == paper_id)
        return PaperAdded(status, paper, cmd.item, supplement)
