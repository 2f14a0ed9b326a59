"""A mere acknowledgement ("Thank you!", "Great, thanks - Carol", a thumbs-up): words that answer
nothing and need no answer.

clerk uses it to stay quiet when someone thanks it for a confirmation, instead of asking them again
what they meant. Anything more than thanks, agreement and a sign-off (a question, a change of plan)
is not an acknowledgement.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORDS = frozenset({
    "thank", "thanks", "thankyou", "thx", "ty", "ta", "cheers", "many", "much", "very", "you",
    "so", "a", "lot", "lots", "again", "for", "this", "that", "the", "confirmation", "confirming",
    "email", "message", "ok", "okay", "k", "great", "perfect", "lovely", "brilliant", "excellent",
    "super", "fab", "fantastic", "wonderful", "good", "fine", "cool", "noted", "received",
    "understood", "got", "it", "all", "appreciated", "kind", "regards", "best", "wishes", "warm",
    "kindest", "with", "and", "x", "xx", "xxx", "yours", "sincerely", "sent", "from", "my",
    "iphone", "ipad", "phone", "android", "mobile",
})
_NEEDED = frozenset({"thank", "thanks", "thankyou", "thx", "ty", "ta", "cheers", "noted",
                     "received", "appreciated", "ok", "okay", "great", "perfect", "lovely",
                     "brilliant", "excellent", "super", "fab", "fantastic", "wonderful", "cool"})
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+|\S", re.UNICODE)
MAX_LENGTH = 200


def _is_symbol(token: str) -> bool:
    """Punctuation, emoji and the like: they say nothing either way."""
    return all(unicodedata.category(ch)[0] in "PSZ" or ch in "\u200d\ufe0f" for ch in token)


def is_acknowledgement(text: str, names: Iterable[str] = ()) -> bool:
    """Whether ``text`` only thanks or acknowledges (optionally signed with one of ``names``)."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_LENGTH or "?" in stripped:
        return False
    own = {n.casefold() for name in names for n in name.split() if n}
    said = False
    emoji = False
    for token in _TOKEN.findall(stripped):
        low = token.casefold()
        if _is_symbol(token):
            emoji = emoji or any(unicodedata.category(ch) == "So" for ch in token)
            continue
        if low in own:
            continue
        if low not in _WORDS:
            return False
        said = said or low in _NEEDED
    return said or emoji
