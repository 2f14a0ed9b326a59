"""``clerk elections add|nominate|stand|open|show|close|decide|rerun|list``: elections with secret ballots."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json
from clerk.times import in_words

if TYPE_CHECKING:
    from clerk.app import Clerk
    from clerk.elections import Election

elections = typer.Typer(no_args_is_help=True, help="Elections with secret ballots by email.")
ElectionArg = Annotated[str, typer.Argument(help="The election, e.g. carers-2027-chair.")]
ONE_MINUTE = timedelta(minutes=1)


def register(app: typer.Typer) -> None:
    app.add_typer(elections, name="elections")


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{what} is a date like 2027-01-08") from exc


def _json(clerk: Clerk, e: Election) -> dict[str, Any]:
    from clerk.elections.service import voters_count

    voted, size = voters_count(clerk, e)
    return {"ref": e.ref, "body": e.body, "office": e.office, "seats": e.seats, "tie": e.tie,
            "status": e.status,
            "nominations_close": in_words(e.nominations_close - ONE_MINUTE, clerk.tz),
            "voting_close": in_words(e.voting_close - ONE_MINUTE, clerk.tz),
            "takes_effect": e.takes_effect.isoformat() if e.takes_effect else None,
            "candidates": [{"email": c.email, "name": c.name, "nominated_by": c.nominated_by,
                            "seconded_by": c.seconded_by, "stands": c.stands}
                           for c in e.candidates],
            "voted": voted, "electorate": size, "result": e.result}


def _say(text: str) -> None:
    console.print(text, markup=False)


@elections.command("add")
def add_cmd(
    body: Annotated[str, typer.Argument(help="The body, as named in the configuration.")],
    office: Annotated[str, typer.Option(help="The office, e.g. chair or vice_chair.")],
    nominations_close: Annotated[str, typer.Option(help="Last day for nominations.")],
    voting_close: Annotated[str, typer.Option(help="Last day for ballots.")],
    seats: Annotated[int, typer.Option(help="How many are elected (more than one: STV).")] = 1,
    takes_effect: Annotated[str, typer.Option(
        help="The day the elected take office (default: when the result is declared).")] = "",
    tie: Annotated[str, typer.Option(
        help="lot, chair_casting or rerun (default: the body's elections.tie).")] = "",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add an election and email the call for nominations to the electorate."""
    from clerk.elections import add_election
    from clerk.rules.counting import TIE_RULES

    if tie and tie not in TIE_RULES:
        raise typer.BadParameter(f"--tie is one of {', '.join(TIE_RULES)}")
    clerk = open_app(config)
    e = add_election(clerk, body, office, seats=seats,
                     nominations_close=_day(nominations_close, "--nominations-close"),
                     voting_close=_day(voting_close, "--voting-close"),
                     takes_effect=_day(takes_effect, "--takes-effect") if takes_effect else None,
                     tie=tie or None)
    if as_json:
        print_json(_json(clerk, e))
        return
    _say(f"{e.ref}: nominations open until "
         f"{in_words(e.nominations_close - ONE_MINUTE, clerk.tz)}; voting closes "
         f"{in_words(e.voting_close - ONE_MINUTE, clerk.tz)}.")


@elections.command("nominate")
def nominate_cmd(election: ElectionArg,
                 email: Annotated[str, typer.Argument(help="The member nominated.")],
                 by: Annotated[str, typer.Option(
                     help="Who nominates (a second nominator seconds).")] = "facilitator",
                 config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Nominate a member; they are emailed to ask whether they stand."""
    from clerk.elections import nominate

    clerk = open_app(config)
    c = nominate(clerk, election, email, by=by)
    if as_json:
        print_json(c.__dict__)
        return
    _say(f"{c.name} nominated by {c.nominated_by}"
         + (f", seconded by {c.seconded_by}" if c.seconded_by else "") + f"; stands: {c.stands}.")


@elections.command("stand")
def stand_cmd(election: ElectionArg,
              email: Annotated[str, typer.Argument(help="The candidate.")],
              no: Annotated[bool, typer.Option("--no", help="They do not stand.")] = False,
              config: ConfigOption = None) -> None:
    """Record a candidate's answer given other than by email."""
    from clerk.elections import stand

    c = stand(open_app(config), election, email, not no)
    _say(f"{c.name}: {'stands' if c.stands == 'yes' else 'does not stand'}.")


@elections.command("open")
def open_cmd(election: ElectionArg, config: ConfigOption = None) -> None:
    """Close nominations now and open voting (or declare an uncontested result)."""
    from clerk.elections import open_voting

    clerk = open_app(config)
    e = open_voting(clerk, election)
    _say(_line(clerk, e))


def _line(clerk: Clerk, e: Election) -> str:
    from clerk.elections.service import voters_count

    if e.status == "nominating":
        state = (f"nominations until {in_words(e.nominations_close - ONE_MINUTE, clerk.tz)}; "
                 f"{len(e.candidates)} nominated, {len(e.standing)} standing")
    elif e.status == "voting":
        voted, size = voters_count(clerk, e)
        state = (f"voting until {in_words(e.voting_close - ONE_MINUTE, clerk.tz)}; "
                 f"{voted} of {size} have voted")
    else:
        elected = ", ".join(e.result.get("elected", [])) or "no one"
        how = " unopposed" if e.result.get("uncontested") else ""
        state = f"closed: elected{how} {elected}" + (
            f" (tie: {', '.join(e.result['tied'])})" if e.result.get("code") == "tie" else "") + (
            f"; held again as {e.result['rerun']}" if e.result.get("rerun") else "")
    return f"{e.ref}: {e.office} of {e.body} ({e.seats} seat{'s' if e.seats > 1 else ''}): {state}"


@elections.command("show")
def show_cmd(election: ElectionArg, config: ConfigOption = None,
             as_json: JsonOption = False) -> None:
    """An election: its candidates, how many have voted, the result with every receipt."""
    from clerk.elections import get_election

    clerk = open_app(config)
    e = get_election(clerk, election)
    if as_json:
        print_json(_json(clerk, e))
        return
    _say(_line(clerk, e))
    for c in e.candidates:
        _say(f"  {c.name} <{c.email}>: nominated by {c.nominated_by}"
             + (f", seconded by {c.seconded_by}" if c.seconded_by else "")
             + f"; stands: {c.stands}")
    for b in e.result.get("ballots", []):
        _say(f"  ballot {b['receipt']}: {', '.join(b['choice'])}")


@elections.command("close")
def close_cmd(election: ElectionArg, config: ConfigOption = None) -> None:
    """Close voting now, count, announce the result and record it."""
    from clerk.elections import close_election

    clerk = open_app(config)
    _say(_line(clerk, close_election(clerk, election)))


@elections.command("decide")
def decide_cmd(election: ElectionArg,
               casting: Annotated[str, typer.Option(
                   help="The Chair's casting vote: the tied candidates in order, comma-separated "
                        "(names or emails).")],
               given_by: Annotated[str, typer.Option(
                   help="Who gave the casting vote (default: the body's chair).")] = "",
               config: ConfigOption = None) -> None:
    """Settle a tie by the Chair's casting vote: count again, announce and record the result."""
    from clerk.elections import decide_tie, get_election
    from clerk.elections.service import chair_of

    clerk = open_app(config)
    e = get_election(clerk, election)
    order = tuple(n.strip() for n in casting.split(",") if n.strip())
    _say(_line(clerk, decide_tie(clerk, election, order,
                                 given_by=given_by or chair_of(clerk, e.body))))


@elections.command("rerun")
def rerun_cmd(election: ElectionArg,
              voting_close: Annotated[str, typer.Option(help="Last day for ballots.")],
              config: ConfigOption = None) -> None:
    """Hold a tied election again between the tied candidates: ballots are emailed now."""
    from clerk.elections import rerun

    clerk = open_app(config)
    _say(_line(clerk, rerun(clerk, election, _day(voting_close, "--voting-close"))))


@elections.command("list")
def list_cmd(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every election, oldest first."""
    from clerk.elections import list_elections

    clerk = open_app(config)
    found = list_elections(clerk)
    if as_json:
        print_json([_json(clerk, e) for e in found])
        return
    for e in found:
        _say(_line(clerk, e))
    if not found:
        _say("No elections.")
