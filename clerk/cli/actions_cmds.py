"""``clerk actions``: the action log. ``show MEETING`` (what was read from the minutes, with what
could not be read), ``add MEETING TEXT --owner ... --due ...``, ``list [BODY] [--open|--overdue]``,
``done ID`` and ``edit ID ...`` (the facilitator's corrections)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json

if TYPE_CHECKING:
    from clerk.actions import Action

actions = typer.Typer(help="Action points agreed at meetings, their owners and due dates.",
                      no_args_is_help=True)

#: What each problem code of an action means, as the command line says it.
PROBLEM_WORDS = {"no_owner": "no owner was written", "no_text": "no action was written",
                 "no_date": "no due date", "bad_date": "the date is not a date",
                 "unknown_owner": "the owner is not a member and has no address",
                 "ambiguous_owner": "two members have that name"}


def register(app: typer.Typer) -> None:
    app.add_typer(actions, name="actions")


def _due(text: str | None, today: date) -> date | None:
    from clerk.errors import BadInput
    from clerk.reading.action_text import read_date

    if text is None:
        return None
    found = read_date(text, today)
    if not found:
        raise BadInput(f"--due: {text!r} is not a date (e.g. 2027-03-14 or \"14 March 2027\")")
    return found


def _line(action: Action, today: date) -> str:
    due = action.due.strftime("%a %d %b %Y") if action.due else "no date"
    state = action.state(today).code
    status = "OVERDUE" if state == "overdue" else action.status
    changed = f" (was {action.first_due:%d %b})" if action.due_changed and action.first_due \
        else ""
    owner = action.owner_name or "no owner"
    address = f" <{action.owner_email}>" if action.owner_email else ""
    text = f"  {action.id:>4}  {status:<9} {due}{changed}  {owner}{address}: {action.text}"
    for problem in action.problems:
        text += f"\n        to check: {PROBLEM_WORDS.get(problem, problem)}"
    for u in action.updates[-3:]:
        said = f': "{u.said}"' if u.said else ""
        text += f"\n        {u.at:%d %b %H:%M} {u.actor} ({u.channel}) {u.kind}{said}"
    return text


def _print(actions_: list[Action], today: date, as_json: bool, empty: str) -> None:
    if as_json:
        print_json([a.as_json(today) for a in actions_])
        return
    for a in actions_:
        console.print(_line(a, today), markup=False, soft_wrap=True)
    if not actions_:
        console.print(empty, markup=False)


@actions.command("show")
def show_cmd(
    meeting: Annotated[str, typer.Argument(help="The meeting, e.g. carers-2027-01-14.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The actions agreed at MEETING: those read from its minutes (each with its line and what
    could not be read) and those added by hand."""
    from clerk.actions import list_actions

    clerk = open_app(config)
    today = clerk.clock.now().astimezone(clerk.tz).date()
    found = list_actions(clerk, meeting=meeting)
    if as_json:
        print_json([a.as_json(today) for a in found])
        return
    for a in found:
        console.print(_line(a, today), markup=False, soft_wrap=True)
        if a.line:
            console.print(f"        read from: {a.line}", markup=False, soft_wrap=True)
    if not found:
        console.print(f"No actions are recorded for {meeting}.", markup=False)


@actions.command("add")
def add_cmd(
    meeting: Annotated[str, typer.Argument(help="The meeting that agreed it.")],
    text: Annotated[str, typer.Argument(help="What is to be done.")],
    owner: Annotated[str, typer.Option("--owner", help="The owner: a member's name or anyone's "
                                       "email address.")],
    due: Annotated[str | None, typer.Option("--due", help="When it is due (2027-03-14, "
                                            "\"14 March 2027\").")] = None,
    email: Annotated[str, typer.Option("--email", help="The owner's address, for a named "
                                       "person who is not a member.")] = "",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an action agreed at MEETING; its owner is emailed."""
    from clerk.actions import AddAction, add_action

    clerk = open_app(config)
    today = clerk.clock.now().astimezone(clerk.tz).date()
    result = add_action(clerk, AddAction(meeting, text, owner, email=email,
                                         due=_due(due, today)))
    if as_json:
        print_json({"status": result.status, "message": result.message,
                    "action": result.action.as_json(today)})
        return
    console.print(result.message, markup=False)


@actions.command("list")
def list_cmd(
    body: Annotated[str | None, typer.Argument(help="A body's slug (default: every body).")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Open actions only.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Overdue actions only.")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The action log: every action (not withdrawn), by due date."""
    from clerk.actions import list_actions

    clerk = open_app(config)
    today = clerk.clock.now().astimezone(clerk.tz).date()
    _print(list_actions(clerk, body, open_only=open_only, overdue_only=overdue), today, as_json,
           "No actions." if not (open_only or overdue) else
           ("No overdue actions." if overdue else "No open actions."))


@actions.command("done")
def done_cmd(
    action_id: Annotated[int, typer.Argument(help="The action's number (clerk actions list).")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark an action done."""
    from clerk.actions import UpdateAction, update_action

    clerk = open_app(config)
    result = update_action(clerk, UpdateAction(action_id, status="done"))
    _result(clerk, result, as_json)


@actions.command("edit")
def edit_cmd(
    action_id: Annotated[int, typer.Argument(help="The action's number (clerk actions list).")],
    text: Annotated[str | None, typer.Option("--text", help="What is to be done.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="A member's name or an email "
                                              "address.")] = None,
    email: Annotated[str, typer.Option("--email", help="The owner's address.")] = "",
    due: Annotated[str | None, typer.Option("--due", help="The new due date.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open, done or withdrawn "
                                               "(read by mistake).")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Correct what was read, or change an action: its text, owner, due date or status. A new
    owner with an address is emailed."""
    from clerk.actions import UpdateAction, update_action
    from clerk.cli.common import check_choice
    from clerk.rules.actions import ACTION_STATUSES

    check_choice("--status", status, ACTION_STATUSES)
    clerk = open_app(config)
    today = clerk.clock.now().astimezone(clerk.tz).date()
    result = update_action(clerk, UpdateAction(action_id, text=text, owner=owner, email=email,
                                               due=_due(due, today), status=status))
    _result(clerk, result, as_json)


def _result(clerk: Any, result: Any, as_json: bool) -> None:
    today = clerk.clock.now().astimezone(clerk.tz).date()
    if as_json:
        print_json({"status": result.status, "message": result.message,
                    "action": result.action.as_json(today)})
        return
    console.print(result.message, markup=False)
