"""What a person does in the emulator, step by step, for the demo and the end-to-end tests."""

from __future__ import annotations

import re
from collections.abc import Callable

from emulator import Emulator, Message, Person

NUMBER = re.compile(r"[A-Z]{1,8}-\d{8}-\d{4}")


def has(*parts: str) -> Callable[[Message], bool]:
    """A predicate: the message (text or caption) contains every part."""
    return lambda m: all(p in (m.text or m.caption or "") for p in parts)


async def walk_intake(
    emu: Emulator,
    person: Person,
    text: str,
    *,
    location: tuple[float, float] | None = None,
    address: str | None = None,
    photo: bool = False,
    phone: str | None = None,
    wait_seconds: float = 20.0,
) -> str:
    """A resident walks through the whole intake (place, photo, phone, confirm) as a person
    would; returns the ticket number the bot confirms."""
    chat = person.private_chat

    async def wait(*parts: str) -> Message:
        return await emu.wait_for_message(chat, has(*parts), timeout=wait_seconds)

    await person.send_text(chat, text)
    await wait("在哪里")
    if location:
        await person.send_location(chat, *location)
    else:
        await person.send_text(chat, address or "跳过")
    prompt = await wait("照片")
    if photo:
        await person.send_photo(chat, caption=None)
        prompt = await wait("第 1 张")
    await person.press_button(prompt, "完成")
    await wait("联系电话")
    if phone:
        await person.send_contact(chat, phone)
    else:
        await person.send_text(chat, "不留电话")
    summary = await wait("请核对")
    await person.press_button(summary, "✅ 确认提交")
    confirmed = await wait("已受理")
    found = NUMBER.search(confirmed.text or "")
    assert found is not None
    return found.group(0)
