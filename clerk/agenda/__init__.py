"""Agenda and papers: the items and the draft the Chair approves (:mod:`.items`), the Chair's
approval (:mod:`.approval`), business carried forward (:mod:`.carried`), papers
(:mod:`.papers`), circulation (:mod:`.circulation`), minutes (:mod:`.minutes`), declarations of
interest (:mod:`.declarations`) and the papers side of a meeting's record (:mod:`.record`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.agenda.approval import ApproveAgenda, approve_agenda, may_approve
from clerk.agenda.circulation import circulate_papers
from clerk.agenda.declarations import (
    RecordDeclaration,
    declarants,
    list_declarations,
    record_declaration,
)
from clerk.agenda.items import (
    AddItem,
    Agenda,
    MoveItem,
    RemoveItem,
    RenameItem,
    add_item,
    approvers,
    move_item,
    papers_schedule,
    read_agenda,
    remove_item,
    rename_item,
    send_draft,
)
from clerk.agenda.minutes import (
    AddMinutes,
    ApproveMinutes,
    add_minutes,
    approve_minutes,
    minutes_state,
    minutes_version_file,
    next_meeting,
)
from clerk.agenda.papers import AddPaper, add_paper, paper_file

__all__ = [
    "AddItem",
    "AddMinutes",
    "AddPaper",
    "Agenda",
    "ApproveAgenda",
    "ApproveMinutes",
    "MoveItem",
    "RecordDeclaration",
    "RemoveItem",
    "RenameItem",
    "add_item",
    "add_minutes",
    "add_paper",
    "approve_agenda",
    "approve_minutes",
    "approvers",
    "circulate_papers",
    "declarants",
    "list_declarations",
    "may_approve",
    "minutes_state",
    "minutes_version_file",
    "move_item",
    "next_meeting",
    "paper_file",
    "papers_schedule",
    "read_agenda",
    "record_declaration",
    "remove_item",
    "rename_item",
    "send_draft",
]
