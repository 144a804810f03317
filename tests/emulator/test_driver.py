"""The driver: edits, forged button data, answers, and the transcript."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from emulator import Emulator


async def test_user_edit_becomes_edited_message(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    message = await alice.send_text(alice.private_chat, "路灯坏了")
    await alice.edit_message(message, "路灯坏了，在3号楼")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].edited_message is not None
    assert updates[-1].edited_message.text == "路灯坏了，在3号楼"


async def test_forged_callback_data_and_single_answer(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    emulator.add_private_chat(alice)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("满意", callback_data="rate:1:5")]])
    await bot.send_message(alice.id, "请评价", reply_markup=keyboard)
    card = emulator.messages(alice.private_chat)[-1]
    with pytest.raises(LookupError):
        await alice.press_button(card, "rate:999:5")
    forged = await alice.press_button(card, "rate:999:5", forge=True)
    (update,) = await bot.get_updates(timeout=0)
    assert update.callback_query is not None
    assert update.callback_query.data == "rate:999:5"
    await bot.answer_callback_query(forged.id, "无效操作")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(forged.id)
    assert "按下 [伪造数据 rate:999:5]（提示：无效操作）" in emulator.transcript()


async def test_wait_for_message_reads_each_message_once(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    chat = emulator.add_private_chat(alice)
    for text in ("受理", "已派单", "已办结"):
        await bot.send_message(alice.id, text)
    first = await emulator.wait_for_message(chat)
    done = await emulator.wait_for_message(chat, lambda m: "办结" in m.text if m.text else False)
    assert (first.text, done.text) == ("受理", "已办结")
    with pytest.raises(TimeoutError):
        await emulator.wait_for_message(chat, timeout=0.05)
