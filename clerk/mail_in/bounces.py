"""Which addresses a bounce is about: only those clerk actually sent the returned message to.

A delivery failure report changes something (it marks an address undeliverable, so nothing more
is sent there) only when it refers to a message in clerk's outbox: a Message-ID the report quotes
(its returned headers or message, or the copy a qmail or Exim note carries) must be one clerk
gave a message it sent, and the address that message went to is the one that failed. clerk's
Message-IDs carry a secret reply key or 96 random bits, so only the recipient (and the servers on
the way) can know them: a forged report about nothing, or about someone else's mail, changes
nothing. A report quoting none of clerk's messages is recorded and ignored.

A per-message return path (VERP, ``clerk+bounce-<token>@``) is not used: every common report
quotes the returned message's headers (RFC 3464 requires it; qmail, Exim, sendmail, Gmail and
Exchange do it), so the Message-ID is enough, and the envelope sender stays clerk's From address,
which keeps the SPF alignment the receiving servers check and needs no extra routing for the
reply domain. A report that quotes nothing of the returned message is not attributed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from clerk.mail_in.message import Automation
from clerk.store.rows import fetch_all


@dataclass(frozen=True)
class BouncedMessage:
    """A message clerk sent that the report says could not be delivered."""

    message_id: str
    to_addr: str
    kind: str


def bounced_messages(db: Database, bounce: Automation) -> list[BouncedMessage]:
    """The messages in clerk's outbox that ``bounce`` quotes, one per address (earliest id
    first); empty when it quotes none of them."""
    ids = list(dict.fromkeys([*bounce.original_ids, *(i.lower() for i in bounce.original_ids)]))
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    found: dict[str, BouncedMessage] = {}
    for row in fetch_all(db, f"SELECT message_id, to_addr, kind FROM outbox WHERE message_id "
                             f"IN ({marks}) ORDER BY id", ids):
        address = str(row["to_addr"]).strip().lower()
        found.setdefault(address, BouncedMessage(str(row["message_id"]), address,
                                                 str(row["kind"])))
    return list(found.values())
