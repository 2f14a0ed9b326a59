"""Extraordinary meetings (pure): whether a body holds them, whether a request is one its terms
accept (who asks, and who supports them), when a complete request must be met (``within_days``)
and when the facilitator is warned that no date has been set. Every answer is a Verdict whose
code (:data:`RequestCode`) the services and templates choose by."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from clerk.rules.terms import ExtraordinaryPolicy
from clerk.rules.verdict import Verdict

RequestCode = Literal[
    "not_allowed",  # the body's terms hold no extraordinary meetings
    "not_a_member",  # the person asking is not a member of the body
    "caller_not_allowed",  # neither the Chair nor a member may call one on their own here
    "supporter_needed",  # a member needs another member's support, and named nobody
    "supporter_not_member",  # the supporter named is not a member of the body
    "supporter_is_requester",  # a member cannot support their own request
    "awaiting_support",  # the supporter has not confirmed yet
    "support_declined",  # the supporter said no
    "complete",  # the terms are met: the meeting must be held
]

#: How many days before the deadline the facilitator (and the Chair) are warned that no date is set.
WARN_DAYS_BEFORE = 3
MORNING = time(9, 0)


def may_hold(policy: ExtraordinaryPolicy, body_name: str) -> Verdict:
    """Whether the body holds extraordinary meetings at all."""
    if not policy.allowed:
        return Verdict(False, f"the terms of reference of {body_name} make no provision for "
                       "extraordinary meetings", code="not_allowed")
    return Verdict(True, f"{body_name} may hold extraordinary meetings ({policy.words})",
                   code="complete")


def judge_request(policy: ExtraordinaryPolicy, body_name: str, *, is_member: bool,
                  is_chair: bool, supporter: bool, supporter_is_member: bool = False,
                  supporter_is_requester: bool = False,
                  support: Literal["confirmed", "declined", "awaiting"] = "awaiting") -> Verdict:
    """Whether a request meets the body's terms: refused (``not_allowed``, ``not_a_member``,
    ``caller_not_allowed``, ``supporter_*``), waiting for the supporter (``awaiting_support``,
    or ``support_declined``), or ``complete``. The Chair (where the terms let the Chair call one)
    needs no supporter; nor does a member where any member may."""
    held = may_hold(policy, body_name)
    if not held:
        return held
    callers = policy.callers
    if is_chair and "chair" in callers:
        return Verdict(True, "the Chair may call an extraordinary meeting at any time",
                       code="complete")
    if not is_member and not is_chair:
        return Verdict(False, f"only a member of {body_name} may ask for an extraordinary "
                       "meeting", code="not_a_member")
    if "member" in callers:
        return Verdict(True, "any member may call an extraordinary meeting", code="complete")
    if "member_with_support" not in callers:
        return Verdict(False, f"only {policy.words} may call an extraordinary meeting of "
                       f"{body_name}", code="caller_not_allowed")
    if not supporter:
        return Verdict(False, "a member's request needs the written support of another member, "
                       "and nobody was named", code="supporter_needed")
    if supporter_is_requester:
        return Verdict(False, "the supporter must be another member, not the one asking",
                       code="supporter_is_requester")
    if not supporter_is_member:
        return Verdict(False, f"the supporter named is not a member of {body_name}",
                       code="supporter_not_member")
    if support == "declined":
        return Verdict(False, "the member named as supporter does not support the request",
                       code="support_declined")
    if support == "awaiting":
        return Verdict(False, "waiting for the supporter to confirm in writing",
                       code="awaiting_support")
    return Verdict(True, "a member's request, supported in writing by another member",
                   code="complete")


def hold_by(policy: ExtraordinaryPolicy, complete_on: date) -> date | None:
    """The last day the meeting may be held: ``within_days`` after the day the request became
    complete (None when the terms set no limit)."""
    if policy.within_days is None:
        return None
    return complete_on + timedelta(days=policy.within_days)


def warn_at(last_day: date, zone: ZoneInfo, complete_on: date) -> datetime:
    """When the facilitator is warned that no date is set: 09:00 a few days before the last day
    (never before the day the request became complete)."""
    day = max(last_day - timedelta(days=WARN_DAYS_BEFORE), complete_on)
    return datetime.combine(day, MORNING, tzinfo=zone)


def lapse_at(last_day: date, zone: ZoneInfo) -> datetime:
    """When the facilitator and the Chair are told the deadline lapses today: 09:00 on the last day."""
    return datetime.combine(last_day, MORNING, tzinfo=zone)


def meets_deadline(last_day: date | None, meeting_day: date) -> Verdict:
    """Whether a meeting on ``meeting_day`` is held within the deadline."""
    if last_day is None or meeting_day <= last_day:
        return Verdict(True, "held within the time the terms allow", code="in_time")
    return Verdict(False, f"the terms ask for it to be held by {last_day:%-d %B %Y}",
                   code="late")
