"""A body's elections (``/bodies/{slug}/elections``: the list, and adding one) and an election
(``/elections/{ref}``: its candidates and nominations, its state, how many have voted, closing
it, and the result with every counted ballot by its receipt).

Secret ballots: the console shows how many have voted, never who voted what; the ballots are
shown only once counted, by receipt, as the published result lists them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from clerk.elections import Election, add_election, close_election, get_election, list_elections
from clerk.elections import nominate as nominate_candidate
from clerk.elections.service import chair_of, decide_tie, rerun, voters_count
from clerk.errors import ClerkError, NotFound
from clerk.rules.access import may_close_ballot, may_decide_tie
from clerk.rules.counting import CountResult, Round, count_plurality, count_stv, show
from clerk.rules.terms import Body, TieRule
from clerk.times import in_words
from web.context import CHANNEL, actor, body_for, clerk_of, done, field, form, render, viewer

routes = web.RouteTableDef()

ONE_MINUTE = timedelta(minutes=1)  # a window closing at midnight is shown as closing at 23:59

#: How each tie rule of the configuration is said on the page.
TIE_WORDS = {"lot": "by lot, drawn from the seed published with the result",
             "chair_casting": "by the Chair's casting vote",
             "rerun": "by holding the election again"}
STATES = {"nominating": ("Taking nominations", "blue"), "voting": ("Voting", "green"),
          "closed": ("Closed", "grey")}
DATES = (("nominations", "Nominations close"), ("voting", "Voting closes"),
         ("effect", "The result takes effect"))


def _office(text: str) -> str:
    """An office as memberships hold it: ``Vice Chair`` -> ``vice_chair``."""
    return "_".join(text.lower().split())


def _office_words(office: str) -> str:
    return office.replace("_", " ")


def _day(data: Any, prefix: str) -> tuple[tuple[str, str, str], date | None]:
    parts = (field(data, f"{prefix}-day"), field(data, f"{prefix}-month"),
             field(data, f"{prefix}-year"))
    try:
        return parts, date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return parts, None


def _summary(request: web.Request, election: Election) -> dict[str, Any]:
    tz = clerk_of(request).tz
    label, colour = STATES.get(election.status, (election.status, "grey"))
    return {"ref": election.ref, "office": _office_words(election.office),
            "seats": election.seats, "state": label, "colour": colour,
            "nominations_close": in_words(election.nominations_close - ONE_MINUTE, tz),
            "voting_close": in_words(election.voting_close - ONE_MINUTE, tz),
            "elected": election.result.get("elected", [])}


def _list_page(request: web.Request, slug: str, body: Body, *,
               errors: Sequence[tuple[str, str]] = (), values: dict[str, Any] | None = None,
               status: int = 200) -> web.Response:
    app = clerk_of(request)
    found = [e for e in list_elections(app) if e.body == slug]
    return render(request, "console/elections.html", status=status, body=body, slug=slug,
                  title=f"Elections: {body.name}", errors=list(errors),
                  elections=[_summary(request, e) for e in reversed(found)],
                  values=values or {}, tie=TIE_WORDS[body.elections.tie],
                  may_add=may_close_ballot(viewer(request).served, slug).ok, dates=DATES)


@routes.get("/bodies/{slug}/elections")
async def elections_page(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    return _list_page(request, slug, body_for(request, slug))


@routes.post("/bodies/{slug}/elections")
async def add_page(request: web.Request) -> web.StreamResponse:
    slug = request.match_info["slug"]
    body = body_for(request, slug)
    data = await form(request)
    allowed = may_close_ballot(viewer(request).served, slug)
    if not allowed.ok:
        return render(request, "console/error.html", status=403,
                      title="You cannot add an election",
                      message="Only the facilitator adds an election.")
    office = _office(field(data, "office"))
    seats_text = field(data, "seats") or "1"
    values: dict[str, Any] = {"office": field(data, "office"), "seats": seats_text}
    days: dict[str, date | None] = {}
    errors: list[tuple[str, str]] = []
    for prefix, label in DATES:
        parts, day = _day(data, prefix)
        values[prefix] = parts
        days[prefix] = day
        if day is None and (prefix != "effect" or any(parts)):
            errors.append((f"{prefix}-day", f"{label}: enter a real date, like 30 11 2026"))
    if not office:
        errors.insert(0, ("office", "Enter the office, like chair or vice chair"))
    seats = int(seats_text) if seats_text.isdigit() else 0
    if seats < 1:
        errors.append(("seats", "Enter how many are to be elected, a whole number from 1"))
    nominations, voting = days["nominations"], days["voting"]
    if errors or nominations is None or voting is None:
        return _list_page(request, slug, body, errors=errors, values=values, status=400)
    try:
        election = add_election(clerk_of(request), slug, office, seats=seats,
                                nominations_close=nominations, voting_close=voting,
                                takes_effect=days["effect"], tie=body.elections.tie,
                                actor=actor(request), channel=CHANNEL)
    except ClerkError as exc:
        return _list_page(request, slug, body, errors=[("office", str(exc))], values=values,
                          status=400)
    raise done(request, f"/elections/{election.ref}",
               f"The election {election.ref} was added, and the call for nominations emailed "
               "to everyone who may vote.")


def _election(request: web.Request) -> Election:
    """The election named in the path, if the viewer serves its body (403 otherwise)."""
    try:
        election = get_election(clerk_of(request), request.match_info["ref"])
    except NotFound:
        raise web.HTTPNotFound() from None
    body_for(request, election.body)
    return election


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _said(stage: Round, *, ranked: bool) -> str:
    """What a stage of the count did, in a sentence."""
    if stage.action == "first":
        said = "First preferences counted" if ranked else "Votes counted"
    elif stage.action == "surplus":
        said = (f"{stage.of}'s surplus transferred at {show(stage.transfer_value or Decimal(0))}"
                " a vote")
    elif stage.action == "exclusion":
        said = f"{stage.of} excluded and their votes transferred"
    else:
        said = "As many candidates left as seats"
    settled = {"earlier_stage": "by an earlier stage", "lot": "by lot",
               "casting": "by the Chair's casting vote"}.get(stage.tie_by)
    if settled:
        said += f" (a tie between {_and(stage.tie_between)}, settled {settled})"
    if stage.elected:
        said += f"; elected: {', '.join(stage.elected)}"
    return said + "."


def _recount(election: Election, ballots: list[list[str]]) -> CountResult | None:
    """The count again from the published ballots, the seed and the tie rule (the rules are
    pure), to show it stage by stage; nothing when it does not give the recorded result (a tie
    a person decided)."""
    names = [c.name for c in election.standing]
    tie: TieRule = election.tie  # type: ignore[assignment]
    if not names:
        return None
    try:
        counted = (count_stv(ballots, names, election.seats, tie=tie, seed=election.seed)
                   if election.ranked else
                   count_plurality([b[0] for b in ballots if b], names, tie=tie,
                                   seed=election.seed))
    except ValueError:
        return None
    if list(counted.elected) != list(election.result.get("elected", [])):
        return None
    return counted


def _result(election: Election) -> dict[str, Any] | None:
    """The stored result as the page shows it; the ballots by receipt (their stored order)."""
    if election.status != "closed":
        return None
    result = election.result
    ballots = [{"receipt": b["receipt"], "choice": list(b["choice"])}
               for b in result.get("ballots", [])]
    counted = None if result.get("uncontested") else _recount(
        election, [b["choice"] for b in ballots])
    return {"uncontested": bool(result.get("uncontested")),
            "code": result.get("code", ""), "elected": list(result.get("elected", [])),
            "tied": list(result.get("tied", [])), "seed": result.get("seed", election.seed),
            "casting": list(result.get("casting", [])), "rerun": result.get("rerun", ""),
            "tied_before": list(result.get("tied_before", [])),
            "ballots": ballots,
            "quota": show(counted.quota) if counted and counted.quota is not None else "",
            "names": [c.name for c in election.standing],
            "stages": [{"number": r.number, "said": _said(r, ranked=election.ranked),
                        "votes": {n: show(v) for n, v in r.votes},
                        "non_transferable": show(r.non_transferable)}
                       for r in counted.rounds] if counted else []}


def _page(request: web.Request, election: Election, *, errors: Sequence[tuple[str, str]] = (),
          nominee: str = "", status: int = 200,
          rerun_values: tuple[str, str, str] = ("", "", "")) -> web.Response:
    app = clerk_of(request)
    body = body_for(request, election.body)
    voted, electorate = voters_count(app, election)
    summary = _summary(request, election)
    return render(
        request, "console/election.html", status=status, body=body, slug=election.body,
        election=election, summary=summary, errors=list(errors), nominee=nominee,
        title=f"Election: {summary['office']}, {body.name}",
        candidates=[{"name": c.name, "email": c.email, "nominated_by": c.nominated_by,
                     "seconded_by": c.seconded_by, "stands": c.stands}
                    for c in election.candidates],
        voted=voted, electorate=electorate, tie=TIE_WORDS.get(election.tie, election.tie),
        takes_effect=f"{election.takes_effect.day} {election.takes_effect:%B %Y}"
        if election.takes_effect else "",
        may_act=may_close_ballot(viewer(request).served, election.body).ok,
        may_decide=election.status == "closed" and election.tie == "chair_casting"
        and election.result.get("code") == "tie"
        and may_decide_tie(viewer(request).served, election.body).ok,
        may_rerun=election.status == "closed" and election.tie == "rerun"
        and election.result.get("code") == "tie" and not election.result.get("rerun")
        and may_close_ballot(viewer(request).served, election.body).ok,
        rerun_values=rerun_values,
        result=_result(election))


@routes.get("/elections/{ref}")
async def election_page(request: web.Request) -> web.StreamResponse:
    return _page(request, _election(request))


@routes.post("/elections/{ref}/nominate")
async def nominate_page(request: web.Request) -> web.StreamResponse:
    election = _election(request)
    data = await form(request)
    email = field(data, "nominee")
    if not may_close_ballot(viewer(request).served, election.body).ok:
        return render(request, "console/error.html", status=403,
                      title="You cannot nominate here",
                      message="Only the facilitator enters nominations in the console; a member "
                              "nominates by replying to the call for nominations.")
    if not email:
        return _page(request, election, errors=[("nominee", "Enter the email address of the "
                                                            "member nominated")], status=400)
    try:
        candidate = nominate_candidate(clerk_of(request), election.ref, email,
                                       by=actor(request), channel=CHANNEL)
    except ClerkError as exc:
        return _page(request, election, errors=[("nominee", str(exc))], nominee=email,
                     status=400)
    raise done(request, f"/elections/{election.ref}",
               f"{candidate.name} is nominated; they have been emailed to ask whether they "
               "stand.")


@routes.post("/elections/{ref}/close")
async def close_page(request: web.Request) -> web.StreamResponse:
    election = _election(request)
    await form(request)
    if not may_close_ballot(viewer(request).served, election.body).ok:
        return render(request, "console/error.html", status=403,
                      title="You cannot close this election",
                      message="Only the facilitator closes an election before its deadline.")
    path = f"/elections/{election.ref}"
    if election.status == "closed":
        raise done(request, path, "This election was already closed; nothing was changed or "
                                  "sent.")
    try:
        closed = close_election(clerk_of(request), election.ref, by=actor(request),
                                channel=CHANNEL)
    except ClerkError as exc:
        return _page(request, election, errors=[("close", str(exc))], status=400)
    outcome = _result(closed)
    if outcome and outcome["code"] == "tie":
        said = (f"The count ended in a tie between {', '.join(outcome['tied'])}, for a person "
                "to decide under the body's tie rule.")
    elif outcome and outcome["elected"]:
        said = f"Elected: {', '.join(outcome['elected'])}."
    else:
        said = "No one was elected."
    raise done(request, path, f"The election was closed and counted, and the result emailed to "
                              f"the members. {said}")


@routes.post("/elections/{ref}/decide")
async def decide_page(request: web.Request) -> web.StreamResponse:
    """The Chair's casting vote on a tied count: the Chair enters it, or the facilitator for
    them; the ballots are counted again with it and the result emailed as at a close."""
    election = _election(request)
    data = await form(request)
    served = viewer(request).served
    if not may_decide_tie(served, election.body).ok:
        return render(request, "console/error.html", status=403,
                      title="You cannot decide this tie",
                      message="Only the Chair, or the facilitator for them, enters the Chair's "
                              "casting vote.")
    path = f"/elections/{election.ref}"
    if election.status == "closed" and election.result.get("casting"):
        raise done(request, path, "The tie was already decided; nothing was changed or sent.")
    chosen = field(data, "casting")
    if not chosen:
        return _page(request, election, errors=[("casting", "Choose who the Chair's casting "
                                                            "vote goes to")], status=400)
    app = clerk_of(request)
    given_by = served.email if "chair" in served.roles.get(election.body, frozenset()) \
        else chair_of(app, election.body)
    try:
        decided = decide_tie(app, election.ref, (chosen,), given_by=given_by,
                             by=actor(request), channel=CHANNEL)
    except ClerkError as exc:
        return _page(request, election, errors=[("casting", str(exc))], status=400)
    elected = ", ".join(decided.result.get("elected", [])) or "no one"
    raise done(request, path, f"The Chair's casting vote was recorded and the ballots counted "
                              f"again: elected {elected}. The result was emailed to the members.")


@routes.post("/elections/{ref}/rerun")
async def rerun_page(request: web.Request) -> web.StreamResponse:
    """A tie under the rule ``rerun``: a new election between the tied candidates, voting open
    at once until the day given, ballots emailed."""
    election = _election(request)
    data = await form(request)
    if not may_close_ballot(viewer(request).served, election.body).ok:
        return render(request, "console/error.html", status=403,
                      title="You cannot hold this election again",
                      message="Only the facilitator holds a tied election again.")
    if election.result.get("rerun"):
        raise done(request, f"/elections/{election.result['rerun']}",
                   "The election is already being held again; nothing was changed or sent.")
    values, day = _day(data, "voting")
    if day is None:
        return _page(request, election, errors=[("voting-day", "Enter the day voting closes, "
                                                               "for example 11 12 2026")],
                     rerun_values=values, status=400)
    try:
        new = rerun(clerk_of(request), election.ref, day, by=actor(request), channel=CHANNEL)
    except ClerkError as exc:
        return _page(request, election, errors=[("voting-day", str(exc))], rerun_values=values,
                     status=400)
    raise done(request, f"/elections/{new.ref}",
               f"The election is held again between {_and([c.name for c in new.standing])}; "
               "ballots were emailed to the members.")
