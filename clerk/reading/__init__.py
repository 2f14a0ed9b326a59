"""Reading what a person wrote in their own words: which part of a reply is the answer
(:mod:`.answer_text`) and what it means: one reader per module (:mod:`.rsvp`, :mod:`.vote`,
:mod:`.declaration`, :mod:`.agenda_reply`, :mod:`.calendar_reply`), sharing :mod:`.scan`."""
