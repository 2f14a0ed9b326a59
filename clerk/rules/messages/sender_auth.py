"""Whether an incoming message's sender was authenticated, read from Authentication-Results
headers (RFC 8601) - pure, no I/O.

Anyone can write an ``Authentication-Results`` header into a message, so only one is believed:
the one written by *our own* receiving server, recognised by its authserv-id (the first word of
the header, ``mail.northshire.gov.uk; dmarc=pass ...``), which the configuration names
(``[mail] trusted_authserv_id``). The rules, kept deliberately simple:

- no trusted id configured: every such header is ignored (verdict ``unknown``);
- our server adds its header on top of the message, so the *first* header carrying our id is
  the genuine one; any *other* header claiming our id was written before the message reached
  us: a forgery (verdict ``forged``, the message is refused);
- the genuine header's verdict: ``dmarc=fail`` refuses; ``spf=fail`` refuses unless DKIM or
  DMARC passed (forwarding breaks SPF but not a DKIM signature); a pass of any is ``pass``;
  anything else (``none``, ``neutral``, ``temperror``...) is ``unknown``;
- headers from any other authserv-id are ignored whatever they claim.

``unknown`` does not refuse: the reply key and the sender's address still have to match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"(?:^|;)\s*(dmarc|spf|dkim)\s*=\s*([a-z]+)", re.IGNORECASE)

AuthVerdict = Literal["pass", "fail", "forged", "unknown"]


@dataclass(frozen=True)
class SenderAuth:
    """What our own mail server said about the sender, and why that verdict was reached."""

    verdict: AuthVerdict
    reason: str

    @property
    def refused(self) -> bool:
        """A failed or forged authentication: the From address cannot be believed."""
        return self.verdict in ("fail", "forged")


@dataclass(frozen=True)
class _Header:
    authserv_id: str
    results: dict[str, str]


def parse_header(value: str) -> tuple[str, dict[str, str]]:
    """``(authserv-id, {method: result})`` of one Authentication-Results value (lower-cased);
    the first result of each method counts."""
    text = _COMMENT.sub(" ", " ".join(value.split()))
    head, _, rest = text.partition(";")
    words = head.split()
    authserv_id = words[0].lower() if words else ""
    results: dict[str, str] = {}
    for match in _RESULT.finditer(";" + rest):
        results.setdefault(match.group(1).lower(), match.group(2).lower())
    return authserv_id, results


def judge_sender(values: Sequence[str], trusted_id: str) -> SenderAuth:
    """The verdict on a message's ``Authentication-Results`` values (in header order, top first)
    given the authserv-id of our own receiving server (empty: none is trusted)."""
    trusted = trusted_id.strip().lower()
    if not trusted:
        return SenderAuth("unknown", "no trusted authentication server is configured, so "
                                     "Authentication-Results headers are not read")
    headers = [_Header(*parse_header(v)) for v in values]
    ours = [h for h in headers if h.authserv_id == trusted]
    if not ours:
        return SenderAuth("unknown", f"no Authentication-Results from {trusted}")
    if len(ours) > 1:
        return SenderAuth("forged", f"the message carries {len(ours) - 1} extra "
                                    f"Authentication-Results header(s) claiming to come from "
                                    f"{trusted}: written by someone else")
    results = ours[0].results
    dmarc, spf, dkim = results.get("dmarc"), results.get("spf"), results.get("dkim")
    said = ", ".join(f"{k}={v}" for k, v in results.items()) or "no results"
    if dmarc == "fail":
        return SenderAuth("fail", f"{trusted} says the sender address is forged (dmarc=fail)")
    if spf == "fail" and "pass" not in (dkim, dmarc):
        return SenderAuth("fail", f"{trusted} says the message was not sent by the sender's own "
                                  "mail server (spf=fail, and no DKIM signature passed)")
    if "pass" in (dmarc, spf, dkim):
        return SenderAuth("pass", f"{trusted}: {said}")
    return SenderAuth("unknown", f"{trusted}: {said}")
