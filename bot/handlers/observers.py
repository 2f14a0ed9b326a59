"""Observers: /start, /meetings, /mybookings, /cancel, and the answer to an offered place."""

from __future__ import annotations

from telegram import Update

from bot.handlers.common import Context, chat_id, clerk_of, edit, evidence, render, send, update_key
from clerk.observers import (
    AnswerOffer,
    CancelBooking,
    MeetingPlaces,
    answer_offer,
    cancel_booking,
    chat_booking,
    chat_bookings,
    places_for,
    public_meetings,
)
from clerk.outbox.chat_text import Button, ChatReply, Rows, data, parse
from clerk.times import day_in_words


async def start(update: Update, context: Context) -> None:
    app = clerk_of(context)
    user = update.effective_user
    await send(update, render("start", first_name=user.first_name if user else "",
                              organisation=app.config.clerk.organisation))


def meeting_buttons(context: Context, prefix: str) -> tuple[list[MeetingPlaces], Rows]:
    """Upcoming public meetings, and a button (``PREFIX:ID``) for each still taking bookings."""
    app = clerk_of(context)
    found = public_meetings(app)
    rows = tuple((Button(f"{p.body_label}, {day_in_words(p.meeting.starts_at, app.tz)}",
                         data(prefix, p.meeting.id)),) for p in found if p.open.ok)
    return found, rows


async def meetings(update: Update, context: Context) -> None:
    found, rows = meeting_buttons(context, "book")
    await send(update, ChatReply(render("meetings", meetings=found), rows))


async def my_bookings(update: Update, context: Context) -> None:
    bookings = chat_bookings(clerk_of(context), chat_id(update))
    await send(update, render("mybookings", bookings=bookings, cancel=False))


async def cancel_menu(update: Update, context: Context) -> None:
    app = clerk_of(context)
    bookings = chat_bookings(app, chat_id(update))
    rows = tuple((Button(f"Cancel: {b.places.body_label}, "
                         f"{day_in_words(b.places.meeting.starts_at, app.tz)}",
                         data("cxl", b.id)),) for b in bookings)
    await send(update, ChatReply(render("mybookings", bookings=bookings, cancel=True), rows))


async def cancel_pick(update: Update, context: Context) -> None:
    """A booking picked from /cancel: ask before cancelling it."""
    query = update.callback_query
    assert query is not None
    booking_id = int(parse(query.data)[1])
    booking = chat_booking(clerk_of(context), chat_id(update), booking_id)
    if booking.status not in ("booked", "offered", "waiting"):
        await edit(update, render("cancelled", status="already", places=booking.places, was=""))
        return
    buttons = ((Button("Yes, cancel it", data("cxl", booking_id, "yes")),
                Button("No, keep it", data("cxl", booking_id, "no"))),)
    await edit(update, ChatReply(render("cancel_confirm", booking=booking, kept=False), buttons))


async def cancel_answer(update: Update, context: Context) -> None:
    """Yes (cancel) or No (keep) pressed under "Cancel your place...?"."""
    query = update.callback_query
    assert query is not None
    _kind, booking_id, answer = parse(query.data)
    app = clerk_of(context)
    if answer != "yes":
        booking = chat_booking(app, chat_id(update), int(booking_id))
        await edit(update, render("cancel_confirm", booking=booking, kept=True))
        return
    outcome = cancel_booking(app, CancelBooking(
        chat_id(update), int(booking_id), evidence=evidence(update),
        idempotency_key=update_key(update)))
    await edit(update, render("cancelled", status=outcome.status, places=outcome.places,
                              was=outcome.reason, offered_next=outcome.offered_next))


async def offer_pick(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    _kind, booking_id, choice = parse(query.data)
    app = clerk_of(context)
    outcome = answer_offer(app, AnswerOffer(chat_id(update), int(booking_id), choice == "accept",
                                            evidence=evidence(update),
                                            idempotency_key=update_key(update)))
    await edit(update, render("offer_answer", status=outcome.status, reason=outcome.reason,
                              places=places_for(app, outcome.meeting),
                              offered_next=outcome.offered_next))
