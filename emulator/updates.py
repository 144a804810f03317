"""The bot's update queue and ``getUpdates`` long polling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from emulator.errors import conflict

JSON = dict[str, Any]

DEFAULT_ALLOWED = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


class UpdateQueue:
    """Updates waiting for the bot, numbered with monotonically increasing ``update_id``."""

    def __init__(
        self, first_update_id: int = 1, *, on_poll: Callable[[], None] = lambda: None
    ) -> None:
        self._on_poll = on_poll
        self._next_id = first_update_id
        self._pending: list[JSON] = []
        self._allowed: frozenset[str] = DEFAULT_ALLOWED
        self._wakeup = asyncio.Event()
        self._poller: object | None = None
        self._closed = False

    @property
    def polling(self) -> bool:
        """Whether a ``getUpdates`` call is waiting right now."""
        return self._poller is not None

    @property
    def last_update_id(self) -> int:
        """The id of the newest update made so far (0 before the first)."""
        return self._next_id - 1

    @property
    def pending(self) -> list[JSON]:
        """Updates not yet confirmed by the bot."""
        return list(self._pending)

    def push(self, kind: str, payload: JSON) -> int | None:
        """Queue an update unless the bot's ``allowed_updates`` exclude its kind."""
        if kind not in self._allowed:
            return None
        update_id = self._next_id
        self._next_id += 1
        self._pending.append({"update_id": update_id, kind: payload})
        self._wake()
        return update_id

    def set_allowed(self, kinds: list[str] | None) -> None:
        """Apply ``allowed_updates``; an empty list means the default set, None keeps it."""
        if kinds is None:
            return
        self._allowed = frozenset(kinds) if kinds else DEFAULT_ALLOWED

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset`` (negative: keep only the last ``-offset``)."""
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def drop_all(self) -> None:
        """Forget every pending update (``drop_pending_updates``)."""
        self._pending.clear()

    async def poll(self, *, offset: int | None, limit: int, wait: float) -> list[JSON]:
        """Answer ``getUpdates``: wait up to ``wait`` seconds for updates; a newer poll wins."""
        if offset is not None:
            self.confirm(offset)
        me = object()
        if self._poller is not None:
            self._wake()  # the older poll ends with 409, as on Telegram
        self._poller = me
        self._on_poll()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, wait)
        try:
            while True:
                if self._poller is not me:
                    raise conflict(
                        "terminated by other getUpdates request; "
                        "make sure that only one bot instance is running"
                    )
                remaining = deadline - loop.time()
                if self._pending or remaining <= 0 or self._closed:
                    return self._pending[: max(1, min(limit, 100))]
                wakeup = self._wakeup
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), remaining)
        finally:
            if self._poller is me:
                self._poller = None

    def close(self) -> None:
        """End every waiting poll (the emulator is shutting down)."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()
