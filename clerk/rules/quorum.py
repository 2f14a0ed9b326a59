"""Quorum as data: a few combinable conditions, evaluated over who is (or may be) in the room.

A body's rule is built from:

- ``{ at_least = N, who = {...}, label = "carers" }``: at least N seats matching ``who`` are filled;
- ``{ office = "chair", in_person = true }``: the office holder is there (or, unless ``in_person``,
  their substitute);
- ``{ distinct = "organisation", at_least = N, who = {...} }``: the seats filled come from at least N
  different organisations (or sectors, roles);
- ``{ all_of = [...] }`` and ``{ any_of = [...] }``;
- ``{ none = "reason" }``: the body has no quorum; any meeting is quorate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from clerk.rules.people import Attendee, Who
from clerk.rules.verdict import Verdict, plural


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AtLeast(_Condition):
    """At least N seats matching ``who`` are filled."""

    at_least: int = Field(ge=1)
    who: Who = Who()
    label: str = ""

    def describe(self) -> str:
        return f"at least {self.at_least} {self.label or self.who.describe() + 's'}"

    def evaluate(self, present: Sequence[Attendee]) -> Verdict:
        matching = [a for a in present if self.who.matches(a)]
        noun = self.label or self.who.describe() + "s"
        count = len(matching)
        if count >= self.at_least:
            reason = f"{count} {noun} present; {self.at_least} needed"
        else:
            verb = "is" if count == 1 else "are"
            reason = f"{count} of the {self.at_least} {noun} needed {verb} present"
        return Verdict(count >= self.at_least, reason)


class OfficePresent(_Condition):
    """The holder of an office is there, or their substitute unless ``in_person`` is true."""

    office: str
    in_person: bool = False
    label: str = ""

    def describe(self) -> str:
        title = self.label or self.office.replace("_", "-").title()
        return f"the {title} in person" if self.in_person else f"the {title} (or a substitute)"

    def evaluate(self, present: Sequence[Attendee]) -> Verdict:
        title = self.label or self.office.replace("_", "-").title()
        holders = [a for a in present if a.seat.office.casefold() == self.office.casefold()]
        personal = [a for a in holders if a.in_person]
        if personal:
            return Verdict(True, f"the {title} ({personal[0].seat.name}) is present")
        if holders and not self.in_person:
            return Verdict(True, f"the {title} is represented by {holders[0].substitute}")
        if holders:
            return Verdict(
                False,
                f"the {title} must be present in person; "
                f"{holders[0].substitute} is only their substitute",
            )
        return Verdict(False, f"the {title} is not present" + ("" if self.in_person else
                                                            " and has sent no substitute"))


class Distinct(_Condition):
    """Seats filled come from at least N different values of an attribute."""

    distinct: Literal["organisation", "sector", "role"]
    at_least: int = Field(ge=1)
    who: Who = Who()
    label: str = ""

    def describe(self) -> str:
        return f"at least {self.at_least} different {self.label or self.distinct + 's'}"

    def evaluate(self, present: Sequence[Attendee]) -> Verdict:
        values = sorted({getattr(a.seat, self.distinct) for a in present
                         if self.who.matches(a) and getattr(a.seat, self.distinct)})
        noun = self.label or plural(self.at_least, self.distinct).split(" ", 1)[1]
        listed = f" ({', '.join(values)})" if values else ""
        if len(values) >= self.at_least:
            return Verdict(True, f"{len(values)} different {noun} represented{listed}; "
                                 f"{self.at_least} needed")
        verb = "is" if len(values) == 1 else "are"
        return Verdict(False, f"only {len(values)} of the {self.at_least} different {noun} "
                              f"needed {verb} represented{listed}")


class NoQuorum(_Condition):
    """The body sets no quorum: every meeting is quorate."""

    none: str = "the terms of reference set no quorum"

    def describe(self) -> str:
        return f"no quorum ({self.none})"

    def evaluate(self, present: Sequence[Attendee]) -> Verdict:
        return Verdict(True, self.none)


class AllOf(_Condition):
    """Every condition must hold."""

    all_of: list[Condition] = Field(min_length=1)
    label: str = ""

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.all_of)

    def evaluate(self, present: Sequence[Attendee]) -> Verdict:
        parts = tuple(c.evaluate(present) for c in self.all_of)
        failed = [p for p in parts if not p.ok]
        if not failed:
            return Verdict(True, self.label or "; ".join(p.reason for p in parts), parts)
        return Verdict(False, "; ".join(p.reason for p in failed), parts)


class AnyOf(_Condition):
    """At least one condition must hold."""

    any_of: list[Condition] = Field(min_length=1)
    label: str = ""

    def describe(self) -> str:
        return "(" + " or ".join(c.describe() for c in self.any_of) + ")"

    def evaluate(self, present: Sequence[Attendee]) -> Verdict:
        parts = tuple(c.evaluate(present) for c in self.any_of)
        passed = [p for p in parts if p.ok]
        if passed:
            return Verdict(True, passed[0].reason, parts)
        return Verdict(False, (self.label + ": " if self.label else "")
                       + " and ".join(p.reason for p in parts), parts)


_KINDS = {"all_of": "all_of", "any_of": "any_of", "at_least": "at_least", "office": "office",
          "distinct": "distinct", "none": "none"}


def _kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if not isinstance(value, dict):
        return None
    for key in ("all_of", "any_of", "office", "distinct", "none", "at_least"):
        if key in value:
            return _KINDS[key]
    return None


Condition = Annotated[
    Annotated[AllOf, Tag("all_of")]
    | Annotated[AnyOf, Tag("any_of")]
    | Annotated[AtLeast, Tag("at_least")]
    | Annotated[OfficePresent, Tag("office")]
    | Annotated[Distinct, Tag("distinct")]
    | Annotated[NoQuorum, Tag("none")],
    Discriminator(
        _kind,
        custom_error_type="quorum_condition",
        custom_error_message=(
            "must be a table with one of all_of, any_of, at_least, office, distinct or none"
        ),
    ),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()


def evaluate(rule: Condition, present: Iterable[Attendee]) -> Verdict:
    """Is a meeting with these attendees quorate under ``rule``? The verdict says why."""
    seats: dict[str, Attendee] = {}
    for attendee in present:  # one seat counts once, however often it is listed
        seats.setdefault(attendee.seat.email, attendee)
    return rule.evaluate(list(seats.values()))
