"""Each body's quorum rule, met and not met, on realistic attendance from the example membership."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clerk.app import Clerk
from clerk.attendance.register import RecordAttendance, record_attendance
from clerk.attendance.replies import RecordReply, record_reply
from clerk.meetings.schedule import AddMeeting, add_meeting, get_meeting
from clerk.people.membership import list_members
from clerk.rules import quorum
from clerk.rules.people import Attendee, Seat
from clerk.times import parse_local


def members(app: Clerk, body: str) -> list[dict]:
    return list_members(app, body)


def by_office(app: Clerk, body: str, office: str) -> dict:
    return next(m for m in members(app, body) if m["office"] == office)


def meeting(app: Clerk, body: str, when: str = "2027-01-14 10:00") -> str:
    return add_meeting(app, AddMeeting(body=body, starts_at=parse_local(when, app.tz),
                                       venue="County Hall")).ref


def register(app: Clerk, ref: str, present: list[str], subs: list[tuple[str, str]] = ()):
    app.clock.set(get_meeting(app, ref).starts_at + timedelta(hours=2))  # type: ignore[attr-defined]
    return record_attendance(app, RecordAttendance(meeting=ref, present=tuple(present),
                                                   substitutes=tuple(subs)))


# --- Carers Partnership: at least three carers ------------------------------------------------

def test_carers_quorate_with_three_carers(clerk_app: Clerk) -> None:
    ms = members(clerk_app, "carers")
    carers = [m["email"] for m in ms if m["carer"]][:3]
    officers = [m["email"] for m in ms if m["role"] == "officer"][:4]
    result = register(clerk_app, meeting(clerk_app, "carers"), carers + officers)
    assert result.quorum.ok
    assert result.quorum.reason == "3 carers present; 3 needed"


def test_carers_inquorate_with_two_carers_and_many_officers(clerk_app: Clerk) -> None:
    ms = members(clerk_app, "carers")
    carers = [m["email"] for m in ms if m["carer"]][:2]
    officers = [m["email"] for m in ms if m["role"] == "officer"]
    result = register(clerk_app, meeting(clerk_app, "carers"), carers + officers)
    assert not result.quorum.ok
    assert result.quorum.reason == "2 of the 3 carers needed are present"


def test_carers_substitute_for_a_carer_does_not_count_as_a_carer(clerk_app: Clerk) -> None:
    ms = [m for m in members(clerk_app, "carers") if m["carer"]]
    ref = meeting(clerk_app, "carers")
    record_reply(clerk_app, RecordReply(ref, ms[2]["email"], "substitute",
                                        substitute_email="jane.smith@example.org",
                                        substitute_name="Jane Smith"))
    result = register(clerk_app, ref, [ms[0]["email"], ms[1]["email"], "jane.smith@example.org"])
    assert not result.quorum.ok
    assert "2 of the 3 carers" in result.quorum.reason
    assert ms[2]["email"] in result.present  # the seat is filled, by the substitute


# --- Worcestershire Partnership: consensus, no quorum ------------------------------------------

def test_worcs_partnership_has_no_quorum(clerk_app: Clerk) -> None:
    chair = by_office(clerk_app, "worcs-partnership", "chair")
    result = register(clerk_app, meeting(clerk_app, "worcs-partnership"), [chair["email"]])
    assert result.quorum.ok
    assert "consensus" in result.quorum.reason


# --- JCB: Chair and Vice (or substitutes) + 1 other; Chair or Vice in person; PCT and Council ---

def jcb(app: Clerk) -> dict[str, dict]:
    ms = [m for m in members(app, "cypsp-jcb") if not m["advisory"]]
    out = {"chair": by_office(app, "cypsp-jcb", "chair"),
           "vice": by_office(app, "cypsp-jcb", "vice_chair"),
           "cabinet": by_office(app, "cypsp-jcb", "cabinet_member")}
    out["pct"] = next(m for m in ms if m["organisation"] == "PCT" and not m["office"])
    out["council"] = next(m for m in ms if m["organisation"] == "Council" and not m["office"])
    return out


def test_jcb_quorate_with_chair_vice_and_one_other(clerk_app: Clerk) -> None:
    j = jcb(clerk_app)
    result = register(clerk_app, meeting(clerk_app, "cypsp-jcb"),
                      [j["chair"]["email"], j["vice"]["email"], j["pct"]["email"]])
    assert result.quorum.ok, result.quorum.reason
    assert result.chair.reason.startswith(j["chair"]["name"])


def test_jcb_chair_substitute_counts_but_vice_chairs(clerk_app: Clerk) -> None:
    j = jcb(clerk_app)
    ref = meeting(clerk_app, "cypsp-jcb")
    result = register(clerk_app, ref, [j["vice"]["email"], j["council"]["email"]],
                      subs=[(j["chair"]["substitute"], j["chair"]["email"])])
    assert result.quorum.ok, result.quorum.reason
    assert result.chair.ok
    assert result.chair.reason == f"{j['vice']['name']} (vice-chair) chairs"


def test_jcb_inquorate_when_only_substitutes_could_chair(clerk_app: Clerk) -> None:
    j = jcb(clerk_app)
    result = register(clerk_app, meeting(clerk_app, "cypsp-jcb"),
                      [j["pct"]["email"], j["council"]["email"]],
                      subs=[(j["chair"]["substitute"], j["chair"]["email"]),
                            (j["vice"]["substitute"], j["vice"]["email"])])
    assert not result.quorum.ok
    assert "someone must chair" in result.quorum.reason
    assert not result.chair.ok
    assert "may not chair" in result.chair.reason


def test_jcb_inquorate_without_the_other_member(clerk_app: Clerk) -> None:
    j = jcb(clerk_app)
    result = register(clerk_app, meeting(clerk_app, "cypsp-jcb"),
                      [j["chair"]["email"], j["vice"]["email"]])
    assert not result.quorum.ok
    assert result.quorum.reason == "2 of the 3 members (or their substitutes) needed are present"


def test_jcb_advisory_members_do_not_count(clerk_app: Clerk) -> None:
    j = jcb(clerk_app)
    advisers = [m["email"] for m in members(clerk_app, "cypsp-jcb") if m["advisory"]]
    result = register(clerk_app, meeting(clerk_app, "cypsp-jcb"),
                      [j["chair"]["email"], j["vice"]["email"], *advisers])
    assert not result.quorum.ok


def test_jcb_needs_a_pct_member(clerk_app: Clerk) -> None:
    j = jcb(clerk_app)
    result = register(clerk_app, meeting(clerk_app, "cypsp-jcb"),
                      [j["chair"]["email"], j["cabinet"]["email"], j["council"]["email"]])
    assert not result.quorum.ok
    assert "the Vice-Chair is not present" in result.quorum.reason
    assert "0 of the 1 PCT members needed are present" in result.quorum.reason


def test_jcb_substitute_must_be_named(clerk_app: Clerk) -> None:
    j = jcb(clerk_app)
    ref = meeting(clerk_app, "cypsp-jcb")
    refused = record_reply(clerk_app, RecordReply(ref, j["pct"]["email"], "substitute",
                                                  substitute_email="someone.else@example.org"))
    assert refused.reply == "apologies" and refused.refused_substitute is not None
    assert "named substitutes" in refused.refused_substitute.reason
    out = record_reply(clerk_app, RecordReply(ref, j["pct"]["email"], "substitute",
                                              substitute_email=j["pct"]["substitute"]))
    assert out.reply == "substitute"


# --- PAB: Chair or Vice in person + 5 others from 2+ agencies; no substitutes for them -------

def test_pab_quorate_with_chair_and_five_from_several_agencies(clerk_app: Clerk) -> None:
    ms = members(clerk_app, "cypsp-pab")
    chair = by_office(clerk_app, "cypsp-pab", "chair")
    others = [m["email"] for m in ms if not m["office"]][:5]
    result = register(clerk_app, meeting(clerk_app, "cypsp-pab"), [chair["email"], *others])
    assert result.quorum.ok, result.quorum.reason


def test_pab_inquorate_with_four_others(clerk_app: Clerk) -> None:
    ms = members(clerk_app, "cypsp-pab")
    vice = by_office(clerk_app, "cypsp-pab", "vice_chair")
    others = [m["email"] for m in ms if not m["office"]][:4]
    result = register(clerk_app, meeting(clerk_app, "cypsp-pab"), [vice["email"], *others])
    assert not result.quorum.ok
    assert "5 of the 6 members" in result.quorum.reason


def test_pab_inquorate_without_chair_or_vice_even_with_many_others(clerk_app: Clerk) -> None:
    ms = members(clerk_app, "cypsp-pab")
    others = [m["email"] for m in ms if not m["office"]]
    result = register(clerk_app, meeting(clerk_app, "cypsp-pab"), others)
    assert not result.quorum.ok
    assert "Chair or Vice-Chair must be present" in result.quorum.reason


def test_pab_chair_may_not_send_a_substitute(clerk_app: Clerk) -> None:
    chair = by_office(clerk_app, "cypsp-pab", "chair")
    ref = meeting(clerk_app, "cypsp-pab")
    out = record_reply(clerk_app, RecordReply(ref, chair["email"], "substitute",
                                              substitute_email="deputy@example.org"))
    assert out.reply == "apologies" and out.refused_substitute is not None
    assert out.refused_substitute.reason == "the chair may not send a substitute"


def test_pab_member_substitute_counts(clerk_app: Clerk) -> None:
    ms = members(clerk_app, "cypsp-pab")
    chair = by_office(clerk_app, "cypsp-pab", "chair")
    others = [m for m in ms if not m["office"]][:5]
    ref = meeting(clerk_app, "cypsp-pab")
    record_reply(clerk_app, RecordReply(ref, others[0]["email"], "substitute",
                                        substitute_email="stand.in@example.org",
                                        substitute_name="Stand In"))
    present = [chair["email"], "stand.in@example.org", *[m["email"] for m in others[1:]]]
    assert register(clerk_app, ref, present).quorum.ok


def test_pab_single_agency_is_not_enough() -> None:
    from clerk.config import load_config
    from tests.app_fixtures import EXAMPLE_CONFIG

    rule = load_config(EXAMPLE_CONFIG).bodies["cypsp-pab"].quorum
    seats = [Seat(f"p{i}@example.org", f"P{i}", office="chair" if i == 0 else "",
                  organisation="West Mercia Police") for i in range(6)]
    verdict = quorum.evaluate(rule, [Attendee(s) for s in seats])
    assert not verdict.ok
    assert "only 1 of the 2 different partner agencies needed is represented" in verdict.reason


# --- Programme Board and CYPSP Board 2021: no quorum set -----------------------------------------

@pytest.mark.parametrize("body", ["cypsp-programme", "cypsp-board"])
def test_boards_without_quorum_rule(clerk_app: Clerk, body: str) -> None:
    chair = by_office(clerk_app, body, "chair")
    result = register(clerk_app, meeting(clerk_app, body), [chair["email"]])
    assert result.quorum.ok
    assert "no quorum" in result.quorum.reason


def test_a_person_listed_twice_counts_once() -> None:
    from clerk.rules.people import Who
    from clerk.rules.quorum import AtLeast

    seat = Seat("a@example.org", "A", carer=True)
    verdict = quorum.evaluate(AtLeast(at_least=2, who=Who(carer=True)),
                              [Attendee(seat), Attendee(seat)])
    assert not verdict.ok
