"""The privacy notice: what clerk holds about people, why, for how long and whom to ask, filled
from the configuration (``[retention]``, each body's ``observers.keep_personal_data_days`` and
facilitator, ``[clerk] privacy_contact``). The published site has it as ``privacy.html``
(:func:`clerk.records.publish.publish_site`) and the console at ``/privacy``; both render
:func:`privacy_notice`."""

from __future__ import annotations

from dataclasses import dataclass

from clerk.config import Config


@dataclass(frozen=True)
class Contact:
    """Whom to ask about one body: its name and its facilitator's address ("" if none)."""

    body: str
    facilitator: str


@dataclass(frozen=True)
class ObserverKeeping:
    """How long one body keeps its observers' details after the meeting (public bodies only)."""

    body: str
    days: int


@dataclass(frozen=True)
class PrivacyNotice:
    """Everything the notice says that comes from the configuration."""

    organisation: str
    privacy_contact: str
    raw_mail_days: int
    former_members_years: int
    observers: tuple[ObserverKeeping, ...]
    contacts: tuple[Contact, ...]


def privacy_notice(config: Config) -> PrivacyNotice:
    """The notice's facts, from ``config``."""
    bodies = sorted(config.bodies.values(), key=lambda b: b.name.casefold())
    return PrivacyNotice(
        organisation=config.clerk.organisation,
        privacy_contact=config.clerk.privacy_contact,
        raw_mail_days=config.retention.raw_mail_days,
        former_members_years=config.retention.former_members_years,
        observers=tuple(ObserverKeeping(b.name, b.observers.keep_personal_data_days)
                        for b in bodies if b.observers.public),
        contacts=tuple(Contact(b.name, b.facilitator) for b in bodies))
