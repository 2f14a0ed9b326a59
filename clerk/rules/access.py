"""Who may use the facilitator's console and for which bodies, and how often a sign-in link may
be asked for (pure functions).

A body is served by its facilitator, its Chair (by office, else the configured ``chair_email``,
the precedence of :func:`clerk.rules.roles.chair_of`) and its vice-chair; the console's
administrators (``[web] admins``) serve every body."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from clerk.rules.roles import OfficeHolder, Role, chair_of, staff_roles
from clerk.rules.terms import Body
from clerk.rules.verdict import Verdict

#: Sign-in links an address may be sent in :data:`LINK_WINDOW_MINUTES`; and links one client
#: (an IP address) may ask for, whichever addresses it names.
LINKS_PER_ADDRESS = 3
LINKS_PER_CLIENT = 10
LINK_WINDOW_MINUTES = 60

LinkCode = Literal["ok", "address_limit", "client_limit"]


@dataclass(frozen=True)
class Served:
    """The bodies an address serves, with its roles on each; ``admin`` serves them all."""

    email: str
    admin: bool
    roles: Mapping[str, frozenset[Role]]

    @property
    def bodies(self) -> frozenset[str]:
        return frozenset(self.roles)

    def serves(self, slug: str) -> bool:
        return slug in self.roles

    @property
    def may_sign_in(self) -> bool:
        return bool(self.roles) or self.admin


def bodies_served(bodies: Mapping[str, Body], email: str,
                  holders: Mapping[str, Sequence[OfficeHolder]],
                  admins: Sequence[str]) -> Served:
    """The bodies ``email`` serves: each body where it is the facilitator, the Chair or the
    vice-chair (``holders``: each body's active office holders, in the order they joined), or
    every body for an administrator."""
    email = email.strip().lower()
    admin = email in {a.strip().lower() for a in admins}
    roles: dict[str, frozenset[Role]] = {}
    for slug, body in bodies.items():
        own = holders.get(slug, ())
        office = next((h.office for h in own if h.email.strip().lower() == email), None)
        found = staff_roles(body, email, office, chair_of(body, own))
        if found:
            roles[slug] = found
        elif admin:
            roles[slug] = frozenset({"admin"})
    return Served(email, admin, roles)


def may_send_link(sent_to_address: int, asked_by_client: int) -> Verdict:
    """Whether another sign-in link may go out, given the links sent to this address and asked
    for by this client in the last :data:`LINK_WINDOW_MINUTES` minutes."""
    if sent_to_address >= LINKS_PER_ADDRESS:
        return Verdict(False, f"{LINKS_PER_ADDRESS} sign-in links were sent to this address in "
                              f"the last {LINK_WINDOW_MINUTES} minutes", code="address_limit")
    if asked_by_client >= LINKS_PER_CLIENT:
        return Verdict(False, f"{LINKS_PER_CLIENT} sign-in links were asked for from here in the "
                              f"last {LINK_WINDOW_MINUTES} minutes", code="client_limit")
    return Verdict(True, "a sign-in link may be sent", code="ok")


# --- what each person serving a body may see and do on its votes, inbox and audit log ---------
# (issue 15: the console's votes, inbox and audit log pages)


def may_see_voters(served: Served, slug: str) -> bool:
    """Who has voted in a ratification vote is shown to the body's facilitator only: not to the
    Chair or vice-chair (a vote by email is cast privately; the result email names those who did
    not vote to the facilitator alone), nor to an administrator."""
    return "facilitator" in served.roles.get(slug, frozenset())


def may_close_ballot(served: Served, slug: str) -> Verdict:
    """Closing a vote early is the facilitator's act (``clerk ratify close``); an administrator
    may do it for them. The Chair may follow the tally but not end the vote."""
    roles = served.roles.get(slug, frozenset())
    if "facilitator" in roles or served.admin:
        return Verdict(True, "you may close this vote", code="ok")
    return Verdict(False, "only the facilitator closes a vote before its deadline",
                   code="not_facilitator")


def may_decide_tie(served: Served, slug: str) -> Verdict:
    """Entering the Chair's casting vote on a tied election: the Chair gives it themself, or
    the facilitator (or an administrator) records the vote the Chair gave them."""
    roles = served.roles.get(slug, frozenset())
    if roles & {"facilitator", "chair"} or served.admin:
        return Verdict(True, "you may enter the casting vote", code="ok")
    return Verdict(False, "only the Chair or the facilitator enters the Chair's casting vote",
                   code="not_facilitator")


def may_see_inbound(served: Served, bodies: frozenset[str], *, a_vote: bool = False) -> bool:
    """Whether a message in the inbox may be shown: one tied to a meeting or a person of some
    bodies (``bodies``) to those serving any of them; one tied to no body (a stranger's, or
    clerk cannot tell whose) to the facilitators of any body and the administrators, never to a
    Chair alone (it may concern a body the Chair does not serve: the facilitators sort it). An
    answer to a ballot (``a_vote``) says who voted and how: only to the facilitator of its body,
    as :func:`may_see_voters`."""
    if a_vote and bodies:
        return any(may_see_voters(served, slug) for slug in bodies)
    if bodies:
        return any(served.serves(slug) for slug in bodies)
    return served.admin or any("facilitator" in roles for roles in served.roles.values())


def may_handle_inbound(served: Served, bodies: frozenset[str]) -> Verdict:
    """Replaying a message, or attaching it by hand (recording a member's reply on their
    behalf), is the facilitator's work (or an administrator's), not the Chair's: for a message
    tied to some bodies, the facilitator of one of them; for one tied to none, any facilitator
    (those who may see it)."""
    if served.admin:
        return Verdict(True, "you administer the console", code="ok")
    mine = [slug for slug, roles in served.roles.items() if "facilitator" in roles]
    if any(slug in bodies for slug in mine) or (not bodies and mine):
        return Verdict(True, "you are the facilitator", code="ok")
    return Verdict(False, "only the facilitator replays a message or records it for a member",
                   code="not_facilitator")


def votes_hidden(served: Served, bodies: Iterable[str]) -> frozenset[str]:
    """Of ``bodies``, those whose votes ``served`` may not see in the audit log (who voted, and
    how): all but those where they are the facilitator (:func:`may_see_voters`)."""
    return frozenset(slug for slug in bodies if not may_see_voters(served, slug))


def audit_bodies(served: Served) -> frozenset[str] | None:
    """The bodies whose events ``served`` may read in the audit log: None for every event
    (an administrator, including events about no body: sign-ins, the outbox, the
    configuration); else the bodies served (an event is about the body of its subject: a
    meeting, a vote on it, a member, the body itself)."""
    return None if served.admin else served.bodies
