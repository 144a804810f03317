"""The one global error handler: log with context, never show a traceback to anyone."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot import texts
from bot.services import Context
from storage.processing import UpdateTakenOver

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log the failure (update id and chat type only, no personal data) and apologise."""
    error = context.error
    if isinstance(error, UpdateTakenOver):  # another worker handles it; nothing to apologise for
        log.info("update %s was taken over by another worker", error)
        return
    if isinstance(error, (Forbidden, RetryAfter, NetworkError)):
        log.warning("telegram error while handling update: %s", type(error).__name__)
        return
    where = "-"
    if isinstance(update, Update):
        chat = update.effective_chat
        where = f"update {update.update_id} in {chat.type if chat else 'no'} chat"
    log.error("unhandled error (%s)", where, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(texts.ERROR, show_alert=True)
            else:
                await update.effective_chat.send_message(texts.ERROR)
        except Exception:  # the apology itself may fail (blocked bot, network)
            log.warning("could not send the apology", exc_info=True)
