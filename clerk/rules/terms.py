"""A body's terms of reference as data: every policy section of ``[bodies.SLUG]`` in the
configuration, validated by pydantic. The rules read these; :mod:`clerk.config` loads them."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clerk.rules.frequency import FrequencyPolicy
from clerk.rules.people import Who
from clerk.rules.quorum import Condition, NoQuorum
from clerk.rules.substitutes import ChairPolicy, SubstitutePolicy
from clerk.rules.workdays import DayUnit

#: How a tie the count cannot settle is decided (``[bodies.X] elections.tie``; the count itself is
#: :mod:`clerk.rules.counting`, which takes it). Defined here, not there, so that reading the
#: configuration does not load the counting (and ``decimal``).
TieRule = Literal["lot", "chair_casting", "rerun"]


class Section(BaseModel):
    """A section of the configuration: unknown keys refused, values not coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PapersPolicy(Section):
    """When papers go out, and who agrees the agenda first."""

    notice: int = Field(default=7, ge=0)
    unit: DayUnit = "working_days"
    chair_approves_agenda: bool = True
    vice_chair_may_approve: bool = False
    attachment_limit_mb: float = Field(default=10, gt=0)
    large_papers: Literal["link", "separate"] = "separate"
    distribution_extra: list[str] = []
    #: Where the papers are put for ``large_papers = "link"`` (e.g. where ``clerk publish`` output
    #: is uploaded); a linked paper is ``{link_base_url}/{body}/{meeting}/{file}``.
    link_base_url: str = ""


class UnresolvedPolicy(Section):
    """Where a matter the body cannot resolve goes: ``refer_to`` a body (its slug, or its name,
    which the configuration resolves to the slug), and a note in words. The old form, a sentence
    (``unresolved = "referred to the Board"``), loads as the note alone: nothing is referred."""

    refer_to: str = ""
    note: str = ""


ReportEvery = Literal["meeting", "quarter", "half-year", "year"]


class ReportPolicy(Section):
    """A report this body makes to another: ``what`` it is, ``to`` which body (slug or name) and
    how often: at every meeting of that body, or at its first meeting of each quarter,
    half-year or year."""

    to: str = Field(min_length=1)
    what: str = Field(min_length=1)
    every: ReportEvery


_EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


class ReportInPolicy(Section):
    """A report this body receives from a group that is not a body in the configuration (a
    subgroup, the owner of the KPIs): ``from`` the group (its name), its ``lead`` (the address
    chased when the paper has not arrived), ``what`` it is and how often (as
    :class:`ReportPolicy`). A body names each group once (:func:`clerk.config.link_bodies`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    group: str = Field(alias="from", min_length=1)
    lead: str
    what: str = Field(min_length=1)
    every: ReportEvery

    @field_validator("lead")
    @classmethod
    def _lead_is_an_address(cls, value: str) -> str:
        if not _EMAIL.fullmatch(value.strip()):
            raise ValueError("must be an email address")
        return value.strip()


class DecisionPolicy(Section):
    """How decisions are taken, and what happens to those taken while inquorate."""

    method: Literal["vote", "consensus"] = "vote"
    when_inquorate: Literal["email_ratification", "next_meeting", "no_business"] = "next_meeting"
    electorate: Who = Who(voting=True)
    ratify_automatically: bool = False
    ballot_days: int = Field(default=7, ge=1)
    ballot_unit: DayUnit = "working_days"
    pass_rule: Literal["more_for_than_against", "majority_of_electorate", "unanimous"] = (
        "more_for_than_against"
    )
    participation: Condition | None = None
    unresolved: UnresolvedPolicy = UnresolvedPolicy()

    @field_validator("unresolved", mode="before")
    @classmethod
    def _sentence_is_a_note(cls, value: object) -> object:
        return {"note": value} if isinstance(value, str) else value


class ObserverPolicy(Section):
    """Whether the public may come, how many, and how booking works."""

    public: bool = False
    capacity: int = Field(default=0, ge=0)
    booking_closes_hours: int = Field(default=24, ge=0)
    offer_hold_hours: int = Field(default=24, ge=1)
    questions_via_member: bool = True
    keep_personal_data_days: int = Field(default=30, ge=0)
    note: str = ""


class AttendancePolicy(Section):
    """Confirming attendance, and when repeated absence is flagged."""

    flag_after_absences_without_notice: int | None = Field(default=None, ge=1)
    annual_report_month: int | None = Field(default=None, ge=1, le=12)


class MinutesPolicy(Section):
    """When minutes are due and what happens to them."""

    due: int | None = Field(default=None, ge=1)
    unit: DayUnit = "days"
    approved_at_next_meeting: bool = True
    publish: bool = False


class DeadlinePolicy(Section):
    """The reminders and warnings clerk keeps for each meeting (days before, in working days)."""

    invite_working_days_before: int | None = Field(default=None, ge=0)
    reminder_working_days_before: list[int] = [3]
    forecast_warning_working_days_before: int = Field(default=5, ge=0)
    agenda_chaser_working_days_before_papers: int = Field(default=2, ge=0)


Caller = Literal["chair", "member", "member_with_support"]
"""Who may call an extraordinary meeting: the Chair alone, any member alone, or a member with the
written support of another member."""


def callers_in_words(text: str) -> tuple[Caller, ...]:
    """The callers a ``called_by`` written in words names (files written before it was a list):
    "the Chair" gives ``chair``; "a member" gives ``member_with_support`` when the sentence speaks
    of support or of another member, else ``member``."""
    low = text.casefold()
    found: list[Caller] = []
    if "chair" in low:
        found.append("chair")
    if "member" in low:
        found.append("member_with_support" if ("support" in low or "another" in low
                                                or "second" in low) else "member")
    return tuple(found)


class ActionsPolicy(Section):
    """Action points: how many working days before an action is due its owner is reminded."""

    remind_working_days_before: int = Field(default=3, ge=0)


class ExtraordinaryPolicy(Section):
    """Extraordinary meetings: whether the body holds them, who may call one (``called_by``, a
    list of :data:`Caller`; a sentence in words is still read, see :func:`callers_in_words`), how
    soon after the request is complete it is held (``within_days``), and the terms' own words
    (``note``)."""

    allowed: bool = False
    within_days: int | None = Field(default=None, ge=1)
    called_by: list[Caller] | str = ["chair"]
    note: str = ""

    @property
    def callers(self) -> tuple[Caller, ...]:
        if isinstance(self.called_by, str):
            return callers_in_words(self.called_by)
        return tuple(self.called_by)

    @property
    def words(self) -> str:
        """Who may call one, in the terms' words where the file gives them."""
        if self.note:
            return self.note
        if isinstance(self.called_by, str):
            return self.called_by
        said = {"chair": "the Chair", "member": "any member",
                "member_with_support": "any member with the written support of another"}
        return ", or ".join(said[c] for c in self.called_by)


class ElectionPolicy(Section):
    """Elections: how a tie the count cannot settle is decided (``tie``, a
    :data:`TieRule`): ``lot`` drawn reproducibly from the election's
    published seed, ``chair_casting`` the Chair's casting vote, ``rerun`` the election is held
    again."""

    tie: TieRule = "lot"


class Body(Section):
    """One partnership body and the rules from its terms of reference."""

    name: str = Field(min_length=1)
    short_name: str = ""
    source: str = ""
    facilitator: str = ""
    chair_email: str = ""
    online_allowed: bool = True
    meetings: FrequencyPolicy = FrequencyPolicy()
    papers: PapersPolicy = PapersPolicy()
    quorum: Condition = NoQuorum()
    decisions: DecisionPolicy = DecisionPolicy()
    substitutes: SubstitutePolicy = SubstitutePolicy()
    chairing: ChairPolicy = ChairPolicy()
    observers: ObserverPolicy = ObserverPolicy()
    attendance: AttendancePolicy = AttendancePolicy()
    minutes: MinutesPolicy = MinutesPolicy()
    deadlines: DeadlinePolicy = DeadlinePolicy()
    actions: ActionsPolicy = ActionsPolicy()
    extraordinary: ExtraordinaryPolicy = ExtraordinaryPolicy()
    elections: ElectionPolicy = ElectionPolicy()
    declarations_of_interest: bool = True
    #: The bodies this one answers to (slugs, or names the configuration resolves to slugs): the
    #: one its unresolved decisions go to when it names just one and ``decisions.unresolved``
    #: names none.
    reports_to: list[str] = []
    reports: list[ReportPolicy] = []
    #: The reports groups that are not bodies make to this one (``[[bodies.X.reports_in]]``).
    reports_in: list[ReportInPolicy] = []

    @property
    def label(self) -> str:
        return self.short_name or self.name
