"""Members: /link EMAIL and its code, /unlink, /papers, and the buttons on invitations,
ballots and action points (each answer goes through the same service as the email reply)."""

from __future__ import annotations

import re

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
    edit,
    evidence,
    render,
    send,
    update_key,
)
from clerk.chat import (
    ChatActionAnswer,
    ChatRsvp,
    ChatVote,
    ConfirmLink,
    RequestLink,
    answer_action,
    answer_invitation,
    ballot_choice,
    confirm_link,
    papers_in_chat,
    request_link,
    substitute_prompt,
    unlink,
    vote_in_chat,
)
from clerk.errors import BadInput, ClerkError
from clerk.outbox.chat_text import parse

CODE_TEXT = re.compile(r"^\s*\d{3}[\s-]?\d{3}\s*$")
EMAIL_IN_TEXT = re.compile(r"<?([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+?)>?[.,;]?$")
SUBSTITUTE = 0


async def link(update: Update, context: Context) -> None:
    if not context.args:
        await send(update, render("link_usage"))
        return
    email = " ".join(context.args)
    request_link(clerk_of(context), RequestLink(chat_id(update), email, evidence=evidence(update)))
    await send(update, render("link_sent", email=email.strip().lower()))


async def code(update: Update, context: Context) -> None:
    """Six digits typed outside a booking: a link code, if this chat asked for one."""
    assert update.message is not None and update.message.text is not None
    outcome = confirm_link(clerk_of(context), ConfirmLink(
        chat_id(update), update.message.text, evidence=evidence(update),
        idempotency_key=update_key(update)))
    if outcome.status == "none":
        await send(update, render("code_unexpected"))
        return
    await send(update, render("link_result", status=outcome.status, person=outcome.name,
                              bodies=outcome.bodies, attempts_left=outcome.attempts_left))


async def unlink_cmd(update: Update, context: Context) -> None:
    name = unlink(clerk_of(context), chat_id(update), evidence=evidence(update))
    await send(update, render("unlinked", person=name or ""))


async def papers(update: Update, context: Context) -> None:
    await send(update, papers_in_chat(clerk_of(context), chat_id(update)))


async def rsvp(update: Update, context: Context) -> None:
    """Attending / Apologies pressed on an invitation or reminder."""
    query = update.callback_query
    assert query is not None
    _kind, meeting_id, intent = parse(query.data)  # intent: attend|apologies (the handler's pattern)
    reply = answer_invitation(clerk_of(context), ChatRsvp(
        chat_id(update), int(meeting_id), intent,  # type: ignore[arg-type]
        evidence=evidence(update), idempotency_key=update_key(update)))
    await edit(update, reply)


async def substitute_start(update: Update, context: Context) -> int:
    """Send a substitute pressed: ask who."""
    query = update.callback_query
    assert query is not None
    meeting_id = int(parse(query.data)[1])
    prompt = substitute_prompt(clerk_of(context), chat_id(update), meeting_id)
    assert context.user_data is not None
    context.user_data["substitute_for"] = meeting_id
    await send(update, prompt)
    return SUBSTITUTE


async def substitute_named(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    assert context.user_data is not None
    if "substitute_for" not in context.user_data:
        return await conversation_lost(update, context, "substitute")
    words = update.message.text.strip().split()
    found = EMAIL_IN_TEXT.match(words[-1]) if words else None
    if not found:
        await send(update, render("substitute_format"))
        return SUBSTITUTE
    try:
        reply = answer_invitation(clerk_of(context), ChatRsvp(
            chat_id(update), context.user_data["substitute_for"], "substitute",
            substitute_email=found.group(1), substitute_name=" ".join(words[:-1]),
            evidence=evidence(update), idempotency_key=update_key(update)))
    except BadInput as exc:
        await send(update, render("refused", reason=str(exc)))
        return SUBSTITUTE
    except ClerkError as exc:
        await send(update, render("refused", reason=str(exc)))
        return ConversationHandler.END
    await send(update, reply)
    return ConversationHandler.END


async def substitute_stop(update: Update, context: Context) -> int:
    await send(update, render("substitute_stopped"))
    return ConversationHandler.END


def _vote(update: Update) -> ChatVote:
    query = update.callback_query
    assert query is not None and query.message is not None
    _kind, ballot_id, selection, version = parse(query.data)
    return ChatVote(chat_id(update), int(ballot_id), selection, int(version),
                    message_id=query.message.message_id, evidence=evidence(update))


async def vote_choice(update: Update, context: Context) -> None:
    await edit(update, ballot_choice(clerk_of(context), _vote(update)))


async def vote_cast(update: Update, context: Context) -> None:
    await edit(update, vote_in_chat(clerk_of(context), _vote(update)))


async def action(update: Update, context: Context) -> None:
    """Done / Need more time (and the weeks) pressed on an action card."""
    query = update.callback_query
    assert query is not None
    _kind, action_id, answer = parse(query.data)  # answer: as the handler's pattern allows
    await edit(update, answer_action(clerk_of(context), ChatActionAnswer(
        chat_id(update), int(action_id), answer,  # type: ignore[arg-type]
        evidence=evidence(update), idempotency_key=update_key(update))))


def substitute_handler() -> ConversationHandler[Context]:
    text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(substitute_start, pattern=r"^rsvp:\d+:substitute$")],
        states={SUBSTITUTE: [MessageHandler(text, substitute_named)]},
        fallbacks=[CommandHandler("cancel", substitute_stop)],
        allow_reentry=True,
        persistent=True,
        name="substitute",
    )


def handlers() -> list[Handler]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("link", link, private),
        CommandHandler("unlink", unlink_cmd, private),
        CommandHandler("papers", papers, private),
        MessageHandler(filters.Regex(CODE_TEXT) & private, code),
        CallbackQueryHandler(rsvp, pattern=r"^rsvp:\d+:(attend|apologies)$"),
        CallbackQueryHandler(vote_choice, pattern=r"^vote:\d+:[ars-]+:\d+$"),
        CallbackQueryHandler(vote_cast, pattern=r"^cast:\d+:[ars]+:\d+$"),
        CallbackQueryHandler(action, pattern=r"^act:\d+:(done|more|w1|w2|w4)$"),
    ]
