"""A button press answered with the handler's first reply rather than at once.

Answering is a Telegram call, and a Telegram call ends the reads the update's handlers hold
open (storage/processing.py): a press answered first would make reading the conversation and
saving it two transactions; answered with the first reply, after the writes, they are one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

Answer = Callable[[], Awaitable[object]]

_unanswered: ContextVar[Answer | None] = ContextVar("minyi_unanswered", default=None)


@asynccontextmanager
async def answered_later(answer: Answer) -> AsyncIterator[None]:
    """Within the block the press is answered by the first `answer_pending` (each reply calls
    it first), else when the block ends."""
    token = _unanswered.set(answer)
    try:
        yield
    finally:
        await answer_pending()
        _unanswered.reset(token)


async def answer_pending() -> None:
    """Answer the press now, if it is still waiting (call before any reply)."""
    answer = _unanswered.get()
    if answer is not None:
        _unanswered.set(None)
        await answer()
