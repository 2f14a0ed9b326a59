"""A ratification vote (``/votes/{ref}``): the decisions, the tally as it stands, the deadline;
who has voted (to the body's facilitator only); verify it from the audit log; close it early."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from clerk.ballots import (
    Ballot,
    close_ballot,
    current_tally,
    get_ballot,
    verify_ballot,
    voters,
)
from clerk.errors import NotFound
from clerk.rules.access import may_close_ballot, may_see_voters
from clerk.times import day_in_words, in_words
from web.context import CHANNEL, actor, body_for, clerk_of, done, form, render, viewer

routes = web.RouteTableDef()

ONE_MINUTE = timedelta(minutes=1)  # a vote closing at midnight is shown as closing at 23:59


def _ballot(request: web.Request) -> Ballot:
    """The vote named in the path, if the viewer serves its body (403 otherwise)."""
    try:
        ballot = get_ballot(clerk_of(request), request.match_info["ref"])
    except NotFound:
        raise web.HTTPNotFound() from None
    body_for(request, ballot.meeting.body)
    return ballot


def _page(request: web.Request, ballot: Ballot, *, verification: tuple[str, ...] = (),
          verified: bool | None = None) -> web.Response:
    app = clerk_of(request)
    body = body_for(request, ballot.meeting.body)
    served = viewer(request).served
    result = current_tally(app, ballot)
    texts = dict(ballot.decisions)
    closes = in_words(ballot.closes_at - ONE_MINUTE, app.tz)
    if ballot.closed_at is not None:
        state = ("Closed early by the facilitator on " if ballot.closed_early else "Closed on ") \
            + in_words(ballot.closed_at, app.tz)
    else:
        state = f"Open until {closes}"
    shown = may_see_voters(served, ballot.meeting.body)
    return render(
        request, "console/vote.html", ballot=ballot, body=body, slug=ballot.meeting.body,
        meeting_title=f"{body.name} meeting, {day_in_words(ballot.meeting.starts_at, app.tz)}",
        state=state, closes=closes, is_open=ballot.status == "open",
        participation=result.participation,
        decisions=[{"number": d.number, "text": texts[d.number], "approve": d.approve,
                    "reject": d.reject, "abstain": d.abstain, "ratified": d.ratified,
                    "reason": d.reason} for d in result.decisions],
        voted=len(result.voted), electorate=len(ballot.electorate),
        voters=[{"name": v.name, "email": v.email, "channel": v.channel, "votes": v.votes,
                 "when": in_words(v.voted_at, app.tz) if v.voted_at else ""}
                for v in voters(app, ballot)] if shown else None,
        may_close=may_close_ballot(served, ballot.meeting.body).ok,
        verification=verification, verified=verified)


@routes.get("/votes/{ref}")
async def vote_page(request: web.Request) -> web.StreamResponse:
    return _page(request, _ballot(request))


@routes.get("/votes/{ref}/verify")
async def verify_page(request: web.Request) -> web.StreamResponse:
    """The vote recomputed from the audit log alone (reads only, like ``clerk ratify verify``)."""
    ballot = _ballot(request)
    check = verify_ballot(clerk_of(request), ballot.ref)
    lines = check.lines
    if not may_see_voters(viewer(request).served, ballot.meeting.body):
        # a failed check names the voters concerned: who voted is the facilitator's to see
        lines = tuple("FAILED: this check failed; the facilitator can see which voters it "
                      "concerns" if "@" in line else line for line in lines)
    return _page(request, ballot, verification=lines, verified=check.ok)


@routes.post("/votes/{ref}/close")
async def close_vote(request: web.Request) -> web.StreamResponse:
    ballot = _ballot(request)
    await form(request)
    path = f"/votes/{ballot.ref}"
    allowed = may_close_ballot(viewer(request).served, ballot.meeting.body)
    if not allowed.ok:
        return render(request, "console/error.html", status=403, title="You cannot close this "
                      "vote", message=f"{allowed.reason[0].upper()}{allowed.reason[1:]}.")
    app = clerk_of(request)
    closing = close_ballot(app, ballot.ref, by="facilitator", actor=actor(request),
                           channel=CHANNEL)
    outcome = "; ".join(f"decision {d.number} {'ratified' if d.ratified else 'not ratified'}"
                        for d in closing.result.decisions)
    if closing.already_closed:
        raise done(request, path, f"This vote was already closed on "
                                  f"{in_words(closing.closed_at, app.tz)}; nothing was changed "
                                  f"or sent. {outcome}.")
    early = " early, before its deadline (the result email says so)" if closing.early else ""
    raise done(request, path, f"The vote was closed{early} and the result sent to the members: "
                              f"{outcome}.")
