"""Booking a place, as a short conversation: choose a meeting → name → email → confirm → the code
from the email; Back and Cancel at every step. The rules (capacity, closing time, one place per
address) are all in :mod:`clerk.observers.bookings`."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.handlers.common import (
    Context,
    Handler,
    chat_id,
    clerk_of,
    conversation_lost,
    evidence,
    render,
    send,
    step_edit,
    step_send,
    update_key,
)
from bot.handlers.observers import meeting_buttons
from clerk.errors import ClerkError
from clerk.observers import (
    BookingOutcome,
    ConfirmBooking,
    JoinWaitingList,
    RequestBooking,
    confirm_booking,
    join_waiting_list,
    meeting_places,
    request_booking,
)
from clerk.outbox.chat_text import Button, ChatReply, data, parse
from clerk.people import is_email
from clerk.rules.observers import valid_name

CHOOSE, NAME, EMAIL, CONFIRM, CODE, FULL = range(6)
END = ConversationHandler.END

BACK = Button("Back", data("bk", "back"))
STOP = Button("Cancel", data("bk", "stop"))
NAV = ((BACK, STOP),)
TEXT = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault("booking", {})
    return draft


async def choose(update: Update, context: Context) -> int:
    """/book: which meeting?"""
    _draft(context).clear()
    _found, rows = meeting_buttons(context, "book")
    await step_send(update, context, ChatReply(render("book_choose", meetings=rows), (*rows, (STOP,))))
    return CHOOSE if rows else END


async def picked(update: Update, context: Context) -> int:
    """A meeting chosen (here or from /meetings): ask the name."""
    query = update.callback_query
    assert query is not None
    places = meeting_places(clerk_of(context), parse(query.data)[1])
    if not places.open.ok:
        await step_edit(update, context, render("stale", reason=places.open.reason))
        return END
    draft = _draft(context)
    draft.clear()
    draft["meeting"] = places.meeting.id
    await step_edit(update, context, ChatReply(render("book_name", places=places, problem=""), ((STOP,),)))
    return NAME


def _places(context: Context) -> Any:
    return meeting_places(clerk_of(context), _draft(context)["meeting"])


async def got_name(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    if "meeting" not in _draft(context):
        return await conversation_lost(update, context, "booking")
    verdict = valid_name(update.message.text)
    if not verdict.ok:
        await step_send(update, context, ChatReply(render("book_name", places=_places(context),
                                                          problem=verdict.reason), ((STOP,),)))
        return NAME
    _draft(context)["name"] = verdict.reason
    await step_send(update, context, ChatReply(render("book_email", person=verdict.reason, problem=""), NAV))
    return EMAIL


async def got_email(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    email = update.message.text.strip().lower()
    draft = _draft(context)
    if "name" not in draft:
        return await conversation_lost(update, context, "booking")
    if not is_email(email):
        problem = f'"{email}" does not look like an email address'
        await step_send(update, context, ChatReply(
            render("book_email", person=draft["name"], problem=problem), NAV))
        return EMAIL
    draft["email"] = email
    buttons = ((Button("Confirm", data("bk", "confirm")),), (BACK, STOP))
    await step_send(update, context, ChatReply(render("book_confirm", places=_places(context),
                                                      person=draft["name"], email=email), buttons))
    return CONFIRM


async def confirmed(update: Update, context: Context) -> int:
    """Confirm pressed: email the code (a double tap sends one)."""
    query = update.callback_query
    assert query is not None
    draft = _draft(context)
    if "email" not in draft:
        return await conversation_lost(update, context, "booking")
    try:
        sent = request_booking(clerk_of(context), RequestBooking(
            draft["meeting"], chat_id(update), draft["name"], draft["email"],
            evidence=evidence(update)))
    except ClerkError as exc:
        await step_edit(update, context, render("refused", reason=str(exc)))
        return END
    await step_edit(update, context, ChatReply(render("book_code_sent", fresh=sent.fresh, email=sent.email,
                                                      expires=sent.expires), NAV))
    return CODE


async def got_code(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    outcome = confirm_booking(clerk_of(context), ConfirmBooking(
        chat_id(update), update.message.text, evidence=evidence(update),
        idempotency_key=update_key(update)))
    return await _after(update, context, outcome)


async def _after(update: Update, context: Context, outcome: BookingOutcome) -> int:
    if outcome.status == "full":
        buttons = ((Button("Join the waiting list", data("bk", "wait")),),
                   (Button("No thanks", data("bk", "stop")),))
        await step_send(update, context, ChatReply(render("book_full", places=outcome.places,
                                                          reason=outcome.reason), buttons))
        return FULL
    if outcome.status in ("wrong_code",):
        await step_send(update, context, ChatReply(render(
            "book_code_problem", status=outcome.status, attempts_left=outcome.attempts_left,
            reason=""), NAV))
        return CODE
    if outcome.status in ("expired", "blocked", "no_code", "closed"):
        await step_send(update, context, render("book_code_problem", status=outcome.status,
                                                attempts_left=0, reason=outcome.reason))
        return END
    _draft(context).clear()
    await step_send(update, context, _done(outcome))
    return END


def _done(outcome: BookingOutcome) -> str:
    return render("book_done", status=outcome.status, booking_status=outcome.reason,
                  person=outcome.name, places=outcome.places, position=outcome.position)


async def join(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    if "meeting" not in _draft(context):
        return await conversation_lost(update, context, "booking")
    try:
        outcome = join_waiting_list(clerk_of(context), JoinWaitingList(
            chat_id(update), _draft(context)["meeting"], evidence=evidence(update),
            idempotency_key=update_key(update)))
    except ClerkError as exc:
        await step_edit(update, context, render("refused", reason=str(exc)))
        return END
    _draft(context).clear()
    await step_edit(update, context, _done(outcome))
    return END


async def back(update: Update, context: Context) -> int:
    """One step back: from the email to the name, from confirm or code to the email."""
    query = update.callback_query
    assert query is not None
    draft = _draft(context)
    if "meeting" not in draft:
        return await choose(update, context)
    if "email" in draft:
        draft.pop("email")
        await step_edit(update, context, ChatReply(
            render("book_email", person=draft["name"], problem=""), NAV))
        return EMAIL
    draft.pop("name", None)
    await step_edit(update, context, ChatReply(render("book_name", places=_places(context), problem=""),
                                               ((STOP,),)))
    return NAME


async def stop(update: Update, context: Context) -> int:
    """Cancel (button or /cancel): nothing is kept."""
    _draft(context).clear()
    if update.callback_query is not None:
        await step_edit(update, context, render("book_stopped"))
    else:
        await step_send(update, context, render("book_stopped"))
    return END


async def use_buttons(update: Update, context: Context) -> None:
    """Text where a button is expected: say what to do (never silence); stay in the step."""
    await send(update, render("book_use_buttons", step=""))


def handler() -> ConversationHandler[Context]:
    pick: Handler = CallbackQueryHandler(picked, pattern=r"^book:\d+$")
    nav: list[Handler] = [CallbackQueryHandler(back, pattern=r"^bk:back$"),
           CallbackQueryHandler(stop, pattern=r"^bk:stop$")]
    return ConversationHandler(
        entry_points=[CommandHandler("book", choose, filters.ChatType.PRIVATE), pick],
        states={
            CHOOSE: [pick, *nav],
            NAME: [MessageHandler(TEXT, got_name), *nav],
            EMAIL: [MessageHandler(TEXT, got_email), *nav],
            CONFIRM: [CallbackQueryHandler(confirmed, pattern=r"^bk:confirm$"), *nav],
            CODE: [MessageHandler(TEXT, got_code),
                   CallbackQueryHandler(confirmed, pattern=r"^bk:confirm$"), *nav],
            FULL: [CallbackQueryHandler(join, pattern=r"^bk:wait$"), *nav],
        },
        fallbacks=[CommandHandler("cancel", stop), *nav,
                   MessageHandler(TEXT, use_buttons)],
        allow_reentry=True,
        persistent=True,
        name="booking",
    )
