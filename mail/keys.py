"""Find the reply key that ties an incoming message to what the clerk sent.

Outgoing mail uses ``clerk+KEY@domain`` as reply address and ``<purpose.KEY@domain>``
as Message-ID; KEY is 32 lowercase hex characters.
"""

from __future__ import annotations

import re

from mail.mime import ParsedMessage

__all__ = ["find_reply_key"]

_KEY = re.compile(r"[0-9a-f]{32}")
_ID_KEY = re.compile(r"[^.@<>\s]+\.([0-9a-f]{32})(?:\.[0-9a-z]+)?@")  # <purpose.KEY[.token]@domain>


def _key_from_address(addr: str, local_part: str) -> str | None:
    local, _, domain = addr.partition("@")
    base, plus, key = local.partition("+")
    if domain and plus and base == local_part and _KEY.fullmatch(key):
        return key
    return None


def _key_from_id(message_id: str) -> str | None:
    match = _ID_KEY.match(message_id)
    return match.group(1) if match else None


def find_reply_key(msg: ParsedMessage, local_part: str = "clerk") -> str | None:
    """KEY from a recipient ``local_part+KEY@…`` first, else from In-Reply-To, then References.

    References are searched newest first (the end of the header).
    """
    local_part = local_part.lower()
    for addr in msg.to_addrs:
        key = _key_from_address(addr, local_part)
        if key:
            return key
    for message_id in [*msg.in_reply_to, *reversed(msg.references)]:
        key = _key_from_id(message_id)
        if key:
            return key
    return None
