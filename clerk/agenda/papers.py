"""Papers: files attached to agenda items.

``add_paper(app, AddPaper(meeting, item, FileUpload(...)))`` adds a paper to item N. The same
file again changes nothing; a file with the same name and new content replaces the earlier
version. A paper added after the papers were circulated goes out at once as a supplement to the
same distribution list (if the agenda is still approved).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlite_utils import Database

from clerk.agenda.items import PaperInfo, _refuse_if_over, read_agenda
from clerk.app import Clerk
from clerk.meetings.schedule import Meeting, get_meeting
from clerk.store import audit
from clerk.store.files import FileUpload, clean_filename, content_type, store_file
from clerk.times import to_iso


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


def attach_paper(app: Clerk, db: Database, meeting: Meeting, item_id: int, upload: FileUpload,
                 channel: str, now: datetime) -> tuple[Literal["added", "replaced", "same"], int]:
    """Keep the file and record it against the item, inside the caller's transaction.
    Returns (status, paper id)."""
    filename = clean_filename(upload.filename)
    digest = store_file(db, upload, now)
    same = db.execute("SELECT id FROM papers WHERE item_id = ? AND sha256 = ? AND status = "
                      "'current'", [item_id, digest]).fetchone()
    if same is not None:
        return "same", int(same[0])
    earlier = db.execute("SELECT id FROM papers WHERE item_id = ? AND filename = ? AND status = "
                         "'current'", [item_id, filename]).fetchone()
    main, sub = content_type(filename)
    paper_id = int(str(db.table("papers").insert({
        "meeting_id": meeting.id, "item_id": item_id, "filename": filename,
        "content_type": f"{main}/{sub}", "size": len(upload.content), "sha256": digest,
        "status": "current", "added_at": to_iso(now)}).last_pk))
    if earlier is not None:
        db.execute("UPDATE papers SET status = 'replaced' WHERE id = ?", [earlier[0]])
    audit.record(db, at=now, actor="facilitator", action="papers.add", subject=meeting.ref,
                 channel=channel, detail={"file": filename, "sha256": digest,
                                          "size": len(upload.content), "item_id": item_id,
                                          "replaces": earlier[0] if earlier else None})
    return ("replaced" if earlier else "added"), paper_id


def add_paper(app: Clerk, cmd: AddPaper) -> PaperAdded:
    """Add a paper to an agenda item; after circulation it goes out as a supplement."""
    from clerk.agenda.circulation import circulate_in

    meeting = get_meeting(app, cmd.meeting)
    _refuse_if_over(app, meeting)
    now = app.clock.now()
    with app.store.write() as db:
        agenda = read_agenda(app, db, meeting)
        item = agenda.item(cmd.item)
        status, paper_id = attach_paper(app, db, meeting, item.id, cmd.file, cmd.channel, now)
        supplement = ""
        circulated = db.execute("SELECT 1 FROM circulations WHERE meeting_id = ? AND kind = "
                                "'papers'", [meeting.id]).fetchone() is not None
        if status != "same" and circulated:
            result = circulate_in(app, db, meeting, actor="facilitator", channel=cmd.channel)
            supplement = result.message
        agenda = read_agenda(app, db, meeting)
        paper = next(p for i in agenda.items for p in i.papers if p.id == paper_id)
        return PaperAdded(status, paper, cmd.item, supplement)
