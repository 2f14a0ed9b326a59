"""/ask: an observer's question for a meeting, passed to the facilitator and the chair by email
(:mod:`clerk.observers.questions`), to be raised through a Partnership Member."""

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
from clerk.errors import BadInput, ClerkError
from clerk.observers import meeting_places
from clerk.observers.questions import AskQuestion, ask_question, known_name
from clerk.outbox.chat_text import Button, ChatReply, data, parse
from clerk.rules.observers import valid_name

CHOOSE, NAME, QUESTION = range(3)
END = ConversationHandler.END
STOP = Button("Cancel", data("aq", "stop"))
TEXT = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault("question", {})
    return draft


async def choose(update: Update, context: Context) -> int:
    _draft(context).clear()
    _found, rows = meeting_buttons(context, "ask")
    await step_send(update, context, ChatReply(render("ask_choose", meetings=rows), (*rows, (STOP,))))
    return CHOOSE if rows else END


async def picked(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    app = clerk_of(context)
    places = meeting_places(app, parse(query.data)[1])
    draft = _draft(context)
    draft["meeting"] = places.meeting.id
    draft["name"] = known_name(app, chat_id(update))
    if not draft["name"]:
        await step_edit(update, context, ChatReply(render("ask_name", problem=""), ((STOP,),)))
        return NAME
    await step_edit(update, context, ChatReply(render("ask_question", places=places, problem=""), ((STOP,),)))
    return QUESTION


async def got_name(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    if "meeting" not in _draft(context):
        return await conversation_lost(update, context, "question")
    verdict = valid_name(update.message.text)
    if not verdict.ok:
        await step_send(update, context, ChatReply(render("ask_name", problem=verdict.reason), ((STOP,),)))
        return NAME
    draft = _draft(context)
    draft["name"] = verdict.reason
    places = meeting_places(clerk_of(context), draft["meeting"])
    await step_send(update, context, ChatReply(render("ask_question", places=places, problem=""), ((STOP,),)))
    return QUESTION


async def got_question(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    if "meeting" not in draft or not draft.get("name"):
        return await conversation_lost(update, context, "question")
    try:
        outcome = ask_question(clerk_of(context), AskQuestion(
            draft["meeting"], chat_id(update), draft["name"], update.message.text,
            evidence=evidence(update), idempotency_key=update_key(update)))
    except BadInput as exc:
        places = meeting_places(clerk_of(context), draft["meeting"])
        await step_send(update, context, ChatReply(render("ask_question", places=places, problem=str(exc)),
                                                   ((STOP,),)))
        return QUESTION
    except ClerkError as exc:
        await step_send(update, context, render("refused", reason=str(exc)))
        return END
    await step_send(update, context, render("ask_done", person=draft["name"], places=outcome.places,
                                            via_member=outcome.via_member))
    draft.clear()
    return END


async def stop(update: Update, context: Context) -> int:
    _draft(context).clear()
    if update.callback_query is not None:
        await step_edit(update, context, render("ask_stopped"))
    else:
        await step_send(update, context, render("ask_stopped"))
    return END


async def use_buttons(update: Update, context: Context) -> None:
    await send(update, render("book_use_buttons", step=""))


def handler() -> ConversationHandler[Context]:
    stop_button: Handler = CallbackQueryHandler(stop, pattern=r"^aq:stop$")
    return ConversationHandler(
        entry_points=[CommandHandler("ask", choose, filters.ChatType.PRIVATE)],
        states={
            CHOOSE: [CallbackQueryHandler(picked, pattern=r"^ask:\d+$"), stop_button],
            NAME: [MessageHandler(TEXT, got_name), stop_button],
            QUESTION: [MessageHandler(TEXT, got_question), stop_button],
        },
        fallbacks=[CommandHandler("cancel", stop), stop_button, MessageHandler(TEXT, use_buttons)],
        allow_reentry=True,
        persistent=True,
        name="question",
    )
