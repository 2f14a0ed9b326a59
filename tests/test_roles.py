"""Who the Chair is, one precedence everywhere: a member holding the chair office, else the
configured ``chair_email``; the chat's staff roles follow it."""

from __future__ import annotations

from clerk.rules.roles import OfficeHolder, chair_of, may_see_status, staff_roles
from clerk.rules.terms import Body

BODY = Body(name="Carers Partnership", chair_email="chair@council.example.org",
            facilitator="facilitator@council.example.org")
ALICE = OfficeHolder("alice@example.org", "Alice Ashworth", "chair")
VERA = OfficeHolder("vera@example.org", "Vera Vance", "vice_chair")


def test_the_member_holding_the_office_is_the_chair_and_the_configured_address_is_not() -> None:
    chair = chair_of(BODY, [VERA, ALICE])
    assert chair is not None and (chair.email, chair.by) == ("alice@example.org", "office")
    assert staff_roles(BODY, "alice@example.org", "chair", chair) == {"chair"}
    assert staff_roles(BODY, "chair@council.example.org", None, chair) == frozenset()
    assert not may_see_status(BODY, staff_roles(BODY, "chair@council.example.org", None, chair))


def test_with_no_member_in_the_office_the_configured_address_is_the_chair() -> None:
    chair = chair_of(BODY, [VERA])
    assert chair is not None and (chair.email, chair.by) == ("chair@council.example.org",
                                                             "configuration")
    assert staff_roles(BODY, "Chair@Council.example.org", None, chair) == {"chair"}
    assert staff_roles(BODY, "vera@example.org", "vice_chair", chair) == {"vice_chair"}
    assert staff_roles(BODY, "facilitator@council.example.org", None, chair) == {"facilitator"}


def test_a_body_with_no_chair_anywhere() -> None:
    body = Body(name="Board")
    assert chair_of(body, [VERA]) is None
    assert staff_roles(body, "anyone@example.org", None, None) == frozenset()
