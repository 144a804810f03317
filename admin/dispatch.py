"""The dispatch centre: unsure tickets are assigned by hand, by button or /dispatch."""

from __future__ import annotations

import logging

from telegram import Update

from admin import texts
from admin.access import Context, say, staff_name, usage
from admin.arguments import command_arguments, department_code, is_number
from admin.context import staff_services
from storage.members import Actor
from storage.tickets import dispatch_ticket, refuse_send_back

log = logging.getLogger(__name__)


async def _dispatch(update: Update, context: Context, actor: Actor, number: str, code: str) -> str:
    svc = staff_services(context)
    async with svc.uow() as uow:
        await dispatch_ticket(
            uow=uow, actor=actor, number=number, department_code=code, policy=svc.policy
        )
    log.info("%s dispatched to %s", number, code)
    svc.kick_outbox()
    return texts.DISPATCHED.format(
        number=number, department=svc.department_names()[code], who=staff_name(actor)
    )


async def dispatch(update: Update, context: Context, actor: Actor) -> None:
    """/dispatch NUMBER CODE: assign a ticket to a department (code or Chinese name)."""
    assert update.effective_message is not None
    args = command_arguments(update.effective_message.text or "")
    names = staff_services(context).department_names()
    code = department_code(args.first, names) if args.first else None
    if args.number is None or not args.first:
        await say(update, usage("dispatch"))
        return
    await say(update, await _dispatch(update, context, actor, args.number, code or args.first))


async def refuse(update: Update, context: Context, actor: Actor) -> None:
    """/refuse NUMBER REASON: the dispatch desk refuses a 退单; back to the same department."""
    assert update.effective_message is not None
    args = command_arguments(update.effective_message.text or "")
    if args.number is None or not args.rest.strip():
        await say(update, usage("refuse"))
        return
    svc = staff_services(context)
    async with svc.uow() as uow:
        await refuse_send_back(uow=uow, actor=actor, number=args.number, reason=args.rest)
    log.info("%s: send-back refused", args.number)
    await say(update, texts.SEND_BACK_REFUSED.format(number=args.number, who=staff_name(actor)))
    svc.kick_outbox()


async def on_button(update: Update, context: Context, actor: Actor) -> None:
    """A department button on a dispatch card (`d:<number>:<code>`)."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    names = staff_services(context).department_names()
    if len(parts) != 3 or not is_number(parts[1]) or parts[2] not in names:
        await query.answer(texts.BUTTON_STALE, show_alert=True)
        return
    done = await _dispatch(update, context, actor, parts[1].upper(), parts[2])
    await query.answer()
    await query.edit_message_reply_markup(None)
    await say(update, done)
