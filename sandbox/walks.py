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


START_LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")


async def walk_record(
    emu: Emulator,
    collector: Person,
    *,
    channel: str,
    request: str,
    person: str | None = None,
    address: str | None = None,
    phone: str | None = None,
    on_the_spot: str | None = None,
    wait_seconds: float = 20.0,
) -> tuple[str, str]:
    """A collector records what a resident said (/record), then answers on the spot or sends
    it on; returns the ticket number and its start code."""
    chat = collector.private_chat

    async def wait(*parts: str) -> Message:
        return await emu.wait_for_message(chat, has(*parts), timeout=wait_seconds)

    await collector.send_command(chat, "/record")
    await collector.press_button(await wait("什么渠道"), channel)
    asked = await wait("群众的称呼")
    if person is None:
        await collector.press_button(asked, "匿名")
    else:
        await collector.send_text(chat, person)
    asked = await wait("住址或户号")
    if address is None:
        await collector.press_button(asked, "跳过")
    else:
        await collector.send_text(chat, address)
    await wait("原话")
    await collector.send_text(chat, request)
    asked = await wait("是否同意")
    if phone is None:
        await collector.press_button(asked, "不留电话")
    else:
        await collector.press_button(asked, "群众同意留电话")
        await wait("电话号码")
        await collector.send_text(chat, phone)
    summary = await wait("请核对代录内容")
    if on_the_spot is not None:
        await collector.press_button(summary, "c:spot")
        await wait("当场给群众的答复")
        await collector.send_text(chat, on_the_spot)
        receipt = await wait("现场解答，编号")
    else:
        await collector.press_button(summary, "c:send")
        receipt = await wait("已登记并转办")
    number, code = NUMBER.search(receipt.text or ""), START_LINK.search(receipt.text or "")
    assert number is not None
    assert code is not None
    return number.group(0), code.group(1)
