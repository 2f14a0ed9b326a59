"""The bodies an address serves in the console, read from the configuration and the
membership (the rule is :func:`clerk.rules.access.bodies_served`)."""

from __future__ import annotations

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.people.officers import office_holders_by_body
from clerk.rules.access import Served, bodies_served


def served_by(app: Clerk, db: Database, email: str) -> Served:
    """What ``email`` serves now (reads only)."""
    return bodies_served(app.config.bodies, email, office_holders_by_body(db),
                         app.config.web.admins)
