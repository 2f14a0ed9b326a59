"""Agenda and papers: the items and the draft the Chair approves (:mod:`.items`), the Chair's
approval (:mod:`.approval`), business carried forward (:mod:`.carried`), papers
(:mod:`.papers`), circulation (:mod:`.circulation`), minutes (:mod:`.minutes`), declarations of
interest (:mod:`.declarations`) and the papers side of a meeting's record (:mod:`.record`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.agenda.approval import ApproveAgenda, approve_agenda
from clerk.agenda.circulation import circulate_papers
from clerk.agenda.declarations import RecordDeclaration, list_declarations, record_declaration
from clerk.agenda.items import (
    AddItem,
    Agenda,
    add_item,
    papers_schedule,
    read_agenda,
    send_draft,
)
from clerk.agenda.minutes import (
    AddMinutes,
    ApproveMinutes,
    add_minutes,
    approve_minutes,
    minutes_state,
)
from clerk.agenda.papers import AddPaper, add_paper

__all__ = [
    "AddItem",
    "AddMinutes",
    "AddPaper",
    "Agenda",
    "ApproveAgenda",
    "ApproveMinutes",
    "RecordDeclaration",
    "add_item",
    "add_minutes",
    "add_paper",
    "approve_agenda",
    "approve_minutes",
    "circulate_papers",
    "list_declarations",
    "minutes_state",
    "papers_schedule",
    "publish_site",
    "read_agenda",
    "record_declaration",
    "send_draft",
]
