"""Webhook delivery: Telegram POSTs each update to the bot's URL until it answers 2xx."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from emulator.updates import UpdateQueue


class WebhookPusher:
    """Delivers queued updates one by one to a webhook URL, retrying failures after a pause."""

    def __init__(
        self,
        updates: UpdateQueue,
        url: str,
        *,
        secret_token: str | None = None,
        retry_delay: float = 0.5,
        resend_every: int = 0,
    ) -> None:
        self.updates = updates
        self.url = url
        self.secret_token = secret_token
        self.retry_delay = retry_delay
        self.resend_every = resend_every
        self.delivered = 0
        self.resent = 0
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin delivering in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop delivering (updates not yet delivered stay queued)."""
        if self._task is None:
            return
        task, self._task = self._task, None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret_token
        async with httpx.AsyncClient(timeout=10.0) as client:
            while True:
                batch = await self.updates.poll(offset=None, limit=100, wait=30.0)
                for update in batch:
                    if not await self._post(client, update, headers):
                        await asyncio.sleep(self.retry_delay)
                        break  # poll again and retry from this update
                    self.updates.confirm(int(update["update_id"]) + 1)
                    self.delivered += 1
                    # Every n-th: Telegram heard no answer in time and sends it again.
                    resend = self.resend_every and self.delivered % self.resend_every == 0
                    if resend and await self._post(client, update, headers):
                        self.resent += 1

    async def _post(
        self, client: httpx.AsyncClient, update: dict[str, object], headers: dict[str, str]
    ) -> bool:
        try:
            response = await client.post(self.url, json=update, headers=headers)
        except httpx.HTTPError as error:
            self.last_error = f"{type(error).__name__}: {error}"
            return False
        if response.is_success:
            return True
        self.last_error = f"Wrong response from the webhook: {response.status_code}"
        return False
