"""The bot killed with SIGKILL mid-conversation and mid-backlog, then restarted: no update and
no message is lost, and a message is doubled only where Telegram accepted it and the bot died
before hearing so (at most one per chat). The bot runs as a process of its own
(tests/e2e/bot_process.py); the emulator kills it at the chosen call (a tripwire)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from emulator import Chat, Emulator, EmulatorServer, Limits, Person, Tripwire
from sandbox.walks import has
from storage.database import session_factory
from storage.district import bind_department
from storage.inbox import unfinished
from storage.members import add_member
from storage.models import InboundUpdate, OutboxMessage, OutboxStatus, Role
from storage.unit_of_work import UnitOfWork
from tests.e2e.bot_process import queue

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "e2e" / "bot_process.py"
SETTLE = 60.0  # below the outbox lease (2 min): a dead claim is taken over, not waited out


class Bot:
    """One run of the bot process; a tripwire may kill it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    def kill(self) -> None:
        """SIGKILL, at once (called from inside the emulator's answer to the bot)."""
        if self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)

    async def died(self) -> None:
        """Wait for the process to end."""
        await asyncio.wait_for(self.process.wait(), SETTLE)


@asynccontextmanager
async def bot_process(server: EmulatorServer, db_url: str, log: Path) -> AsyncIterator[Bot]:
    """The bot polling the emulator in a process of its own (stopped cleanly at the end unless
    it was killed)."""
    emu = server.emulator
    polls = emu.counters.calls["getUpdates"]
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HARNESS),
            "run",
            db_url,
            server.base_url,
            emu.token,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
    bot = Bot(process)
    try:
        await emu.wait_until(lambda: emu.counters.calls["getUpdates"] > polls, timeout=SETTLE)
        yield bot
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), SETTLE)


def kill_when(emu: Emulator, bot: Bot, chat: Chat, text: str) -> None:
    """Kill the bot when Telegram has accepted its message `text` to `chat` (it never hears)."""

    def sent(values: dict[str, Any]) -> bool:
        return str(values.get("chat_id")) == str(chat.id) and text in str(values.get("text"))

    emu.tripwires.append(Tripwire("sendMessage", bot.kill, sent))


def said(chat: Chat, predicate: Callable[[Any], bool]) -> int:
    """How many of the bot's messages in a chat match."""
    return sum(1 for m in chat.messages if m.sender.is_bot and predicate(m))


async def _district(emu: Emulator, uow: UnitOfWork) -> None:
    clerk = emu.add_user("城管小李")
    dispatcher = emu.add_user("调度老张")
    groups = (
        ("urban", emu.add_supergroup("城管局工作群", forum=True, members=[clerk]), True),
        (
            "dispatch",
            emu.add_supergroup("区民意调度中心", forum=False, members=[dispatcher]),
            False,
        ),
    )
    for code, chat, forum in groups:
        async with uow:
            await bind_department(uow=uow, code=code, chat_id=chat.id, is_forum=forum)
    for person, role, code in ((clerk, Role.STAFF, "urban"), (dispatcher, Role.DISPATCHER, None)):
        async with uow:
            await add_member(
                uow=uow,
                user_id=person.id,
                role=role,
                department_code=code,
                display_name=person.user.first_name,
            )


async def _outbox_settled(uow: UnitOfWork) -> None:
    async def pending() -> bool:
        async with uow:
            rows = await uow.session.exec(
                select(OutboxMessage.id).where(
                    col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
                )
            )
            return bool(rows.all())

    async def wait() -> None:
        while True:
            if not await pending():
                return
            await asyncio.sleep(0.2)

    await asyncio.wait_for(wait(), SETTLE)


async def test_sigkill_mid_conversation_and_mid_backlog_loses_nothing(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    uow = UnitOfWork(session_factory(engine))
    emu = Emulator(limits=Limits(enforce_rates=False))
    await _district(emu, uow)
    residents: list[Person] = [emu.add_user(f"居民{i}") for i in range(3)]
    log = tmp_path / "bot.log"
    async with EmulatorServer(emu) as server:
        async with bot_process(server, db_url, log) as first:
            for person in residents:
                await person.send_text(person.private_chat, "小区里的路灯坏了好几个")
            for person in residents:
                await emu.wait_for_message(person.private_chat, has("在哪里"), timeout=SETTLE)
            # Mid-conversation: killed the moment the first summary is accepted, with the
            # others' answers fetched and not yet handled.
            kill_when(emu, first, residents[0].private_chat, "请核对")
            for person in residents:
                await person.send_text(person.private_chat, "荷韵花园")
            await first.died()
        async with bot_process(server, db_url, log) as second:
            summaries = []
            for person in residents:
                summaries.append(
                    await emu.wait_for_message(
                        person.private_chat, has("请核对", "荷韵花园"), timeout=SETTLE
                    )
                )
            for person, summary in zip(residents, summaries, strict=True):
                await person.press_button(summary, "✅ 确认提交")
            for person in residents:
                await emu.wait_for_message(person.private_chat, has("已受理"), timeout=SETTLE)
            await _outbox_settled(uow)
            # Mid-backlog: a backlog for every resident; killed when one message is accepted.
            kill_when(emu, second, residents[1].private_chat, "通知2")
            await queue(
                db_url,
                [(p.private_chat.id, f"通知{i}") for i in range(5) for p in residents],
            )
            await second.died()
        async with bot_process(server, db_url, log):
            await _outbox_settled(uow)
            for person in residents:
                await emu.wait_for_message(person.private_chat, has("通知4"), timeout=SETTLE)
    await emu.close()

    assert all(wire.sprung for wire in emu.tripwires)
    for person in residents:  # no update lost, no message lost, each chat in order
        chat = person.private_chat
        assert said(chat, has("请核对", "荷韵花园")) in (1, 2)
        notices = [
            m.text for m in chat.messages if m.sender.is_bot and (m.text or "").startswith("通知")
        ]
        assert list(dict.fromkeys(notices)) == [f"通知{i}" for i in range(5)]
        # The bound is per kill and per chat: the first kill may ask a resident's current
        # question again (an update handled, its finish not yet recorded), the second may send
        # one backlog message twice (sent, not yet marked).
        assert said(chat, has("在哪里")) in (1, 2), emu.transcript(chat)
        assert len(notices) - len(set(notices)) <= 1, emu.transcript(chat)
        assert doubled(chat) <= 2, emu.transcript(chat)
    async with uow:
        assert await unfinished(uow=uow) == []
        stored = (await uow.session.exec(select(InboundUpdate.update_id))).all()
    assert sorted(stored) == list(range(1, emu.updates.newest_id + 1))


def doubled(chat: Chat) -> int:
    """Messages of the bot in a chat that arrived more than once."""
    counts = Counter((m.text or m.caption or "") for m in chat.messages if m.sender.is_bot)
    return sum(n - 1 for n in counts.values())
