"""Department staff in their Telegram group: claim, answer, ask, note, reassign and resolve.

A plain message in a ticket's forum topic (or a reply to its card) reaches the resident;
one starting with #备注 stays internal. Commands take the ticket from the topic they are
written in, or from a ticket number given first.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from admin import cards, dispatch, texts
from admin.access import (
    Context,
    bind,
    need_ticket,
    refuse,
    say,
    staff_name,
    staff_only,
    ticket_here,
    usage,
)
from admin.arguments import (
    TAKE_OVER_WORDS,
    Arguments,
    closure_code,
    command_arguments,
    department_code,
    is_number,
    note_text,
    working_days,
)
from admin.context import staff_services
from storage.columns import utcnow
from storage.conversations import ConversationState, load_state, save_state
from storage.district import department_for_chat
from storage.errors import IllegalTransition, PermissionDenied
from storage.knowledge import promote_answer
from storage.lifecycle import is_workable
from storage.members import Actor, list_members
from storage.models import ClosureCode, Role
from storage.queries import department_open_tickets, get_ticket, overdue_tickets, staff_ticket
from storage.templates import (
    TemplateView,
    add_template,
    get_template,
    list_templates,
    remove_template,
)
from storage.tickets import (
    add_cohandler,
    add_note,
    ask_resident,
    claim_ticket,
    cohandler_note,
    reassign_ticket,
    reply_to_resident,
    request_extension,
    resolve_ticket,
    send_back_ticket,
)
from storage.vocabulary import CLOSURE_NAMES, status_name

log = logging.getLogger(__name__)

GROUPS = filters.ChatType.GROUPS
NEW_MESSAGE = filters.UpdateType.MESSAGE
CONVERSATION = "staff"
LAST_ALBUM_KEY = "minyi.last_album"  # chat_data: the album whose first photo was relayed
AWAITING_ANSWER = "answer"
AWAITING_ORIGINAL = "original"
REPLY_DRAFT = "reply_draft"  # a template inserted for a reply, waiting for the clerk's word


# --- which ticket, and the pending 办结 of one member of staff ---------------------------------


async def _command_ticket(
    update: Update, context: Context, command: str
) -> tuple[Arguments, str] | None:
    """A staff command's arguments and its ticket: the number given first, else the ticket of
    the topic or card replied to. Without one, says how to name it and returns None."""
    assert update.effective_message is not None
    args = command_arguments(update.effective_message.text or "")
    number = args.number or await ticket_here(update, context)
    if number is None:
        await say(update, need_ticket(command))
        return None
    return args, number


def _conversation_key(update: Update) -> str:
    assert update.effective_chat is not None
    assert update.effective_user is not None
    return f"{update.effective_chat.id}:{update.effective_user.id}"


async def _pending(update: Update, context: Context) -> ConversationState:
    async with staff_services(context).uow() as uow:
        return await load_state(uow=uow, name=CONVERSATION, key=_conversation_key(update))


async def _set_pending(update: Update, context: Context, state: ConversationState) -> None:
    async with staff_services(context).uow() as uow:
        await save_state(uow=uow, name=CONVERSATION, key=_conversation_key(update), state=state)


def _thread(update: Update) -> int | None:
    message = update.effective_message
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


# --- the lifecycle, one call each ---------------------------------------------------------------


async def _claim(
    update: Update, context: Context, actor: Actor, number: str, *, take_over: bool = False
) -> None:
    svc = staff_services(context)
    async with svc.uow() as uow:
        await claim_ticket(uow=uow, actor=actor, number=number, take_over=take_over)
    log.info("%s %s", number, "taken over" if take_over else "claimed")
    template = texts.TAKEN_OVER if take_over else texts.CLAIMED
    await say(update, template.format(who=staff_name(actor), number=number))
    svc.kick_outbox()


async def _reassign(
    update: Update, context: Context, actor: Actor, number: str, code: str, reason: str
) -> str:
    svc = staff_services(context)
    async with svc.uow() as uow:
        await reassign_ticket(
            uow=uow,
            actor=actor,
            number=number,
            department_code=code,
            reason=reason,
            policy=svc.policy,
        )
    log.info("%s reassigned to %s", number, code)
    svc.kick_outbox()
    return texts.REASSIGNED.format(number=number, department=svc.department_names()[code])


async def _resolve(
    update: Update,
    context: Context,
    actor: Actor,
    number: str,
    code: ClosureCode,
    answer: str,
    original: str | None = None,
) -> None:
    svc = staff_services(context)
    async with svc.uow() as uow:
        await resolve_ticket(
            uow=uow, actor=actor, number=number, code=code, answer=answer, duplicate_of=original
        )
    log.info("%s resolved as %s", number, code)
    markup = None
    if code == ClosureCode.NOT_OURS:
        text = texts.RETURNED_TO_DISPATCH.format(number=number)
    else:
        text = texts.RESOLVED.format(number=number, code=CLOSURE_NAMES[code])
        if code == ClosureCode.ANSWERED:  # an answer to a question may serve the next resident
            markup = cards.promote_keyboard(number)
    await say(update, text, markup)  # before the sender closes the topic
    svc.kick_outbox()


# --- commands -----------------------------------------------------------------------------------


async def claim(update: Update, context: Context, actor: Actor) -> None:
    """/claim [NUMBER]: take the ticket on; `/claim 接手` takes it over from a colleague."""
    found = await _command_ticket(update, context, "claim")
    if found is None:
        return
    args, number = found
    await _claim(update, context, actor, number, take_over=args.first in TAKE_OVER_WORDS)


async def reply(update: Update, context: Context, actor: Actor) -> None:
    """/reply [NUMBER] TEXT: answer the resident."""
    await _message_resident(update, context, actor, command="reply")


async def ask(update: Update, context: Context, actor: Actor) -> None:
    """/ask [NUMBER] TEXT: ask the resident; their next message comes back here."""
    await _message_resident(update, context, actor, command="ask")


async def note(update: Update, context: Context, actor: Actor) -> None:
    """/note [NUMBER] TEXT: an internal note the resident never sees."""
    await _message_resident(update, context, actor, command="note")


async def _message_resident(
    update: Update, context: Context, actor: Actor, *, command: str
) -> None:
    found = await _command_ticket(update, context, command)
    if found is None:
        return
    args, number = found
    if not args.rest:
        await say(update, usage(command))
        return
    await _write(update, context, actor, number, args.rest, command=command)


async def _write(
    update: Update, context: Context, actor: Actor, number: str, text: str, *, command: str
) -> None:
    svc = staff_services(context)
    use_case = {"reply": reply_to_resident, "ask": ask_resident, "note": add_note}[command]
    async with svc.uow() as uow:
        await use_case(uow=uow, actor=actor, number=number, text=text)
    log.info("%s: staff %s", number, command)
    template = {"reply": texts.RELAYED, "ask": texts.ASKED, "note": texts.NOTED}[command]
    await say(update, template.format(number=number))
    if command != "note":
        svc.kick_outbox()


async def reassign(update: Update, context: Context, actor: Actor) -> None:
    """/reassign [NUMBER] CODE [REASON]: 转办 to another department (code or Chinese name)."""
    found = await _command_ticket(update, context, "reassign")
    if found is None:
        return
    args, number = found
    if not args.first:
        await say(update, usage("reassign"))
        return
    code = department_code(args.first, staff_services(context).department_names()) or args.first
    await say(update, await _reassign(update, context, actor, number, code, args.after_first))


async def sendback(update: Update, context: Context, actor: Actor) -> None:
    """/sendback [NUMBER] REASON: 退单 to the dispatch desk, which decides."""
    found = await _command_ticket(update, context, "sendback")
    if found is None:
        return
    args, number = found
    if not args.rest.strip():
        await say(update, usage("sendback"))
        return
    svc = staff_services(context)
    async with svc.uow() as uow:
        await send_back_ticket(
            uow=uow, actor=actor, number=number, reason=args.rest, policy=svc.policy
        )
    log.info("%s sent back", number)
    await say(update, texts.SENT_BACK.format(number=number))
    svc.kick_outbox()


async def extend(update: Update, context: Context, actor: Actor) -> None:
    """/extend [NUMBER] DAYS REASON: 延期, N working days, approved by supervisors."""
    found = await _command_ticket(update, context, "extend")
    if found is None:
        return
    args, number = found
    days = working_days(args.first)
    if days is None or not args.after_first:
        await say(update, usage("extend"))
        return
    svc = staff_services(context)
    async with svc.uow() as uow:
        await request_extension(
            uow=uow,
            actor=actor,
            number=number,
            days=days,
            reason=args.after_first,
            policy=svc.policy,
        )
    log.info("%s: extension requested", number)
    await say(update, texts.EXTENSION_REQUESTED.format(number=number, days=days))
    svc.kick_outbox()


async def resolve(update: Update, context: Context, actor: Actor) -> None:
    """/resolve [NUMBER] CODE TEXT: 办结; `/resolve 重复 ORIGINAL` links to the original."""
    found = await _command_ticket(update, context, "resolve")
    if found is None:
        return
    args, number = found
    code = closure_code(args.first)
    if code is None:
        await say(update, usage("resolve") + "\n" + texts.RESOLVE_CODES)
        return
    answer, original = args.after_first, None
    if code == ClosureCode.DUPLICATE:
        words = answer.split(maxsplit=1)
        if not words or not is_number(words[0]):
            await say(update, texts.BAD_ORIGINAL)
            return
        original, answer = words[0].upper(), words[1] if len(words) > 1 else ""
    await _resolve(update, context, actor, number, code, answer, original)


async def list_tickets(update: Update, context: Context, actor: Actor) -> None:
    """/list: the group's department's open tickets, oldest first, overdue marked ⏰."""
    svc = staff_services(context)
    assert update.effective_chat is not None
    # Answers go out after the unit of work ends: a paced send never holds the database.
    async with svc.uow() as uow:
        department = await department_for_chat(uow=uow, chat_id=update.effective_chat.id)
        allowed = department is not None and actor.may_work_on(department.code)
        tickets = (
            await department_open_tickets(uow=uow, department_code=department.code)
            if department is not None and allowed
            else []
        )
    if department is None:
        await say(update, texts.NOT_A_DEPARTMENT_GROUP)
    elif not allowed:
        await refuse(update, texts.NOT_YOUR_TICKET)
    else:
        await say(update, cards.ticket_list(department.name, tickets, now=utcnow(), tz=svc.tz))


async def overdue(update: Update, context: Context, actor: Actor) -> None:
    """/overdue: the department's tickets past their deadline (every department's in dispatch)."""
    svc = staff_services(context)
    assert update.effective_chat is not None
    async with svc.uow() as uow:
        department = await department_for_chat(uow=uow, chat_id=update.effective_chat.id)
        allowed = department is not None and actor.may_work_on(department.code)
        tickets = []
        if department is not None and allowed:
            scope = None if department.is_dispatch else department.code
            tickets = await overdue_tickets(uow=uow, department_code=scope)
    if department is None:
        await say(update, texts.NOT_A_DEPARTMENT_GROUP)
    elif not allowed:
        await refuse(update, texts.NOT_YOUR_TICKET)
    else:
        await say(update, cards.overdue_list(tickets, svc.department_names(), tz=svc.tz))


async def ticket(update: Update, context: Context, actor: Actor) -> None:
    """/ticket [NUMBER]: the card and the whole history, with who did what."""
    found = await _command_ticket(update, context, "ticket")
    if found is None:
        return
    _, number = found
    svc = staff_services(context)
    async with svc.uow() as uow:
        card, events = await staff_ticket(uow=uow, number=number)
        allowed = actor.may_work_on(card.department_code)
        members = await list_members(uow=uow) if allowed else []
    if not allowed:
        await refuse(update, texts.NOT_YOUR_TICKET)
        return
    names = {m.user_id: m.display_name for m in members if m.display_name}
    text, markup = cards.staff_ticket(
        card, events, names, svc.department_names(), now=utcnow(), tz=svc.tz
    )
    await say(update, text[:4096], markup)


async def templates(update: Update, context: Context, actor: Actor) -> None:
    """/templates: the department's standard answers; admins: `add 标题|内容`, `remove 编号`."""
    assert update.effective_chat is not None
    assert update.effective_message is not None
    svc = staff_services(context)
    args = command_arguments(update.effective_message.text or "")
    async with svc.uow() as uow:
        department = await department_for_chat(uow=uow, chat_id=update.effective_chat.id)
    if department is None or department.is_dispatch:
        await say(update, texts.NOT_A_DEPARTMENT_GROUP)
        return
    if not actor.may_work_on(department.code):
        await refuse(update, texts.NOT_YOUR_TICKET)
        return
    word = args.first
    if word and not actor.has(Role.ADMIN):
        await refuse(update, texts.TEMPLATES_ADMINS_ONLY)
        return
    if word == "add":
        title, bar, text = args.after_first.replace("\uff5c", "|").partition("|")
        if not bar:
            await say(update, texts.TEMPLATES_USAGE)
            return
        async with svc.uow() as uow:
            added = await add_template(
                uow=uow,
                department_code=department.code,
                title=title,
                text=text,
                actor_user_id=actor.user_id,
            )
        await say(update, texts.TEMPLATE_ADDED.format(id=added.id, title=added.title))
    elif word == "remove" and args.after_first.isdigit():
        template_id = int(args.after_first)
        async with svc.uow() as uow:
            removed = await remove_template(
                uow=uow, template_id=template_id, department_code=department.code
            )
        template = texts.TEMPLATE_REMOVED if removed else texts.TEMPLATE_MISSING
        await say(update, template.format(id=template_id))
    elif word:
        await say(update, texts.TEMPLATES_USAGE)
    else:
        async with svc.uow() as uow:
            rows = await list_templates(uow=uow, department_code=department.code)
        number = await ticket_here(update, context)  # in a ticket's topic: offered as drafts
        markup = cards.template_picker(number, rows) if number else None
        await say(update, cards.template_list(department.name, rows), markup)


async def cancel(update: Update, context: Context, actor: Actor) -> None:
    """/cancel: drop a pending 办结."""
    if (await _pending(update, context)).state is None:
        await say(update, texts.NOTHING_PENDING)
        return
    await _set_pending(update, context, ConversationState())
    await say(update, texts.PENDING_CANCELLED)


# --- plain messages in a ticket's topic ---------------------------------------------------------


async def on_text(update: Update, context: Context, actor: Actor) -> None:
    """A pending 办结 answer, an internal #备注, or a message relayed to the resident."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    pending = await _pending(update, context)
    if pending.state == REPLY_DRAFT:  # whatever the clerk writes now is their own reply
        await _set_pending(update, context, ConversationState())
        pending = ConversationState()
    if pending.state is not None and _answers(pending, update):
        await _continue_resolve(update, context, actor, pending, message.text)
        return
    if pending.state is not None and pending.data.get("prompt") and not pending.data.get("told"):
        # A group without topics: only a reply to the prompt is the 办结 answer; say so once.
        await _set_pending(
            update, context, ConversationState(pending.state, {**pending.data, "told": True})
        )
        await say(update, texts.ANSWER_BY_REPLY.format(number=pending.data["number"]))
    number = await ticket_here(update, context)
    if number is None:
        return  # talk among colleagues, not about a ticket
    internal = note_text(message.text)
    try:
        if internal is not None:
            await _write(update, context, actor, number, internal, command="note")
        else:
            await _write(update, context, actor, number, message.text, command="reply")
    except IllegalTransition as error:
        status = status_name(error.status, staff=True)
        await say(update, texts.NOT_RELAYED.format(number=number, status=status))
    except PermissionDenied:  # not the lead department's: a co-handler's (协办) note, or refused
        text = internal if internal is not None else message.text
        await _cohandler_write(update, context, actor, number, text, partial=internal is None)


async def _cohandler_write(
    update: Update, context: Context, actor: Actor, number: str, text: str, *, partial: bool
) -> None:
    svc = staff_services(context)
    async with svc.uow() as uow:
        await cohandler_note(uow=uow, actor=actor, number=number, text=text, partial=partial)
    log.info("%s: co-handler note", number)
    await say(update, texts.COHANDLER_NOTED.format(number=number))
    svc.kick_outbox()


async def cohandle(update: Update, context: Context, actor: Actor) -> None:
    """/cohandle [NUMBER] DEPARTMENT [NOTE]: 协办, another department helps with the ticket."""
    found = await _command_ticket(update, context, "cohandle")
    if found is None:
        return
    args, number = found
    if not args.first:
        await say(update, usage("cohandle"))
        return
    svc = staff_services(context)
    code = department_code(args.first, svc.department_names()) or args.first
    async with svc.uow() as uow:
        await add_cohandler(
            uow=uow, actor=actor, number=number, department_code=code, note=args.after_first
        )
    log.info("%s: co-handler %s added", number, code)
    await say(
        update, texts.COHANDLER_ADDED.format(number=number, department=svc.department_names()[code])
    )
    svc.kick_outbox()


async def on_photo(update: Update, context: Context, actor: Actor) -> None:
    """A photo in a ticket's topic (or in reply to its card) goes to the resident, with its
    caption as the answer; a caption starting with #备注 keeps it among staff."""
    message = update.effective_message
    assert message is not None
    number = await ticket_here(update, context)
    if number is None or not message.photo:
        return  # a picture shared among colleagues
    caption = (message.caption or "").strip()
    if note_text(caption) is not None:
        return  # internal: it is already in the staff group
    # An album arrives as one update per photo, in order: the words and the confirmation go
    # with its first photo only.
    album = message.media_group_id
    seen = context.chat_data if context.chat_data is not None else {}
    more_of_album = album is not None and seen.get(LAST_ALBUM_KEY) == album
    if album is not None:
        seen[LAST_ALBUM_KEY] = album
    svc = staff_services(context)
    try:
        async with svc.uow() as uow:
            await reply_to_resident(
                uow=uow,
                actor=actor,
                number=number,
                text=caption or ("" if more_of_album else texts.PHOTO_REPLY),
                photo_file_ids=[message.photo[-1].file_id],  # the largest size
            )
    except IllegalTransition as error:
        if not more_of_album:
            status = status_name(error.status, staff=True)
            await say(update, texts.NOT_RELAYED.format(number=number, status=status))
        return
    log.info("%s: staff photo relayed", number)
    if not more_of_album:
        await say(update, texts.RELAYED.format(number=number))
    svc.kick_outbox()


def _answers(pending: ConversationState, update: Update) -> bool:
    """Whether a message is the 办结 answer the bot asked for: in a forum, any message in the
    ticket's topic; in a group without topics, a reply to the prompt (else chatter would be
    sent to the resident)."""
    prompt = pending.data.get("prompt")
    if prompt is None:
        return bool(pending.data.get("thread") == _thread(update))
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    return replied is not None and replied.message_id == prompt


async def _continue_resolve(
    update: Update, context: Context, actor: Actor, pending: ConversationState, text: str
) -> None:
    number, code = pending.data["number"], ClosureCode(pending.data["code"])
    if pending.state == AWAITING_ORIGINAL:
        original = text.strip().split(maxsplit=1)[0] if text.strip() else ""
        if not is_number(original):
            await say(update, texts.BAD_ORIGINAL)
            return
        await _set_pending(update, context, ConversationState())
        await _resolve(update, context, actor, number, code, "", original.upper())
        return
    await _set_pending(update, context, ConversationState())
    await _resolve(update, context, actor, number, code, text)


# --- buttons on the ticket card: s:claim / s:move / s:done, then s:to / s:code -----------------


async def on_button(update: Update, context: Context, actor: Actor) -> None:
    """A button of a ticket card or of a picker it opened; re-checked against the database."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    names = staff_services(context).department_names()
    if len(parts) not in (3, 4) or not is_number(parts[2]):
        await query.answer(texts.BUTTON_STALE, show_alert=True)
        return
    action, number = parts[1], parts[2].upper()
    if action == "claim" and len(parts) == 3:
        await _claim(update, context, actor, number)
        await query.answer()
    elif action == "move" and len(parts) == 3:
        await _open_picker(update, context, actor, number, "move")
    elif action == "done" and len(parts) == 3:
        await _open_picker(update, context, actor, number, "done")
    elif action == "to" and len(parts) == 4 and parts[3] in names:
        done = await _reassign(update, context, actor, number, parts[3], "")
        await query.answer()
        await query.edit_message_text(done)
    elif action == "code" and len(parts) == 4 and (picked := closure_code(parts[3])) is not None:
        await _pick_closure(update, context, actor, number, picked)
    elif action == "tpl" and len(parts) == 4 and parts[3].isdigit():
        await _insert_template(update, context, actor, number, int(parts[3]))
    elif action == "use" and len(parts) == 3:
        await _use_draft(update, context, actor, number)
    elif action == "kb" and len(parts) == 3:
        async with staff_services(context).uow() as uow:
            await promote_answer(uow=uow, actor=actor, number=number)
        log.info("%s: answer promoted to the knowledge base", number)
        await query.answer(texts.PROMOTED, show_alert=True)
        await query.edit_message_reply_markup(None)
    else:
        await query.answer(texts.BUTTON_STALE, show_alert=True)


async def _workable(context: Context, actor: Actor, number: str) -> tuple[str, str]:
    """The ticket's department and status, if the actor may still work on it (else raises)."""
    async with staff_services(context).uow() as uow:
        found = await get_ticket(uow=uow, number=number)
    if not actor.may_work_on(found.department_code):
        raise PermissionDenied("open picker")
    if not is_workable(found.status):
        raise IllegalTransition(found.number, found.status, "pick")
    return found.department_code or "", found.status


async def _open_picker(
    update: Update, context: Context, actor: Actor, number: str, which: str
) -> None:
    query = update.callback_query
    assert query is not None
    current, _ = await _workable(context, actor, number)
    await query.answer()
    if which == "move":
        names = staff_services(context).department_names()
        choices = {c: n for c, n in names.items() if c not in (current, "dispatch")}
        if "dispatch" in names and current != "dispatch":
            choices["dispatch"] = names["dispatch"]
        await say(
            update,
            texts.PICK_DEPARTMENT.format(number=number),
            cards.department_picker(number, choices),
        )
    else:
        await say(update, texts.PICK_CLOSURE.format(number=number), cards.closure_picker(number))


async def _pick_closure(
    update: Update, context: Context, actor: Actor, number: str, code: ClosureCode
) -> None:
    query = update.callback_query
    assert query is not None
    await _workable(context, actor, number)
    await query.answer()
    if code == ClosureCode.NOT_OURS:
        await query.edit_message_reply_markup(None)
        await _resolve(update, context, actor, number, code, "")
        return
    state = AWAITING_ORIGINAL if code == ClosureCode.DUPLICATE else AWAITING_ANSWER
    thread = _thread(update)
    data: dict[str, Any] = {"number": number, "code": code.value, "thread": thread}
    if thread is None and query.message is not None:  # no topics: answers quote the prompt
        data["prompt"] = query.message.message_id
    await _set_pending(update, context, ConversationState(state, data))
    template = texts.ASK_ORIGINAL if code == ClosureCode.DUPLICATE else texts.ASK_ANSWER
    text = template.format(number=number, code=CLOSURE_NAMES[code])
    offered = [] if code == ClosureCode.DUPLICATE else await _templates_for(context, number, code)
    markup = cards.template_picker(number, offered)
    text += (texts.REPLY_TO_THIS if "prompt" in data else "") + (
        texts.TEMPLATE_OFFER if markup else ""
    )
    await query.edit_message_text(text, reply_markup=markup)


async def _templates_for(context: Context, number: str, code: ClosureCode) -> list[TemplateView]:
    """The ticket's department's standard answers that fit a closure code."""
    async with staff_services(context).uow() as uow:
        found = await get_ticket(uow=uow, number=number)
        rows = await list_templates(uow=uow, department_code=found.department_code or "")
    return [t for t in rows if t.closure_code in (None, code)]


async def _insert_template(
    update: Update, context: Context, actor: Actor, number: str, template_id: int
) -> None:
    """A template button: its text becomes the pending 办结's draft, shown for confirmation;
    nothing reaches the resident until the clerk confirms it or sends their own version."""
    query = update.callback_query
    assert query is not None
    department, _ = await _workable(context, actor, number)
    pending = await _pending(update, context)
    async with staff_services(context).uow() as uow:
        template = await get_template(uow=uow, template_id=template_id)
    resolving = pending.state == AWAITING_ANSWER and pending.data.get("number") == number
    if template is None or template.department_code != department:
        await query.answer(texts.BUTTON_STALE, show_alert=True)
        return
    if resolving:
        state = ConversationState(pending.state, {**pending.data, "draft": template.text})
        shown = texts.TEMPLATE_DRAFT
    else:  # offered by /templates in the ticket's topic: a draft reply, not a 办结
        state = ConversationState(REPLY_DRAFT, {"number": number, "draft": template.text})
        shown = texts.TEMPLATE_REPLY_DRAFT
    await _set_pending(update, context, state)
    await query.answer()
    draft = shown.format(number=number, title=template.title, text=template.text)
    await say(update, draft, cards.draft_keyboard(number, reply=not resolving))


async def _use_draft(update: Update, context: Context, actor: Actor, number: str) -> None:
    """按此答复办结: the clerk confirms the draft as it is."""
    query = update.callback_query
    assert query is not None
    pending = await _pending(update, context)
    draft = pending.data.get("draft")
    waiting = pending.state in (AWAITING_ANSWER, REPLY_DRAFT)
    if not waiting or pending.data.get("number") != number or not draft:
        await query.answer(texts.NO_DRAFT, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _set_pending(update, context, ConversationState())
    if pending.state == REPLY_DRAFT:
        await _write(update, context, actor, number, str(draft), command="reply")
        return
    await _resolve(update, context, actor, number, ClosureCode(pending.data["code"]), str(draft))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Register every staff-side handler (group chats; buttons re-checked in the database)."""
    command = GROUPS & NEW_MESSAGE
    application.add_handlers(
        [
            CommandHandler("claim", staff_only(claim), filters=command),
            CommandHandler("reply", staff_only(reply), filters=command),
            CommandHandler("ask", staff_only(ask), filters=command),
            CommandHandler("note", staff_only(note), filters=command),
            CommandHandler("reassign", staff_only(reassign), filters=command),
            CommandHandler("resolve", staff_only(resolve), filters=command),
            CommandHandler("list", staff_only(list_tickets), filters=command),
            CommandHandler("ticket", staff_only(ticket), filters=command),
            CommandHandler("overdue", staff_only(overdue), filters=command),
            CommandHandler("cancel", staff_only(cancel), filters=command),
            CommandHandler("dispatch", staff_only(dispatch.dispatch), filters=command),
            CommandHandler("sendback", staff_only(sendback), filters=command),
            CommandHandler("extend", staff_only(extend), filters=command),
            CommandHandler("templates", staff_only(templates), filters=command),
            CommandHandler("cohandle", staff_only(cohandle), filters=command),
            CommandHandler("refuse", staff_only(dispatch.refuse), filters=command),
            CommandHandler("bind", staff_only(bind, anywhere=True), filters=command),
            MessageHandler(
                GROUPS & NEW_MESSAGE & filters.TEXT & ~filters.COMMAND,
                staff_only(on_text, quiet=True),
            ),
            MessageHandler(GROUPS & NEW_MESSAGE & filters.PHOTO, staff_only(on_photo, quiet=True)),
            CallbackQueryHandler(staff_only(on_button), pattern=r"^s:"),
            CallbackQueryHandler(staff_only(dispatch.on_button), pattern=r"^d:"),
        ]
    )
