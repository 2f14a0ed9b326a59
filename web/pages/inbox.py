"""The inbox (``/inbox``): messages clerk could not act on (quarantined, unclear, refused), with
the reason in words and whose each one is; one message (``/inbox/{id}``: its headers and text,
escaped, never rendered as HTML); replay a quarantined one (as ``clerk mail ingest`` does, as it
arrived: same source and time received); attach one by hand to the member and meeting it belongs
to (:func:`clerk.mail_in.attach_reply`).

Who sees a message is :func:`clerk.rules.access.may_see_inbound` (a message tied to a body: those
serving it; tied to none: any facilitator and the administrators; an answer to a ballot: the
body's facilitator only); who may replay or attach it, :func:`clerk.rules.access.may_handle_inbound`.
Only an answer to an invitation (or a message clerk cannot place) is attached by hand: a vote is
the voter's to cast. The raw message is decoded, and a replay read,
by the mail adapter through the composition root (:mod:`clerk.composition.commands`), as the
command line's ``clerk mail ingest`` is: the wire format stays out of clerk's services and of the
console."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from aiohttp import web

from clerk.app import Clerk
from clerk.attendance.replies import Intent
from clerk.composition.commands import replay_message, show_message
from clerk.errors import ClerkError, NotFound
from clerk.mail_in import (
    REVIEW_STATUSES,
    AttachReply,
    Attribution,
    InboundMail,
    ShownMessage,
    StoredMessage,
    attach_reply,
    attribute,
    messages_to_review,
    reading_of,
    stored_message,
    why_not_acted,
)
from clerk.meetings import get_meeting, list_meetings
from clerk.people.membership import list_members
from clerk.rules.access import may_handle_inbound, may_see_inbound
from clerk.times import from_iso, in_words
from web.context import (
    CHANNEL,
    Forbidden,
    actor,
    body_for,
    clerk_of,
    done,
    field,
    form,
    render,
    viewer,
)

routes = web.RouteTableDef()

STATUS_WORDS = {"quarantined": "Kept for later", "unclear": "Not understood",
                "refused": "Refused", "processed": "Dealt with", "ignored": "Ignored",
                "duplicate": "Duplicate"}
STATUS_COLOURS = {"quarantined": "orange", "unclear": "yellow", "refused": "red",
                  "processed": "green"}
INTENTS = (("attend", "Attending"), ("apologies", "Apologies"),
           ("substitute", "Apologies, with a substitute attending in their place"))
#: Meetings offered when attaching a message: those still to come and those held this long ago.
RECENT = timedelta(days=90)


def _decode(app: Clerk, message: StoredMessage) -> tuple[ShownMessage, InboundMail | None]:
    shown = show_message(app, message.raw)
    return shown, shown.mail


def _attribution(app: Clerk, mail: InboundMail | None) -> Attribution:
    if mail is None:
        return Attribution(None, "", "", frozenset(), "clerk cannot tell whose it is")
    return attribute(app, mail)


def _message(request: web.Request) -> tuple[StoredMessage, ShownMessage, InboundMail | None,
                                             Attribution]:
    """The message in the path, if the viewer may see it (404 / 403 otherwise)."""
    app = clerk_of(request)
    number = request.match_info["id"]
    if not number.isdigit() or len(number) > 12:
        raise web.HTTPNotFound()
    try:
        message = stored_message(app, int(number))
    except NotFound:
        raise web.HTTPNotFound() from None
    parsed, mail = _decode(app, message)
    whose = _attribution(app, mail)
    if not may_see_inbound(viewer(request).served, whose.bodies,
                           a_vote=whose.purpose == "vote"):
        raise Forbidden()
    return message, parsed, mail, whose


def _whose_words(app: Clerk, whose: Attribution) -> str:
    parts = []
    if whose.person is not None:
        parts.append(f"{whose.person.name} ({whose.person.email})")
    if whose.meeting:
        parts.append(f"about {whose.meeting}")
    elif whose.bodies:
        parts.append(", ".join(app.config.bodies[b].label for b in sorted(whose.bodies)
                               if b in app.config.bodies))
    return "; ".join(parts) or "Unknown"


@routes.get("/inbox")
async def inbox_page(request: web.Request) -> web.StreamResponse:
    app = clerk_of(request)
    served = viewer(request).served
    status = request.query.get("status", "")
    statuses = (status,) if status in REVIEW_STATUSES else REVIEW_STATUSES
    rows = []
    for message in messages_to_review(app, statuses):
        _parsed, mail = _decode(app, message)
        whose = _attribution(app, mail)
        if not may_see_inbound(served, whose.bodies, a_vote=whose.purpose == "vote"):
            continue
        line = message.line
        rows.append({"id": line.id, "when": in_words(from_iso(line.received_at), app.tz),
                     "from": line.from_addr or "(no sender)", "subject": line.subject,
                     "status": STATUS_WORDS.get(line.status, line.status),
                     "colour": STATUS_COLOURS.get(line.status, "grey"),
                     "why": why_not_acted(app, message, mail, whose),
                     "whose": _whose_words(app, whose)})
    return render(request, "console/inbox.html", messages=rows, chosen=status,
                  statuses=[(s, STATUS_WORDS[s]) for s in REVIEW_STATUSES])


def _attach_choices(request: web.Request, whose: Attribution) -> tuple[list[tuple[str, str]],
                                                                       list[tuple[str, str]]]:
    """The members and meetings a message may be attached to by this viewer: of the bodies it
    concerns (or, when nobody can tell, of the bodies the viewer may act for)."""
    app = clerk_of(request)
    served = viewer(request).served
    slugs = sorted(slug for slug in (whose.bodies or served.bodies)
                   if served.serves(slug) and may_handle_inbound(served, frozenset({slug})).ok)
    members: dict[str, str] = {}
    meetings: list[tuple[str, str]] = []
    since = app.clock.now() - RECENT
    for slug in slugs:
        label = app.config.bodies[slug].label
        for m in list_members(app, slug):
            members.setdefault(m["email"], f"{m['name']} ({m['email']}), {label}")
        meetings += [(m.ref, f"{label}, {in_words(m.starts_at, app.tz)}")
                     for m in list_meetings(app, slug)
                     if m.status != "cancelled" and m.starts_at >= since]
    return sorted(members.items(), key=lambda kv: kv[1].casefold()), meetings


def _message_page(request: web.Request, message: StoredMessage, parsed: ShownMessage,
                  mail: InboundMail | None, whose: Attribution, *, status: int = 200,
                  errors: list[tuple[str, str]] | None = None,
                  values: dict[str, str] | None = None) -> web.Response:
    app = clerk_of(request)
    served = viewer(request).served
    line = message.line
    handle = may_handle_inbound(served, whose.bodies).ok
    attachable = handle and message.to_review and whose.purpose in ("", "rsvp")
    members, meetings = _attach_choices(request, whose) if attachable else ([], [])
    if values is None:
        reading = reading_of(mail) if mail is not None else None
        values = {"member": whose.person.email if whose.person else "",
                  "meeting": whose.meeting,
                  "intent": reading.intent if reading and reading.intent != "unclear" else "",
                  "substitute_name": (reading.substitute_name or "") if reading else "",
                  "substitute_email": (reading.substitute_email or "") if reading else ""}
    headers = list(parsed.headers)
    text = parsed.text or ("(no text: the message is HTML only; it is not shown as HTML)"
                           if parsed.html_only else "(no text)")
    return render(request, "console/inbox_message.html", status=status, message=line,
                  state=STATUS_WORDS.get(line.status, line.status),
                  colour=STATUS_COLOURS.get(line.status, "grey"),
                  when=in_words(from_iso(line.received_at), app.tz),
                  headers=headers, lines=text.splitlines(), attachments=parsed.attachments,
                  why=why_not_acted(app, message, mail, whose), whose=_whose_words(app, whose),
                  how=whose.how, may_replay=handle and line.status == "quarantined",
                  may_attach=attachable and bool(members and meetings),
                  not_attachable=handle and message.to_review and not attachable,
                  to_review=message.to_review, handle=handle, members=members,
                  meetings=meetings, intents=INTENTS, values=values, errors=errors or [],
                  error_for=dict(errors or []))


@routes.get("/inbox/{id}")
async def message_page(request: web.Request) -> web.StreamResponse:
    message, parsed, mail, whose = _message(request)
    return _message_page(request, message, parsed, mail, whose)


def _refusal(request: web.Request, whose: Attribution) -> web.Response | None:
    """A 403 page when the viewer may not replay or attach this message (None: they may)."""
    verdict = may_handle_inbound(viewer(request).served, whose.bodies)
    if verdict.ok:
        return None
    return render(request, "console/error.html", status=403, title="You cannot do this",
                  message=f"{verdict.reason[0].upper()}{verdict.reason[1:]}.")


@routes.post("/inbox/{id}/replay")
async def replay(request: web.Request) -> web.StreamResponse:
    message, _parsed, _mail, whose = _message(request)
    await form(request)
    refused = _refusal(request, whose)
    if refused is not None:
        return refused
    path = f"/inbox/{message.id}"
    if message.line.status != "quarantined":
        raise done(request, path, "Only a message kept for later can be replayed; this one was "
                                  "read already, so replaying it would change nothing.")
    outcome = replay_message(clerk_of(request), message, actor=actor(request), channel=CHANNEL)
    raise done(request, path, f"The message was read again: {outcome.status}: {outcome.action}")


@routes.post("/inbox/{id}/attach")
async def attach(request: web.Request) -> web.StreamResponse:
    message, parsed, mail, whose = _message(request)
    data = await form(request)
    refused = _refusal(request, whose)
    if refused is not None:
        return refused
    if whose.purpose not in ("", "rsvp"):
        raise done(request, f"/inbox/{message.id}", "Only an answer to an invitation can be "
                                                     "attached by hand.")
    values = {name: field(data, name) for name in ("member", "meeting", "intent",
                                                   "substitute_name", "substitute_email")}
    errors: list[tuple[str, str]] = []
    if not values["member"]:
        errors.append(("member", "Select the member whose reply it is"))
    if not values["meeting"]:
        errors.append(("meeting", "Select the meeting it answers"))
    if values["intent"] not in {code for code, _ in INTENTS}:
        errors.append(("intent", "Select what the reply says"))
    elif values["intent"] == "substitute" and not values["substitute_email"]:
        errors.append(("substitute_email", "Enter the substitute's email address"))
    app = clerk_of(request)
    if not errors:
        try:
            meeting = get_meeting(app, values["meeting"])
        except NotFound:
            errors.append(("meeting", "Select the meeting it answers"))
        else:
            body_for(request, meeting.body)
            try:
                result = attach_reply(app, AttachReply(
                    inbound_id=message.id, meeting=meeting.ref, email=values["member"],
                    intent=cast(Intent, values["intent"]),
                    substitute_email=values["substitute_email"],
                    substitute_name=values["substitute_name"],
                    actor=actor(request), channel=CHANNEL))
            except ClerkError as exc:
                errors.append(("member", f"{str(exc)[0].upper()}{str(exc)[1:]}"))
            else:
                raise done(request, f"/inbox/{message.id}",
                           f"The message was attached: {result.message}.")
    return _message_page(request, message, parsed, mail, whose, status=400, errors=errors,
                         values=values)
