"""An unmodified python-telegram-bot Application talks to the emulator over HTTP."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from emulator import Emulator
from tests.emulator.conftest import RunningApp


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="ok:1")]])
    await update.effective_message.reply_text("欢迎使用民意直通车", reply_markup=keyboard)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    assert update.effective_message.text
    await update.effective_message.reply_text(f"收到：{update.effective_message.text}")


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer("已确认")
    await query.edit_message_text(f"已确认 {query.data}")


HANDLERS = (
    CommandHandler("start", start),
    MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
    CallbackQueryHandler(confirm),
)


async def test_bot_answers_a_user_over_http(emulator: Emulator, running_app: RunningApp) -> None:
    alice = emulator.add_user("王芳", "wangfang")
    chat = alice.private_chat
    async with running_app(*HANDLERS):
        await alice.send_command(chat, "/start")
        welcome = await emulator.wait_for_message(chat)
        await alice.send_text(chat, "小区路灯坏了")
        echoed = await emulator.wait_for_message(chat)
    assert welcome.text == "欢迎使用民意直通车"
    assert [b["text"] for b in welcome.buttons] == ["确认"]
    assert echoed.text == "收到：小区路灯坏了"


async def test_inline_button_round_trip(emulator: Emulator, running_app: RunningApp) -> None:
    alice = emulator.add_user("王芳")
    chat = alice.private_chat
    async with running_app(*HANDLERS):
        await alice.send_command(chat, "/start")
        welcome = await emulator.wait_for_message(chat)
        press = await alice.press_button(welcome, "确认")
        answer = await alice.wait_for_answer(press)
        await emulator.wait_until(lambda: welcome.edit_date is not None)
    assert answer == "已确认"
    assert welcome.text == "已确认 ok:1"
    assert "王芳 按下 [确认]（提示：已确认）" in emulator.transcript(chat)
