"""Photos, files, locations and contacts, from the bot and from people."""

from __future__ import annotations

import pytest
from telegram import Bot, InputMediaPhoto

from emulator import Emulator
from emulator.driver import TINY_PNG


async def test_user_photo_can_be_downloaded(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    await alice.send_photo(alice.private_chat, caption="井盖破损")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.caption == "井盖破损"
    photo_file = await update.message.photo[-1].get_file()
    assert bytes(await photo_file.download_as_bytearray()) == TINY_PNG


async def test_bot_uploads_photo_and_album(emulator: Emulator, bot: Bot) -> None:
    group = emulator.add_supergroup("城管科工作群")
    sent = await bot.send_photo(group.id, b"first-photo", caption="现场照片")
    album = await bot.send_media_group(
        group.id, [InputMediaPhoto(b"a"), InputMediaPhoto(b"b", caption="附件二")]
    )
    again = await bot.send_photo(group.id, sent.photo[-1].file_id)
    assert len(album) == 2
    assert album[0].media_group_id == album[1].media_group_id
    assert emulator.file_content(again.photo[-1].file_id) == b"first-photo"
    assert emulator.file_content(album[1].photo[-1].file_id) == b"b"


async def test_people_send_location_contact_sticker_voice(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    chat = alice.private_chat
    await alice.send_location(chat, 39.9042, 116.4074)
    await alice.send_contact(chat, "+8613800000000")
    await alice.send_sticker(chat)
    await alice.send_voice(chat)
    await alice.send_video(chat)
    await alice.send_document(chat)
    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates if u.message is not None]
    assert messages[0].location is not None
    assert messages[0].location.latitude == pytest.approx(39.9042)
    assert messages[1].contact is not None
    assert messages[1].contact.user_id == alice.id
    assert messages[2].sticker is not None
    assert messages[3].voice is not None
    assert messages[4].video is not None
    assert messages[5].document is not None


async def test_copy_forward_edit_delete(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    group = emulator.add_supergroup("城管科工作群")
    original = await alice.send_text(alice.private_chat, "楼道堆放杂物")
    copied = await bot.copy_message(group.id, alice.private_chat.id, original.message_id)
    forwarded = await bot.forward_message(group.id, alice.private_chat.id, original.message_id)
    assert group.find(copied.message_id) is not None
    assert forwarded.forward_origin is not None
    await bot.edit_message_text("楼道杂物（已核实）", group.id, copied.message_id)
    assert await bot.delete_message(group.id, forwarded.message_id)
    assert [m.text for m in emulator.messages(group)] == ["楼道杂物（已核实）"]
