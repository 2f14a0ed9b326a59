"""People and their seats: finding or creating a person (:mod:`.directory`), the membership
imported from CSV, previewed and edited (:mod:`.membership`), a body's members as the console
shows them (:mod:`.roster`), a body's officers (:mod:`.officers`), addresses that bounce
(:mod:`.undeliverable`), and the configured bodies mirrored into the store (:mod:`.bodies`).

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.people.bodies import sync_bodies
from clerk.people.directory import Person, ensure_person, find_person, is_email
from clerk.people.membership import (
    EndResult,
    FieldChange,
    ImportPreview,
    MemberUpdate,
    PlannedRow,
    UpdateResult,
    end_membership,
    import_members,
    list_members,
    preview_import,
    resume_mail,
    update_member,
)
from clerk.people.officers import officer_addresses
from clerk.people.roster import BodyMembers, MemberView, Substitute, body_member, body_members
from clerk.people.undeliverable import mark_deliverable, mark_undeliverable

__all__ = [
    "BodyMembers",
    "EndResult",
    "FieldChange",
    "ImportPreview",
    "MemberUpdate",
    "MemberView",
    "Person",
    "PlannedRow",
    "Substitute",
    "UpdateResult",
    "body_member",
    "body_members",
    "end_membership",
    "ensure_person",
    "find_person",
    "import_members",
    "is_email",
    "list_members",
    "mark_deliverable",
    "mark_undeliverable",
    "officer_addresses",
    "preview_import",
    "resume_mail",
    "sync_bodies",
    "update_member",
]
