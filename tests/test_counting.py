"""Counting an election (clerk.rules.counting): plurality, Scottish STV against published example
counts, and ties settled by each rule the configuration can name, the lot reproducibly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clerk.config import load_config
from clerk.rules.counting import (
    count_plurality,
    count_stv,
    draw_lot,
    lot_key,
    show,
)
from clerk.rules.terms import Body
from tests.app_fixtures import EXAMPLE_CONFIG


def _many(*groups: tuple[int, list[str]]) -> list[list[str]]:
    return [list(prefs) for n, prefs in groups for _ in range(n)]


# --- plurality -----------------------------------------------------------------------------


def test_plurality_elects_the_candidate_named_most() -> None:
    result = count_plurality(["Ann", "Bob", "Ann", "Cy", "Ann", "Bob"], ["Ann", "Bob", "Cy"],
                             tie="lot", seed="s")
    assert result.code == "elected"
    assert result.elected == ("Ann",)
    (first,) = result.rounds
    assert [(n, show(v)) for n, v in first.votes] == [("Ann", "3"), ("Bob", "2"), ("Cy", "1")]
    assert first.tie_between == () and first.tie_by == ""


def test_plurality_does_not_count_a_ballot_naming_no_candidate() -> None:
    result = count_plurality(["Ann", "Zed", "Bob", "Bob"], ["Ann", "Bob"], tie="lot", seed="s")
    assert result.elected == ("Bob",)
    assert result.invalid == 1


def test_plurality_tie_by_lot_is_drawn_from_the_seed_and_reproducible() -> None:
    ballots = ["Ann", "Bob", "Cy", "Ann", "Bob"]
    drawn = {count_plurality(ballots, ["Ann", "Bob", "Cy"], tie="lot", seed=seed).elected[0]
             for seed in ("one", "two", "three", "four", "five", "six", "seven", "eight")}
    assert drawn == {"Ann", "Bob"}, "the lot draws between the tied, and not always the same"
    result = count_plurality(ballots, ["Ann", "Bob", "Cy"], tie="lot", seed="2027-chair")
    again = count_plurality(ballots, ["Ann", "Bob", "Cy"], tie="lot", seed="2027-chair")
    assert result == again
    assert result.code == "elected"
    assert result.rounds[0].tie_between == ("Ann", "Bob")
    assert result.rounds[0].tie_by == "lot"
    # anyone can check the draw from the published seed: the lowest sha256 of SEED:STAGE:NAME
    keys = {name: lot_key("2027-chair", 1, name) for name in ("Ann", "Bob")}
    assert result.elected == (min(keys, key=lambda name: keys[name]),)
    assert draw_lot("2027-chair", 1, ["Bob", "Ann"]) == result.elected[0]


@pytest.mark.parametrize("rule", ["chair_casting", "rerun"])
def test_plurality_tie_left_for_a_person_under_casting_or_rerun(rule: str) -> None:
    result = count_plurality(["Ann", "Bob"], ["Ann", "Bob", "Cy"], tie=rule,  # type: ignore[arg-type]
                             seed="s")
    assert result.code == "tie"
    assert result.elected == ()
    assert result.tied == ("Ann", "Bob")


def test_plurality_tie_settled_by_the_chairs_casting_vote() -> None:
    result = count_plurality(["Ann", "Bob"], ["Ann", "Bob", "Cy"], tie="chair_casting",
                             seed="s", casting=["Bob"])
    assert result.code == "elected"
    assert result.elected == ("Bob",)
    assert result.rounds[0].tie_by == "casting"


def test_rerun_ignores_a_casting_vote() -> None:
    result = count_plurality(["Ann", "Bob"], ["Ann", "Bob"], tie="rerun", seed="s",
                             casting=["Bob"])
    assert result.code == "tie"


# --- STV: published examples ------------------------------------------------------------------


def test_stv_wikipedia_food_election() -> None:
    """The example count in Wikipedia's "Single transferable vote" article (section "Example"):
    20 voters choose 3 foods. 4 ballots Orange; 2 Pear, Orange; 8 Chocolate, Strawberry;
    4 Chocolate, Hamburger; 1 Strawberry; 1 Hamburger. Quota 6 (20 / 4 + 1). First
    preferences: Orange 4, Pear 2, Chocolate 12, Strawberry 1, Hamburger 1: Chocolate elected.
    Chocolate's surplus of 6 passes on at 0.5 a ballot: Strawberry 5, Hamburger 3. Pear is
    excluded and Orange reaches 6: elected. Hamburger is excluded, and Strawberry takes the last
    seat. Elected: Chocolate, Orange, Strawberry."""
    ballots = _many((4, ["Orange"]), (2, ["Pear", "Orange"]), (8, ["Chocolate", "Strawberry"]),
                    (4, ["Chocolate", "Hamburger"]), (1, ["Strawberry"]), (1, ["Hamburger"]))
    result = count_stv(ballots, ["Orange", "Pear", "Chocolate", "Strawberry", "Hamburger"], 3,
                       tie="lot", seed="s")
    assert result.code == "elected"
    assert result.quota == Decimal(6)
    assert result.elected == ("Chocolate", "Orange", "Strawberry")
    first, surplus, pear, hamburger, last = result.rounds
    assert [(n, show(v)) for n, v in first.votes] == [
        ("Orange", "4"), ("Pear", "2"), ("Chocolate", "12"), ("Strawberry", "1"),
        ("Hamburger", "1")]
    assert first.elected == ("Chocolate",)
    assert (surplus.action, surplus.of, surplus.transfer_value) == (
        "surplus", "Chocolate", Decimal("0.5"))
    assert surplus.votes_of("Strawberry") == 5 and surplus.votes_of("Hamburger") == 3
    assert (pear.action, pear.excluded, pear.elected) == ("exclusion", ("Pear",), ("Orange",))
    assert pear.votes_of("Orange") == 6
    assert hamburger.excluded == ("Hamburger",)
    assert hamburger.non_transferable == 3, "Hamburger's ballots name no one further"
    assert (last.action, last.elected) == ("remaining", ("Strawberry",))
    assert not any(r.tie_by for r in result.rounds), "no lot was needed"


def test_stv_wikipedia_cpo_stv_example_with_scottish_fractions() -> None:
    """The example in Wikipedia's "CPO-STV" article, which gives the STV result for comparison:
    100 voters, 3 seats. 25 ballots Andrea; 34 Carter, Brad, Delilah; 7 Brad, Delilah;
    8 Delilah, Brad; 5 Delilah, Scott; 21 Scott, Delilah. STV elects Carter, Scott and Andrea.
    Quota 26 (100 / 4 + 1). Carter's 34 first preferences elect him; his surplus of 8 passes to
    Brad at a transfer value of 8/34 = 0.23529 (5 decimal places, the remainder ignored, as the
    Scottish rules require): 34 x 0.23529 = 7.99986, Brad 14.99986, and 0.00014 is lost to the
    fractions. Delilah (13) is excluded: 8 to Brad (22.99986), 5 to Scott (26: elected). Brad is
    excluded (his ballots name no one continuing), and Andrea (25) takes the last seat."""
    ballots = _many((25, ["Andrea"]), (34, ["Carter", "Brad", "Delilah"]),
                    (7, ["Brad", "Delilah"]), (8, ["Delilah", "Brad"]),
                    (5, ["Delilah", "Scott"]), (21, ["Scott", "Delilah"]))
    result = count_stv(ballots, ["Andrea", "Carter", "Brad", "Delilah", "Scott"], 3,
                       tie="lot", seed="s")
    assert result.elected == ("Carter", "Scott", "Andrea")
    assert result.quota == 26
    first, surplus, delilah, brad, last = result.rounds
    assert first.elected == ("Carter",)
    assert surplus.transfer_value == Decimal("0.23529")
    assert show(surplus.votes_of("Brad")) == "14.99986"
    assert surplus.votes_of("Carter") == 26, "an elected candidate keeps the quota"
    assert dict(surplus.transfers)["Brad"] == Decimal("7.99986")
    assert surplus.non_transferable == Decimal("0.00014")
    assert (delilah.excluded, delilah.elected) == (("Delilah",), ("Scott",))
    assert show(delilah.votes_of("Brad")) == "22.99986" and delilah.votes_of("Scott") == 26
    assert brad.excluded == ("Brad",)
    assert last.elected == ("Andrea",)


def test_stv_surplus_of_transferred_ballots_passes_on_at_their_reduced_value() -> None:
    """Weighted inclusive Gregory: a candidate elected on transferred ballots passes each on at
    ``surplus x its value / their votes``, truncated to 5 places."""
    ballots = _many((9, ["A", "B", "C"]), (1, ["B", "D"]), (2, ["C"]), (3, ["D"]))
    # 15 ballots, 2 seats: quota 6. A 9: surplus 3 at 3/9 = 0.33333 a ballot to B: 2.99997,
    # B 3.99997 < 6. No surplus left: C (2) excluded, nothing further. B vs D: D 3 is lower...
    result = count_stv(ballots, ["A", "B", "C", "D"], 2, tie="lot", seed="s")
    assert result.quota == 6
    assert show(result.rounds[1].votes_of("B")) == "3.99997"
    assert result.elected == ("A", "B")


def test_stv_ballots_skip_elected_and_excluded_candidates_and_invalid_ones_are_not_counted() -> None:
    ballots = [*_many((4, ["B"])), ["A", "A", "C"], ["X", "A"], ["D", "B", "C"], [], ["Nobody"]]
    result = count_stv(ballots, ["A", "B", "C", "D"], 2, tie="lot", seed="s")
    assert result.invalid == 2
    assert result.quota == Decimal(3), "7 valid ballots, 2 seats: 7 / 3 + 1"
    first = result.rounds[0]
    assert (first.votes_of("A"), first.votes_of("B"), first.votes_of("D")) == (2, 4, 1)
    assert first.elected == ("B",)
    assert result.rounds[1].action == "surplus"
    assert result.rounds[1].non_transferable == 1, "B's ballots name no one further"
    assert result.rounds[2].excluded == ("C",)
    d_out = result.rounds[3]
    assert d_out.excluded == ("D",)
    assert d_out.non_transferable == 1, "D, B (elected), C (excluded): nowhere to go"
    assert result.elected == ("B", "A")


def test_stv_as_many_candidates_as_seats_are_elected_without_transfers() -> None:
    result = count_stv([["A"], ["A"], ["B"]], ["A", "B"], 2, tie="lot", seed="s")
    assert set(result.elected) == {"A", "B"}
    assert result.code == "elected"


def test_stv_equal_lowest_settled_by_an_earlier_stage() -> None:
    """C and D both have 3 after E's exclusion; at the first stage C had 3 and D 2, so D, lower
    at the first stage at which they differed, is excluded, with no lot."""
    ballots = _many((6, ["A", "D"]), (4, ["B"]), (3, ["C"]), (2, ["D"]), (1, ["E", "D"]))
    # 16 ballots, 2 seats: quota 6. A 6 is elected with no surplus.
    result = count_stv(ballots, ["A", "B", "C", "D", "E"], 2, tie="lot", seed="s")
    first, e_out, d_out = result.rounds[:3]
    assert first.elected == ("A",)
    assert e_out.excluded == ("E",) and e_out.votes_of("D") == e_out.votes_of("C") == 3
    assert d_out.excluded == ("D",)
    assert (d_out.tie_between, d_out.tie_by) == (("C", "D"), "earlier_stage")
    history = count_stv(_many((2, ["A"]), (2, ["B"]), (1, ["C", "B"]), (2, ["D"])),
                        ["A", "B", "C", "D"], 1, tie="rerun", seed="s")
    # quota 4. C (1) excluded: B 3. Now A 2 and D 2 are equal lowest, equal at every stage:
    # under "rerun" the count stops there with the tie.
    assert history.code == "tie"
    assert history.tied == ("A", "D")


@pytest.mark.parametrize("rule", ["chair_casting", "rerun"])
def test_stv_tie_at_every_stage_stops_for_a_person(rule: str) -> None:
    ballots = _many((3, ["A"]), (3, ["B"]), (2, ["C"]))
    result = count_stv(ballots, ["A", "B", "C"], 1, tie=rule,  # type: ignore[arg-type]
                       seed="s")
    # quota 5; C excluded (2, nothing further); A and B 3 each at every stage.
    assert result.code == "tie"
    assert result.tied == ("A", "B")
    assert result.elected == ()
    assert result.rounds[-1].excluded == ("C",)


def test_stv_tie_by_lot_and_by_casting_vote() -> None:
    ballots = _many((3, ["A"]), (3, ["B"]), (2, ["C"]))
    by_lot = count_stv(ballots, ["A", "B", "C"], 1, tie="lot", seed="forum-2027")
    assert by_lot == count_stv(ballots, ["A", "B", "C"], 1, tie="lot", seed="forum-2027")
    drawn = by_lot.rounds[-2].excluded[0]
    assert by_lot.rounds[-2].tie_by == "lot"
    assert drawn == draw_lot("forum-2027", by_lot.rounds[-2].number, ["A", "B"])
    assert by_lot.elected == tuple({"A", "B"} - {drawn})
    casting = count_stv(ballots, ["A", "B", "C"], 1, tie="chair_casting", seed="s",
                        casting=["A"])
    assert casting.code == "elected"
    assert casting.rounds[-2].tie_by == "casting"
    assert casting.rounds[-2].excluded == ("B",), "the Chair's casting vote keeps A"
    assert casting.elected == ("A",)


def test_count_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        count_stv([["A"]], ["A"], 0, tie="lot", seed="s")
    with pytest.raises(ValueError):
        count_plurality(["A"], [], tie="lot", seed="s")
    with pytest.raises(ValueError):
        count_plurality(["A"], ["A", "A"], tie="lot", seed="s")


# --- the tie rule in the configuration --------------------------------------------------------


def test_tie_rule_is_read_from_the_body_and_validated() -> None:
    assert Body(name="x").elections.tie == "lot"
    assert Body.model_validate({"name": "x", "elections": {"tie": "rerun"}}).elections.tie == "rerun"
    with pytest.raises(ValueError):
        Body.model_validate({"name": "x", "elections": {"tie": "coin"}})
    config = load_config(EXAMPLE_CONFIG)
    assert config.bodies["carers"].elections.tie == "lot"
