"""A readable transcript of chats: who said what, buttons as [按钮], topics by name."""

from __future__ import annotations

from collections.abc import Iterable

from emulator.state import CallbackQuery, Chat, Message

_MEDIA_LABELS = {
    "photo": "🖼 [图片]",
    "document": "📎 [文件]",
    "video": "🎬 [视频]",
    "audio": "🎵 [音频]",
    "voice": "🎤 [语音]",
    "sticker": "[贴纸]",
    "animation": "[动图]",
}


def render(chats: Iterable[Chat], presses: Iterable[CallbackQuery] = ()) -> str:
    """Render chats one after another; button presses are shown under their message."""
    by_message: dict[tuple[int, int], list[CallbackQuery]] = {}
    for query in presses:
        key = (query.message.chat.id, query.message.message_id)
        by_message.setdefault(key, []).append(query)
    return "\n\n".join(_chat(chat, by_message) for chat in chats).rstrip() + "\n"


def _chat(chat: Chat, presses: dict[tuple[int, int], list[CallbackQuery]]) -> str:
    kind = "私聊" if not chat.is_group else ("论坛群" if chat.is_forum else "群")
    lines = [f"══ {kind}：{chat.name} ══"]
    threads: list[int | None] = [None, *chat.topics]
    for thread_id in threads:
        messages = [m for m in chat.messages if m.message_thread_id == thread_id and not m.deleted]
        if thread_id is not None:
            topic = chat.topics[thread_id]
            state = "（已关闭）" if topic.closed else ""
            lines.append(f"── 话题「{topic.name}」{state} ──")
        elif not messages:
            continue
        for message in messages:
            lines.extend(_message(message, presses.get((chat.id, message.message_id), [])))
    return "\n".join(lines)


def _message(message: Message, presses: list[CallbackQuery]) -> list[str]:
    who = f"🤖 {message.sender.first_name}" if message.from_bot else message.sender.display_name
    if "forum_topic_created" in message.media:
        return []
    service = _service(message)
    if service:
        return [f"  · {service}"]
    body = _body(message)
    prefix = ""
    replied = message.reply_to
    if replied is not None and replied.message_id != message.message_thread_id:
        prefix = f"（回复 {replied.sender.first_name}：{_short(_body(replied))}）"
    edited = "（已编辑）" if message.edit_date is not None else ""
    first, *rest = body.split("\n")
    lines = [f"{who}：{prefix}{first}{edited}", *(f"    {line}" for line in rest)]
    if message.reply_markup:
        for row in message.reply_markup.get("inline_keyboard", []):
            lines.append("    " + " ".join(f"[{button.get('text', '')}]" for button in row))
    for query in presses:
        answer = f"（提示：{query.answer_text}）" if query.answer_text else ""
        label = query.button_text or f"伪造数据 {query.data}"
        lines.append(f"    ↳ {query.user.display_name} 按下 [{label}]{answer}")
    return lines


def _service(message: Message) -> str | None:
    media = message.media
    if "forum_topic_edited" in media:
        return f"话题改名为「{media['forum_topic_edited'].get('name', '')}」"
    if "forum_topic_closed" in media:
        return "话题已关闭"
    if "forum_topic_reopened" in media:
        return "话题已重新打开"
    return None


def _body(message: Message) -> str:
    media = message.media
    if "location" in media:
        place = media["location"]
        return f"📍 [位置 {place['latitude']:.5f}, {place['longitude']:.5f}]"
    if "contact" in media:
        return f"📞 [联系方式 {media['contact']['phone_number']}]"
    for kind, label in _MEDIA_LABELS.items():
        if kind in media:
            return f"{label} {message.caption}" if message.caption else label
    if message.forward_origin:
        return f"[转发] {message.body}"
    return message.body


def _short(text: str, size: int = 20) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= size else text[: size - 1] + "…"
