"""Reading what a person wrote in their own words: which part of a reply is the answer
(:mod:`.answer_text`) and what it means: one reader per module (:mod:`.rsvp`, :mod:`.vote`,
:mod:`.declaration`, :mod:`.agenda_reply`, :mod:`.calendar_reply`), sharing :mod:`.scan`.

Its public operations and types are gathered here for the adapters (mail, bot, the CLI); modules
inside clerk import the module that defines a name.
"""

from clerk.reading.agenda_reply import read_agenda_reply
from clerk.reading.calendar_reply import read_calendar_reply
from clerk.reading.declaration import read_declaration
from clerk.reading.rsvp import read_rsvp
from clerk.reading.vote import read_vote

__all__ = ["read_agenda_reply", "read_calendar_reply", "read_declaration", "read_rsvp", "read_vote"]
