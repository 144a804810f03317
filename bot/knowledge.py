"""A resident's question answered at once from the knowledge base, with 解决了 / 转人工.

The matcher is built from the base's entries and rebuilt when the base changes (another
worker may have promoted an answer). 转人工 goes on with the normal intake, the resident's
words kept; a button pressed by anyone but the resident it was given to changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import texts
from bot.services import Context, Services, services
from classifiers.knowledge import KnowledgeMatch, KnowledgeMatcher
from storage.errors import InvalidInput, PermissionDenied
from storage.knowledge import (
    base_version,
    list_entries,
    phrasings,
    record_direct_answer,
    settle_direct_answer,
)

log = logging.getLogger(__name__)


async def _matcher(svc: Services) -> KnowledgeMatcher | None:
    cache = svc.knowledge
    async with svc.uow() as uow:
        version = await base_version(uow=uow)
        if version == cache.version:
            return cache.matcher
        entries = await list_entries(uow=uow)
    async with cache.lock:
        if version != cache.version:
            pairs = [(e.id, q) for e in entries for q in phrasings(e.question)]
            answers = {e.id: e.answer for e in entries}
            cache.matcher = (
                await asyncio.to_thread(partial(KnowledgeMatcher, pairs, answers=answers))
                if pairs
                else None
            )
            cache.version = version
    return cache.matcher


def _keyboard(answer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.KB_SOLVED_BUTTON, callback_data=f"k:ok:{answer_id}"),
                InlineKeyboardButton(texts.KB_HUMAN_BUTTON, callback_data=f"k:no:{answer_id}"),
            ]
        ]
    )


async def answer_question(update: Update, context: Context, text: str) -> bool:
    """Answer `text` from the base if an entry matches confidently; whether it did."""
    svc = services(context)
    if svc.knowledge_threshold > 1:
        return False  # turned off
    matcher = await _matcher(svc)
    found: KnowledgeMatch | None = None
    if matcher is not None:
        found = matcher.answer(text, threshold=svc.knowledge_threshold)
    if found is None or update.effective_user is None or update.effective_chat is None:
        return False
    async with svc.uow() as uow:
        answer_id, answer = await record_direct_answer(
            uow=uow,
            resident_user_id=update.effective_user.id,
            entry_id=found.entry_id,
            text=text,
            score=found.score,
        )
    log.info("knowledge entry %d answered a question (%.2f)", found.entry_id, found.score)
    await update.effective_chat.send_message(
        texts.KB_ANSWER.format(answer=answer), reply_markup=_keyboard(answer_id)
    )
    return True


async def on_button(update: Update, context: Context) -> None:
    """解决了 (`k:ok:<id>`) records a 直接答复; 转人工 (`k:no:<id>`) starts the intake with the
    resident's words. Only the resident the answer was given to, and only once."""
    from bot import intake  # the intake imports this module: import it when a button comes

    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("ok", "no") or not parts[2].isdigit():
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    solved = parts[1] == "ok"
    svc = services(context)
    try:
        async with svc.uow() as uow:
            words = await settle_direct_answer(
                uow=uow,
                answer_id=int(parts[2]),
                resident_user_id=query.from_user.id,
                solved=solved,
            )
    except PermissionDenied:
        await query.answer(texts.KB_NOT_YOURS, show_alert=True)
        return
    except InvalidInput:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    assert update.effective_chat is not None
    if solved:
        await update.effective_chat.send_message(texts.KB_THANKS)
        return
    await update.effective_chat.send_message(texts.KB_TO_HUMAN)
    await intake.begin(update, context, words, knowledge=False)
