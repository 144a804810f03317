"""Telegram's text formatting (``parse_mode``): turn HTML or Markdown into the plain text shown."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from emulator.errors import bad_request

_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"tg-emoji", "code", "pre", "blockquote"}
)
_MD2_RESERVED = frozenset("#+-={}.!")
_MD2_FORMAT = frozenset("*_~|`")
_MD2_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\((?:\\.|[^)\\])*\)")


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise bad_request(
                f"can't parse entities: Can't find end tag corresponding to \"{tag}\""
            )
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a reader sees; 400 "can't parse entities" for markup Telegram would refuse."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        parser = _PlainText()
        parser.feed(text)
        parser.close()
        if parser.open:
            tag = parser.open[-1]
            raise bad_request(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
            )
        return "".join(parser.parts)
    if mode == "markdownv2":
        return _markdown_v2(text)
    if mode == "markdown":
        return re.sub(r"[*_`]", "", _MD2_LINK.sub(r"\1", text))
    return text


def _markdown_v2(text: str) -> str:
    text = _MD2_LINK.sub(r"\1", text)
    out: list[str] = []
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _MD2_RESERVED:
            raise bad_request(
                f"can't parse entities: Character '{char}' is reserved and must be escaped "
                f"with the preceding '\\' at byte offset {len(text[:index].encode())}"
            )
        elif char not in _MD2_FORMAT:
            out.append(char)
    return "".join(out)
