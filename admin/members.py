"""/members for admins: who holds which role, and taking it away (by button or by id).

Roles are read from the database on every update, so a removal counts from the removed
person's very next message or button press. Every removal is recorded in the audit trail.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from admin import texts
from admin.access import Context, admin_only, say
from admin.arguments import command_arguments, department_code
from admin.context import staff_services
from storage.errors import InvalidInput, NoSuchGrant, OwnAdminRole
from storage.members import Actor, ChangedBy, list_members, parse_user_id, remove_member
from storage.models import ChangeSource, Role
from storage.views import MemberView

log = logging.getLogger(__name__)

MAX_LINES = 80  # a Telegram message holds 4096 characters
MAX_BUTTONS = 40


def _roles(grants: list[MemberView], names: dict[str, str]) -> str:
    parts = []
    for grant in grants:
        role = texts.ROLE_NAMES.get(grant.role, grant.role)
        if grant.department_code:
            department = names.get(grant.department_code, grant.department_code)
            parts.append(texts.MEMBERS_ROLE_AT.format(role=role, department=department))
        else:
            parts.append(texts.MEMBERS_ROLE.format(role=role))
    return "、".join(parts)


def _name(grants: list[MemberView]) -> str:
    return next((g.display_name for g in grants if g.display_name), "")


def _by_user(rows: list[MemberView]) -> dict[int, list[MemberView]]:
    people: dict[int, list[MemberView]] = defaultdict(list)
    for row in rows:
        people[row.user_id].append(row)
    return people


async def _roster(context: Context, note: str = "") -> tuple[str, InlineKeyboardMarkup | None]:
    """The list of members and a remove button per person (ids only; checked on press)."""
    svc = staff_services(context)
    async with svc.uow() as uow:
        people = _by_user(await list_members(uow=uow))
    if not people:
        return "\n".join(filter(None, [note, texts.MEMBERS_EMPTY])), None
    names = svc.department_names()
    lines = [texts.MEMBERS_TITLE.format(count=len(people))]
    buttons: list[list[InlineKeyboardButton]] = []
    for user_id, grants in list(people.items())[:MAX_LINES]:
        name = _name(grants)
        lines.append(
            texts.MEMBERS_LINE.format(name=name, user_id=user_id, roles=_roles(grants, names))
        )
        if len(buttons) < MAX_BUTTONS:
            label = texts.MEMBERS_REMOVE_BUTTON.format(name=name or user_id)
            buttons.append([InlineKeyboardButton(label, callback_data=f"m:ask:{user_id}")])
    if len(people) > MAX_LINES:
        lines.append(texts.MEMBERS_MORE.format(count=len(people) - MAX_LINES))
    if note:
        lines.insert(0, note)
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def _remove(
    context: Context,
    actor: Actor,
    user_id: int,
    role: Role | None = None,
    department: str | None = None,
) -> str:
    """Take the roles away (the use case checks and records it); the answer to show."""
    svc = staff_services(context)
    by = ChangedBy(ChangeSource.TELEGRAM, actor.user_id)
    try:
        async with svc.uow() as uow:
            removed = await remove_member(
                uow=uow, user_id=user_id, role=role, department_code=department, by=by
            )
    except NoSuchGrant:
        return texts.MEMBERS_GONE.format(user_id=user_id)
    except OwnAdminRole:
        return texts.MEMBERS_OWN_ADMIN
    log.info("an admin removed %d role(s) of a member", len(removed))
    return texts.MEMBERS_REMOVED.format(
        name=_name(removed), user_id=user_id, roles=_roles(removed, svc.department_names())
    )


async def members(update: Update, context: Context, actor: Actor) -> None:
    """/members: the list with remove buttons; /members remove ID [ROLE] [DEPARTMENT]."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None
    assert chat is not None
    if chat.type != ChatType.PRIVATE:
        await say(update, texts.MEMBERS_PRIVATE_ONLY)
        return
    words = command_arguments(message.text or "").rest.split()
    if not words:
        text, markup = await _roster(context)
        await say(update, text, markup)
        return
    if words[0] not in ("remove", "移除") or len(words) < 2:
        await say(update, texts.MEMBERS_USAGE)
        return
    try:
        user_id = parse_user_id(words[1])
    except InvalidInput:
        await say(update, texts.MEMBERS_USAGE)
        return
    role = Role(words[2]) if len(words) > 2 and words[2] in set(Role) else None
    rest = words[3:] if role is not None else words[2:]
    code = None
    if rest:
        names = staff_services(context).department_names()
        code = department_code(" ".join(rest), names) or " ".join(rest)
    await say(update, await _remove(context, actor, user_id, role, code))


async def on_button(update: Update, context: Context, actor: Actor) -> None:
    """`m:ask:ID` asks to confirm, `m:rm:ID` removes, `m:list` shows the list again."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if parts[1:] == ["list"]:
        text, markup = await _roster(context)
        await query.answer()
        await query.edit_message_text(text, reply_markup=markup)
        return
    if len(parts) != 3 or parts[1] not in ("ask", "rm") or not parts[2].isdigit():
        await query.answer(texts.BUTTON_STALE, show_alert=True)
        return
    user_id = int(parts[2])
    if parts[1] == "rm":
        done = await _remove(context, actor, user_id)
        text, markup = await _roster(context, note=done)
        await query.answer(done)
        await query.edit_message_text(text, reply_markup=markup)
        return
    svc = staff_services(context)
    async with svc.uow() as uow:
        grants = _by_user(await list_members(uow=uow)).get(user_id, [])
    if not grants:
        text, markup = await _roster(context, note=texts.MEMBERS_GONE.format(user_id=user_id))
        await query.answer()
        await query.edit_message_text(text, reply_markup=markup)
        return
    confirm = texts.MEMBERS_CONFIRM.format(
        name=_name(grants), user_id=user_id, roles=_roles(grants, svc.department_names())
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.MEMBERS_CONFIRM_BUTTON, callback_data=f"m:rm:{user_id}"),
                InlineKeyboardButton(texts.MEMBERS_CANCEL_BUTTON, callback_data="m:list"),
            ]
        ]
    )
    await query.answer()
    await query.edit_message_text(confirm, reply_markup=keyboard)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """/members and its buttons, for admins only (roles read from the database each time)."""
    application.add_handlers(
        [
            CommandHandler("members", admin_only(members), filters=filters.UpdateType.MESSAGE),
            CallbackQueryHandler(admin_only(on_button), pattern=r"^m:"),
        ]
    )
