"""Reading staff commands: ticket numbers, closure codes, departments and free text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from storage.models import ClosureCode

NUMBER = re.compile(r"^[A-Za-z]{1,8}-\d{8}-\d{1,6}$")
NOTE_PREFIX = "#备注"
TAKE_OVER_WORDS = frozenset({"接手", "接办"})  # /claim 接手: take a colleague's ticket over

CLOSURE_WORDS: dict[str, ClosureCode] = {
    "已解决": ClosureCode.FIXED,
    "解决": ClosureCode.FIXED,
    "已答复": ClosureCode.ANSWERED,
    "答复": ClosureCode.ANSWERED,
    "非本部门职责": ClosureCode.NOT_OURS,
    "非本部门": ClosureCode.NOT_OURS,
    "重复": ClosureCode.DUPLICATE,
    "重复诉求": ClosureCode.DUPLICATE,
    "无法联系": ClosureCode.UNREACHABLE,
}


@dataclass(frozen=True, slots=True)
class Arguments:
    """A command's words after the command itself: an optional ticket number, then the rest."""

    number: str | None
    rest: str

    @property
    def first(self) -> str:
        """The first word of the rest ('' when there is none)."""
        return self.rest.split(maxsplit=1)[0] if self.rest.strip() else ""

    @property
    def after_first(self) -> str:
        """Everything after the first word, line breaks kept."""
        parts = self.rest.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""


def is_number(word: str) -> bool:
    """Whether a word looks like a ticket number (TB-20261124-0001)."""
    return bool(NUMBER.match(word.strip()))


def command_arguments(text: str) -> Arguments:
    """Split '/resolve TB-… 已解决 路灯已修好' into the ticket number and the rest.

    The command word (with any @botname) is dropped; line breaks in the rest are kept.
    """
    body = text.strip()
    if body.startswith("/"):
        parts = body.split(maxsplit=1)
        body = parts[1] if len(parts) > 1 else ""
    words = body.split(maxsplit=1)
    if words and is_number(words[0]):
        return Arguments(words[0].upper(), words[1].strip() if len(words) > 1 else "")
    return Arguments(None, body.strip())


def note_text(text: str) -> str | None:
    """The note in a message starting with #备注, or None for a message meant for the resident."""
    stripped = text.strip()
    if not stripped.startswith(NOTE_PREFIX):
        return None
    return stripped.removeprefix(NOTE_PREFIX).lstrip("：: \n")


def closure_code(word: str) -> ClosureCode | None:
    """A closure code from its Chinese name or its English code, else None."""
    word = word.strip()
    if word in CLOSURE_WORDS:
        return CLOSURE_WORDS[word]
    try:
        return ClosureCode(word.lower())
    except ValueError:
        return None


def department_code(word: str, names: Mapping[str, str]) -> str | None:
    """A department from its code, its full name or a part of its name found in one name only."""
    word = word.strip()
    if not word:
        return None
    lowered = word.lower()
    if lowered in names:
        return lowered
    for code, name in names.items():
        if name == word:
            return code
    matches = [code for code, name in names.items() if word in name]
    return matches[0] if len(matches) == 1 else None


WORKING_DAYS = re.compile(r"^(\d{1,3})(?:个工作日|工作日|天)?$")


def working_days(word: str) -> int | None:
    """A number of working days as staff type it: 5, 5天, 5个工作日 (None if it is not one)."""
    match = WORKING_DAYS.match(word.strip())
    return int(match.group(1)) if match else None
