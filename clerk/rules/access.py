"""Who may use the facilitator's console and for which bodies, and how often a sign-in link may
be asked for (pure functions).

A body is served by its facilitator, its Chair (by office, else the configured ``chair_email``,
the precedence of :func:`clerk.rules.roles.chair_of`) and its vice-chair; the console's
administrators (``[web] admins``) serve every body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
