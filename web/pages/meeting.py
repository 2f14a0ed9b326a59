"""A meeting's page: each member's reply with its channel and time, the counts, the quorum
forecast with its reason, the next deadlines and the decisions; and what the facilitator does
from there, each the same clerk operation as the CLI: invite, record a reply given by phone,
remind now, move or cancel (after a preview of who will be told), delete a meeting added by
mistake, add a decision, refer one to another body, open a ratification vote."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from clerk.attendance import (
    AddDecision,
    Intent,
    RecordReply,
    ReferDecision,
    ReplyOutcome,
    add_decision,
    cancel_meeting,
    invite,
    move_meeting,
    preview_change,
    record_reply,
    refer_decision,
    remind_now,
    reply_sheet,
)
from clerk.ballots import open_ballot
from clerk.errors import ClerkError, NotFound
from clerk.meetings import Meeting, check_start, delete_meeting, may_delete, meeting_by_id
from clerk.records import meeting_view, ratification
from clerk.rules.meetings import meeting_still_open
from clerk.rules.referrals import REFERABLE
from clerk.times import day_in_words, in_words
from web.context import CHANNEL, actor, body_for, clerk_of, done, field, form, render
from web.pages.bodies import FIELD_OF, StartError, notes, read_start

routes = web.RouteTableDef()

#: How a reply recorded in the console was given: the channel clerk records it under.
GIVEN = {"phone": "phone", "console": "console"}
REPLY_WORDS = {"attend": "Attending", "apologies": "Apologies", "substitute": "Substitute",
               "no_reply": "No reply", "withdrawn": "No longer expected"}
CHANNEL_WORDS = {"email": "email", "chat": "chat", "console": "in person (console)",
                 "phone": "phone", "cli": "command line", "calendar": "calendar"}


def meeting_for(request: web.Request, ref: str) -> Meeting:
    """The meeting ``ref``, if the viewer serves its body (403 otherwise, 404 if there is none:
    without the hints the command line gives, which name other meetings)."""
    try:
        meeting = meeting_by_id(clerk_of(request), ref)
    except NotFound:
        raise web.HTTPNotFound() from None
    body_for(request, meeting.body)
    return meeting


def title_of(request: web.Request, meeting: Meeting) -> str:
    """``Carers Partnership meeting, Thursday 14 January 2027``."""
    app = clerk_of(request)
    return f"{app.body(meeting.body).label} meeting, {day_in_words(meeting.starts_at, app.tz)}"


def sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def _when(request: web.Request, at: datetime | None) -> str:
    return in_words(at, clerk_of(request).tz) if at is not None else ""


def _page(request: web.Request, meeting: Meeting, *, errors: list[tuple[str, str]] | None = None,
          values: dict[str, str] | None = None, status: int = 200) -> web.Response:
    app = clerk_of(request)
    body = app.body(meeting.body)
    view = meeting_view(app, meeting.ref)
    sheet = reply_sheet(app, meeting.ref)
    now = app.clock.now()
    ahead = meeting_still_open(meeting, now)
    invited = sum(1 for a in sheet if a.invited)
    people: list[dict[str, Any]] = []
    for a in sheet:
        people.append({"id": a.person_id, "name": a.name})
        if a.substitute is not None:
            people.append({"id": a.substitute.person_id,
                           "name": f"{a.substitute.name} (substitute for {a.name})"})
    return render(
        request, "console/meeting.html", status=status, meeting=meeting, body=body,
        slug=meeting.body, title=title_of(request, meeting), view=view, sheet=sheet,
        when=lambda at: _when(request, at), reply_words=REPLY_WORDS, channel_words=CHANNEL_WORDS,
        ahead=ahead, invited=invited, to_invite=sum(
            1 for a in sheet if not a.invited and not a.undeliverable),
        deletable=meeting.status != "cancelled" and not invited and may_delete(app,
                                                                               meeting.ref).ok,
        deadlines=[d for d in view["deadlines"] if not d["past"]][:4],
        ratify=ratification(app, meeting.ref), people=people,
        referable=REFERABLE, refer_to=_refer_to(request, meeting),
        refer_error=dict(errors or []).get("refer", ""),
        errors=errors or [], values=values or {})


def _refer_to(request: web.Request, meeting: Meeting) -> list[tuple[str, str]]:
    """The bodies a decision of this meeting may be referred to from the page, as (slug,
    label): the body's ``decisions.unresolved.refer_to``, else each body of ``reports_to``."""
    config = clerk_of(request).config
    body = config.bodies[meeting.body]
    slugs = [body.decisions.unresolved.refer_to] if body.decisions.unresolved.refer_to \
        else body.reports_to
    return [(s, config.bodies[s].label) for s in slugs if s in config.bodies]


@routes.get("/meetings/{ref}")
async def meeting_page(request: web.Request) -> web.StreamResponse:
    return _page(request, meeting_for(request, request.match_info["ref"]))


@routes.post("/meetings/{ref}/invite")
async def invite_members(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    result = invite(clerk_of(request), meeting.ref, actor=actor(request), channel=CHANNEL)
    skipped = "".join(f" Not sent to {email}: mail to them bounces ({reason})."
                      for email, reason in result.undeliverable)
    raise done(request, f"/meetings/{meeting.ref}",
               f"Invitations: {result.message}. They go out with the next mail run." + skipped)


@routes.post("/meetings/{ref}/replies")
async def record_a_reply(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    data = await form(request)
    values = {k: field(data, k) for k in ("person", "reply", "given", "sub-email", "sub-name")}
    emails = {}
    for a in reply_sheet(clerk_of(request), meeting.ref):
        emails[str(a.person_id)] = a.email
        if a.substitute is not None:
            emails[str(a.substitute.person_id)] = a.substitute.email
    errors = []
    if values["person"] not in emails:
        errors.append(("person", "Choose who gave the reply"))
    intents: dict[str, Intent] = {"attend": "attend", "apologies": "apologies",
                                  "substitute": "substitute"}
    intent = intents.get(values["reply"])
    if intent is None:
        errors.append(("reply-attend", "Choose their reply"))
    if values["given"] not in GIVEN:
        errors.append(("given-phone", "Say how the reply was given"))
    if intent == "substitute" and not values["sub-email"]:
        errors.append(("sub-email", "Enter the substitute's email address"))
    if errors or intent is None:
        return _page(request, meeting, errors=errors, values=values, status=400)
    try:
        out = record_reply(clerk_of(request), RecordReply(
            meeting=meeting.ref, email=emails[values["person"]], intent=intent,
            substitute_email=values["sub-email"] if intent == "substitute" else "",
            substitute_name=values["sub-name"] if intent == "substitute" else "",
            channel=GIVEN[values["given"]], actor=actor(request),
            evidence={"given": values["given"]}))
    except ClerkError as exc:
        return _page(request, meeting, errors=[("person", sentence(exc))], values=values,
                     status=400)
    raise done(request, f"/meetings/{meeting.ref}", f"{out.name}: {_recorded(out)}.")


def _recorded(out: ReplyOutcome) -> str:
    """What was recorded, in the facilitator's words (clerk's message speaks to the member)."""
    if out.status != "recorded":
        return out.message
    if out.refused_substitute is not None:
        return (f"apologies recorded; {out.refused_substitute.name} cannot attend in their "
                f"place: {out.refused_substitute.reason}")
    if out.reply == "substitute":
        return f"apologies recorded; {out.substitute_name} will attend in their place"
    if out.stands_for:
        return f"recorded as {REPLY_WORDS.get(out.reply, out.reply).lower()} (as a substitute)"
    return f"recorded as {REPLY_WORDS.get(out.reply, out.reply).lower()}"


@routes.post("/meetings/{ref}/remind")
async def remind(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    result = remind_now(clerk_of(request), meeting.ref, actor=actor(request), channel=CHANNEL)
    raise done(request, f"/meetings/{meeting.ref}",
               f"Reminders to those who have not replied: {result.message}.")


@routes.post("/meetings/{ref}/decisions")
async def decide(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    data = await form(request)
    text = field(data, "decision")
    if not text:
        return _page(request, meeting, errors=[("decision", "Enter the decision, as minuted")],
                     status=400)
    try:
        d = add_decision(clerk_of(request), AddDecision(meeting=meeting.ref, text=text,
                                                        channel=CHANNEL, actor=actor(request)))
    except ClerkError as exc:
        return _page(request, meeting, errors=[("decision", sentence(exc))],
                     values={"decision": text}, status=400)
    raise done(request, f"/meetings/{meeting.ref}",
               f"Decision {d.number} recorded: {d.status_words} ({d.reason}).")


@routes.post("/meetings/{ref}/decisions/{number}/refer")
async def refer(request: web.Request) -> web.StreamResponse:
    """Refer a decision to another body (the same operation as ``clerk decisions refer``)."""
    meeting = meeting_for(request, request.match_info["ref"])
    number = request.match_info["number"]
    if not number.isdigit():
        raise web.HTTPNotFound()
    data = await form(request)
    try:
        r = refer_decision(clerk_of(request), ReferDecision(
            meeting=meeting.ref, number=int(number), to=field(data, "to"), channel=CHANNEL,
            actor=actor(request)))
    except ClerkError as exc:
        return _page(request, meeting, errors=[("refer", sentence(exc))], status=400)
    app = clerk_of(request)
    where = (f"it is on the agenda of the meeting of "
             f"{in_words(meeting_by_id(app, r.to_meeting).starts_at, app.tz)}"
             if r.to_meeting else "it will be on the agenda of its next meeting")
    told = f" Told: {', '.join(r.told)}." if r.told else ""
    raise done(request, f"/meetings/{meeting.ref}",
               f"Decision {r.decision.number} referred to the {r.to_label}: {where}.{told}")


@routes.post("/meetings/{ref}/votes")
async def open_vote(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    ballot = open_ballot(clerk_of(request), meeting.ref, channel=CHANNEL, actor=actor(request))
    raise done(request, f"/votes/{ballot.ref}",
               f"Vote {ballot.ref} opened: {len(ballot.decisions)} decision(s) sent to "
               f"{len(ballot.electorate)} voters.")


@routes.post("/meetings/{ref}/delete")
async def delete(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    gone = delete_meeting(clerk_of(request), meeting.ref, actor=actor(request), channel=CHANNEL)
    raise done(request, f"/bodies/{gone.body}",
               f"The meeting of {in_words(gone.starts_at, clerk_of(request).tz)} was deleted; "
               "nothing had been sent for it.")


# ----------------------------------------------------------------------------- move and cancel


def _change_page(request: web.Request, meeting: Meeting, template: str, *,
                 errors: list[tuple[str, str]] | None = None,
                 values: dict[str, str] | None = None, status: int = 200,
                 checked: dict[str, Any] | None = None) -> web.Response:
    app = clerk_of(request)
    preview = preview_change(app, meeting.ref,
                             "cancelled" if template.endswith("cancel.html") else "moved")
    return render(request, template, status=status, meeting=meeting, slug=meeting.body,
                  body=app.body(meeting.body), title=title_of(request, meeting),
                  when=in_words(meeting.starts_at, app.tz), preview=preview,
                  reply_words=REPLY_WORDS, errors=errors or [], values=values or {},
                  checked=checked)


def _move_values(request: web.Request, meeting: Meeting) -> dict[str, str]:
    local = meeting.starts_at.astimezone(clerk_of(request).tz)
    return {"at-day": str(local.day), "at-month": str(local.month), "at-year": str(local.year),
            "at-time": f"{local:%H:%M}", "venue": meeting.venue, "online": meeting.online_url}


@routes.get("/meetings/{ref}/move")
async def move_page(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    return _change_page(request, meeting, "console/meeting_move.html",
                        values=_move_values(request, meeting))


@routes.post("/meetings/{ref}/move")
async def move(request: web.Request) -> web.StreamResponse:
    """Without ``confirm``: check the new time and show what will happen and who will be told;
    with it: move the meeting (clerk's move_meeting) and tell them."""
    meeting = meeting_for(request, request.match_info["ref"])
    app = clerk_of(request)
    data = await form(request)
    values = {k: field(data, k) for k in
              ("at-day", "at-month", "at-year", "at-time", "venue", "online")}
    try:
        starts = read_start(request, data, "at")
        warnings = check_start(app, starts)
    except (StartError, ClerkError) as exc:
        target = exc.field if isinstance(exc, StartError) else FIELD_OF.get(exc.about, "at-day")
        return _change_page(request, meeting, "console/meeting_move.html",
                            errors=[(target, sentence(exc))], values=values, status=400)
    if field(data, "confirm") != "yes":
        return _change_page(request, meeting, "console/meeting_move.html", values=values,
                            checked={"when": in_words(starts, app.tz),
                                     "warnings": [w.reason for w in warnings]})
    try:
        result = move_meeting(app, meeting.ref, starts, venue=values["venue"],
                              online_url=values["online"], actor=actor(request), channel=CHANNEL)
    except ClerkError as exc:
        return _change_page(request, meeting, "console/meeting_move.html",
                            errors=[("at-day", sentence(exc))], values=values, status=400)
    if not result.changed:
        raise done(request, f"/meetings/{meeting.ref}",
                   "The meeting is already at that time and place; nothing was sent.")
    raise done(request, f"/meetings/{meeting.ref}",
               f"Moved to {in_words(result.meeting.starts_at, app.tz)}, "
               f"{result.meeting.where}: {result.message}." + notes(result.warnings))


@routes.get("/meetings/{ref}/cancel")
async def cancel_page(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    return _change_page(request, meeting, "console/meeting_cancel.html")


@routes.post("/meetings/{ref}/cancel")
async def cancel(request: web.Request) -> web.StreamResponse:
    meeting = meeting_for(request, request.match_info["ref"])
    data = await form(request)
    result = cancel_meeting(clerk_of(request), meeting.ref, field(data, "reason"),
                            actor=actor(request), channel=CHANNEL)
    if not result.changed:
        raise done(request, f"/meetings/{meeting.ref}", "The meeting was already cancelled.")
    raise done(request, f"/meetings/{meeting.ref}", f"Meeting cancelled: {result.message}.")
