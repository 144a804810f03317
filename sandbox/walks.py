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
    """A resident reports a problem as a person would: the description (the bot asks where
    only when the text names no place), optional photo and phone from the summary's buttons,
    then confirms; returns the ticket number the bot confirms."""
    chat = person.private_chat

    async def wait(*parts: str) -> Message:
        return await emu.wait_for_message(chat, has(*parts), timeout=wait_seconds)

    await person.send_text(chat, text)
    first = await emu.wait_for_message(
        chat, lambda m: has("在哪里")(m) or has("请核对")(m), timeout=wait_seconds
    )
    summary = first
    if "在哪里" in (first.text or ""):
        if location:
            await person.send_location(chat, *location)
        else:
            await person.send_text(chat, address or "跳过")
        summary = await wait("请核对")
    elif location:
        await person.press_button(summary, "📍 位置")
        await wait("在哪里")
        await person.send_location(chat, *location)
        summary = await wait("请核对", "已发送定位")
    if photo:
        await person.press_button(summary, "🖼 照片")
        await wait("现场照片")
        await person.send_photo(chat, caption=None)
        prompt = await wait("第 1 张")
        await person.press_button(prompt, "好了")
        summary = await wait("请核对", "照片 1 张")
    if phone:
        await person.press_button(summary, "📞 电话")
        await wait("联系电话")
        await person.send_contact(chat, phone)
        summary = await wait("请核对", "已同意提供")
    await person.press_button(summary, "✅ 确认提交")
    confirmed = await wait("已受理")
    found = NUMBER.search(confirmed.text or "")
    assert found is not None
    return found.group(0)
