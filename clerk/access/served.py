"""The bodies an address serves in the console, read from the configuration and the
membership (the rule is :func:`clerk.rules.access.bodies_served`)."""

from __future__ import annotations

from sqlite_utils import Database

from clerk.app import Clerk
from clerk.people.officers import office_holders
from clerk.rules.access import Served, bodies_served


def served_by(app: Clerk, db: Database, email: str) -> Served:
    """What ``email`` serves now (reads only)."""
    holders = {slug: office_holders(db, slug) for slug in app.config.bodies}
    return bodies_served(app.config.bodies, email, holders, app.config.web.admins)
