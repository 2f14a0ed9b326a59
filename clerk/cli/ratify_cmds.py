"""``clerk ratify MEETING`` opens an email ballot; ``ratify show|verify|close BALLOT``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json
from clerk.times import in_words

# Each command imports the services it calls.


class _OpenByDefault(TyperGroup):
    """``clerk ratify MEETING`` means ``clerk ratify open MEETING``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["open", *args]
        return super().parse_args(ctx, args)


ratify = typer.Typer(cls=_OpenByDefault, no_args_is_help=True,
                     help="Ratification by email vote of decisions taken while inquorate.")

ONE_MINUTE = timedelta(minutes=1)  # a ballot closing at midnight is shown as closing at 23:59
BallotArg = Annotated[str, typer.Argument(help="The ballot, e.g. carers-2027-01-14-vote.")]


def register(app: typer.Typer) -> None:
    app.add_typer(ratify, name="ratify")


@ratify.command("open")
def open_cmd(meeting: Annotated[str, typer.Argument(help="The inquorate meeting.")],
             config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Open one email ballot on the meeting's provisional decisions and send it to the voters."""
    from clerk.ballots import open_ballot

    clerk = open_app(config)
    ballot = open_ballot(clerk, meeting)
    closes = in_words(ballot.closes_at - ONE_MINUTE, clerk.tz)
    if as_json:
        print_json({"ballot": ballot.ref, "closes": closes, "voters": len(ballot.electorate),
                    "decisions": [{"number": n, "text": t} for n, t in ballot.decisions]})
        return
    console.print(f"{ballot.ref}: {len(ballot.decisions)} decision(s) sent to "
                  f"{len(ballot.electorate)} voters; the vote closes {closes}.", markup=False)


@ratify.command("show")
def show_cmd(ballot: BallotArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The tally so far (or the result), per decision, and who has not voted."""
    from clerk.ballots.ratification import current_tally, get_ballot, latest_votes

    clerk = open_app(config)
    b = get_ballot(clerk, ballot)
    result = current_tally(clerk, b)
    texts = dict(b.decisions)
    if as_json:
        print_json({"ballot": b.ref, "status": b.status, "meeting": b.meeting.ref,
                    "closed_at": b.closed_at.isoformat() if b.closed_at else None,
                    "closed_early": b.closed_early,
                    "participation": result.participation.reason,
                    "decisions": [{**d.__dict__, "text": texts[d.number]}
                                  for d in result.decisions],
                    "voted": list(result.voted), "not_voted": list(result.not_voted),
                    "votes": latest_votes(clerk.store.db, b.id)})
        return
    state = "open until " + in_words(b.closes_at - ONE_MINUTE, clerk.tz)
    if b.closed_at is not None:
        state = ("closed early by the facilitator on " if b.closed_early else "closed on ") + \
            in_words(b.closed_at, clerk.tz)
    console.print(f"{b.ref} ({state}); voters {len(b.electorate)}, voted {len(result.voted)}",
                  markup=False)
    console.print(f"Taking part: {result.participation.reason}", markup=False)
    for d in result.decisions:
        word = "ratified" if d.ratified else "not ratified"
        if b.status != "closed":
            word = "would be " + word
        console.print(f"  {d.number}. {texts[d.number]}: {word} — {d.approve} for, {d.reject} "
                      f"against, {d.abstain} abstaining ({d.reason})", markup=False)
    if result.not_voted:
        console.print("Not voted: " + ", ".join(result.not_voted), markup=False)


@ratify.command("verify")
def verify_cmd(ballot: BallotArg, config: ConfigOption = None) -> None:
    """Recompute the tally from the audit log and check the log's hash chain."""
    from clerk.ballots import verify_ballot

    check = verify_ballot(open_app(config), ballot)
    for line in check.lines:
        console.print(line, markup=False)
    if not check.ok:
        raise typer.Exit(1)


@ratify.command("close")
def close_cmd(ballot: BallotArg, config: ConfigOption = None) -> None:
    """Close a ballot now (the scheduler closes it at its deadline), and announce the result.

    Closing a ballot that is already closed changes nothing and sends nothing: it says when it was
    closed, and exits 0.
    """
    from clerk.ballots import close_ballot

    clerk = open_app(config)
    closing = close_ballot(clerk, ballot, by="facilitator")
    outcome = "; ".join(f"{d.number} {'ratified' if d.ratified else 'not ratified'}"
                        for d in closing.result.decisions)
    when = in_words(closing.closed_at, clerk.tz)
    if closing.already_closed:
        how = " (early, by hand)" if closing.early else ""
        console.print(f"{closing.ballot} was already closed on {when}{how}; nothing was changed or "
                      f"sent. Result: {outcome}", markup=False)
    elif closing.early:
        console.print(f"{closing.ballot}: closed early, before its deadline; the result email says "
                      f"so. {outcome}", markup=False)
    else:
        console.print(f"{closing.ballot}: closed; {outcome}", markup=False)
