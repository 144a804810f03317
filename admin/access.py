"""Who may act in staff groups: every update's sender is looked up in the database, domain
errors become polite Chinese answers, and an admin binds a group to its department."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from admin import texts
from admin.arguments import command_arguments, department_code
from admin.context import staff_services
from delivery.topics import retire_topic
from storage.district import bind_department, department_for_chat
from storage.errors import (
    AlreadyClaimed,
    DomainError,
    DuplicateTopic,
    ExtensionRefused,
    IllegalTransition,
    InvalidInput,
    PermissionDenied,
    SendBackTooLate,
    TicketNotFound,
    UnknownDepartment,
)
from storage.members import Actor, actor_for
from storage.models import Role
from storage.outbox import ticket_for_message
from storage.topics import found_topic
from storage.vocabulary import action_name, status_name

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
Action = Callable[[Update, Context, Actor], Awaitable[None]]
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def explain(error: DomainError, *, button: bool = False) -> str:
    """The Chinese answer for a domain error (a stale or forged button says so)."""
    if isinstance(error, PermissionDenied):
        if error.action in ("approve_extension", "deny_extension"):
            return texts.NOT_EXTENSION_APPROVER
        desk = error.action in ("dispatch", "approve_send_back", "refuse_send_back")
        return texts.NOT_DISPATCHER if desk else texts.NOT_YOUR_TICKET
    if isinstance(error, ExtensionRefused):
        template = {
            "too_long": texts.EXTENSION_TOO_LONG,
            "too_many": texts.EXTENSION_TOO_MANY,
        }.get(error.why, texts.EXTENSION_PENDING)
        return template.format(number=error.number, limit=error.limit)
    if isinstance(error, SendBackTooLate):
        return texts.SEND_BACK_TOO_LATE.format(number=error.number, days=error.days)
    if isinstance(error, AlreadyClaimed):  # the second of two claims: who was first
        if error.own:
            return texts.ALREADY_YOURS.format(number=error.number)
        who = error.by_name or texts.WHO_STAFF
        return texts.ALREADY_CLAIMED.format(number=error.number, who=who)
    if isinstance(error, DuplicateTopic):
        return texts.DUPLICATE_TOPIC.format(number=error.number)
    if button:
        return texts.BUTTON_STALE
    if isinstance(error, TicketNotFound):
        return texts.TICKET_UNKNOWN.format(number=error.number[:40])
    if isinstance(error, IllegalTransition):
        return texts.WRONG_STATE.format(
            number=error.number,
            status=status_name(error.status, staff=True),
            action=action_name(error.action),
        )
    if isinstance(error, UnknownDepartment):
        return texts.UNKNOWN_DEPARTMENT.format(
            code=error.code[:40], codes="、".join(c for c in error.known if c != "dispatch")
        )
    if isinstance(error, InvalidInput):
        detail = str(error)
        return texts.INVALID_INPUT.format(detail=texts.INVALID_DETAILS.get(detail, detail))
    return texts.INVALID_INPUT.format(detail=str(error))


async def say(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the chat (and forum topic) of the update; best effort."""
    message = update.effective_message
    if message is None:
        return None
    try:
        return await message.reply_text(text, reply_markup=markup)
    except TelegramError as error:  # e.g. the topic was closed a moment ago
        log.warning("could not answer in a staff group: %s", error)
        return None


async def refuse(update: Update, text: str) -> None:
    """A refusal: an alert on a button press, a reply to a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
        return
    await say(update, text)


def staff_only(action: Action, *, quiet: bool = False, anywhere: bool = False) -> Handler:
    """Declares a handler for staff: the sender's roles are read from the database; anyone
    without one is refused (or, when `quiet`, ignored), and domain errors are answered.
    Unless `anywhere`, it works only in a group bound to a department (or dispatch), so a
    resident's details never show up in some other group the bot happens to be in."""

    async def handler(update: Update, context: Context) -> None:
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            return
        svc = staff_services(context)
        async with svc.uow() as uow:
            actor = await actor_for(uow=uow, user_id=user.id, display_name=user.first_name)
            bound = anywhere or await department_for_chat(uow=uow, chat_id=chat.id) is not None
        if not actor.is_staff:
            if not quiet:
                await refuse(update, texts.NOT_STAFF)
            return
        if not bound:
            if not quiet:
                await refuse(update, texts.NOT_A_DEPARTMENT_GROUP)
            return
        try:
            await action(update, context, actor)
        except DuplicateTopic as error:  # told in the topic, then it is closed
            await refuse(update, explain(error))
            await retire_topic(context.bot, error.chat_id, error.thread_id, error.number)
        except DomainError as error:
            await refuse(update, explain(error, button=update.callback_query is not None))

    return handler


def admin_only(action: Action) -> Handler:
    """Declares a handler for admins, in any chat: like `staff_only`, the sender's roles are
    read from the database on every update, so a removed admin is refused at once."""

    async def for_admins(update: Update, context: Context, actor: Actor) -> None:
        if not actor.has(Role.ADMIN):
            await refuse(update, texts.ADMINS_ONLY)
            return
        await action(update, context, actor)

    return staff_only(for_admins, anywhere=True)


def staff_name(actor: Actor) -> str:
    """How colleagues see a member of staff: the name kept with their role."""
    for role in actor.roles:
        if role.display_name:
            return role.display_name
    return actor.display_name or texts.WHO_STAFF


async def ticket_here(update: Update, context: Context) -> str | None:
    """The ticket a group message is about: its forum topic, or the card it replies to.

    A topic no ticket knows, made by the bot under a name a ticket's topic claim asked for,
    was left by a lost answer to createForumTopic (storage/topics.py): the ticket adopts it
    when it has no topic yet; else it is a duplicate (`DuplicateTopic`)."""
    message = update.effective_message
    if message is None:
        return None
    svc = staff_services(context)
    thread = message.message_thread_id if message.is_topic_message else None
    async with svc.uow() as uow:
        if thread is not None:
            number = await ticket_for_message(uow=uow, chat_id=message.chat_id, thread_id=thread)
            if number is not None:
                return number
            root = message.reply_to_message  # in a topic: the topic's creation message
            created = root.forum_topic_created if root is not None else None
            author = root.from_user if root is not None else None
            if created is not None and author is not None and author.id == context.bot.id:
                found = await found_topic(
                    uow=uow, chat_id=message.chat_id, thread_id=thread, name=created.name
                )
                if found is not None and found.adopted:
                    log.warning("a topic left by a lost answer became %s's", found.number)
                    return found.number
                if found is not None:
                    raise DuplicateTopic(found.number, chat_id=message.chat_id, thread_id=thread)
        if message.reply_to_message is not None:
            return await ticket_for_message(
                uow=uow, chat_id=message.chat_id, message_id=message.reply_to_message.message_id
            )
    return None


async def bind(update: Update, context: Context, actor: Actor) -> None:
    """/bind CODE: an admin makes this group the department's staff group."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None
    assert chat is not None
    if not actor.has(Role.ADMIN):
        await refuse(update, texts.NOT_ADMIN)
        return
    svc = staff_services(context)
    args = command_arguments(message.text or "")
    code = department_code(args.rest, svc.department_names()) or args.rest
    if not code:
        await say(update, texts.USAGE_PREFIX + texts.USAGE["bind"])
        return
    async with svc.uow() as uow:
        department = await bind_department(
            uow=uow, code=code, chat_id=chat.id, is_forum=bool(chat.is_forum)
        )
    log.info("group bound to department %s", department.code)
    forum = texts.BOUND_FORUM if department.is_forum else texts.BOUND_PLAIN
    await say(update, texts.BOUND.format(department=department.name, forum=forum))


def usage(command: str) -> str:
    """How to use a command, with an example."""
    return texts.USAGE_PREFIX + texts.USAGE[command]


def need_ticket(command: str) -> str:
    """Where to use a command that needs a ticket."""
    return texts.NEED_TICKET.format(example=texts.USAGE[command])
