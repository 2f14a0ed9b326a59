"""``clerk meetings request`` (the facilitator records a request for an extraordinary meeting)
and ``clerk meetings requests`` (the requests, open ones first)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from clerk.cli.common import ConfigOption, JsonOption, console, open_app, print_json
from clerk.cli.meetings_cmds import meetings
from clerk.times import day_in_words, to_iso

if TYPE_CHECKING:
    from clerk.app import Clerk
    from clerk.attendance.extraordinary import ExtraordinaryRequest


def _json(req: ExtraordinaryRequest) -> dict[str, Any]:
    return {"ref": req.ref, "body": req.body, "requested_by": req.requested_by.email,
            "reason": req.reason, "supporter": req.supporter.email if req.supporter else "",
            "support": req.support, "status": req.status,
            "complete_at": to_iso(req.complete_at) if req.complete_at else None,
            "hold_by": req.hold_by.isoformat() if req.hold_by else None,
            "created_at": to_iso(req.created_at)}


def _line(clerk: Clerk, req: ExtraordinaryRequest) -> str:
    status = {"awaiting_support": "waiting for " + (req.supporter.name if req.supporter
                                                     else "the supporter") + " to confirm",
              "called": "called" + (f", to be held by {req.hold_by:%-d %B %Y}"
                                    if req.hold_by else ""),
              "held": "a meeting is set", "declined": "not supported",
              "withdrawn": "withdrawn"}.get(req.status, req.status)
    return (f"{req.ref}: asked by {req.requested_by.name} on "
            f"{day_in_words(req.created_at, clerk.tz)}: {req.reason or '(no reason given)'} "
            f"[{status}]")


@meetings.command("request")
def request_cmd(
    body: Annotated[str, typer.Argument(help="The body, as named in the configuration.")],
    by: Annotated[str, typer.Option("--by", help="The address of the member who asks.")],
    reason: Annotated[str, typer.Option(help="What the meeting is to consider.")],
    supporter: Annotated[str, typer.Option(
        help="The address of the member who supports the request (asked to confirm by "
             "email); not needed from the Chair.")] = "",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a request for an extraordinary meeting (checked against the body's terms)."""
    from clerk.attendance.extraordinary import RequestMeeting, request_meeting

    clerk = open_app(config)
    done = request_meeting(clerk, RequestMeeting(body=body, by=by, reason=reason,
                                                 supporter=supporter, channel="cli",
                                                 actor="facilitator"))
    req = done.request
    assert req is not None  # a refusal raises
    if as_json:
        print_json({**_json(req), "added": done.added, "queued": len(done.queued)})
        return
    console.print(_line(clerk, req), markup=False)
    if req.status == "awaiting_support" and done.added:
        console.print(f"{req.supporter.name if req.supporter else 'The supporter'} is asked by "
                      "email to confirm.", markup=False)
    elif req.status == "called" and done.added:
        console.print("The Chair and the facilitator are told.", markup=False)


@meetings.command("requests")
def requests_cmd(
    body: Annotated[str | None, typer.Option(help="Only this body.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only those still open.")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List requests for extraordinary meetings, newest first."""
    from clerk.attendance.extraordinary import list_requests

    clerk = open_app(config)
    found = list_requests(clerk, body, open_only=open_only)
    if as_json:
        print_json([_json(r) for r in found])
        return
    if not found:
        console.print("No requests for extraordinary meetings.", markup=False)
    for req in found:
        console.print(_line(clerk, req), markup=False)


def register(app: typer.Typer) -> None:
    """Its commands join ``clerk meetings``, which meetings_cmds registers."""
