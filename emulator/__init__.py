"""A local Telegram Bot API emulator for tests and ``minyi demo``: over HTTP or in-process.

An unmodified python-telegram-bot ``Application`` talks to it::

    emulator = Emulator()                       # Limits() on; Limits.off() for none
    alice = emulator.add_user("王芳", "wangfang")
    async with EmulatorServer(emulator) as server:
        application = server.application_builder().build()   # or in_process_builder(emulator)
        ...                                     # add handlers, start, start_polling
        await alice.send_text(alice.private_chat, "路灯坏了")
        reply = await emulator.wait_for_message(alice.private_chat)
    await emulator.close()
    print(emulator.transcript())

Faults: ``emulator.faults.retry_after("sendMessage", seconds=3)``, ``.server_error(...)``,
``.timeout(...)``, ``.drop_connection(...)``; ``alice.block_bot()``; ``emulator.counters``.
A 429 (from the rates or injected for a chat) starts a pause; a message sent inside it is
refused again with the pause doubled, as Telegram does (``emulator.limits.refusals`` counts
429s by cause, ``early_retries`` those earned by writing too soon).
One emulator lives in one event loop.
"""

from emulator.core import DEFAULT_TOKEN, Emulator
from emulator.driver import Person
from emulator.errors import ApiError
from emulator.faults import Counters, Fault, FaultKind, Faults, Tripwire
from emulator.limits import Limits
from emulator.request import (
    IN_PROCESS_BASE_FILE_URL,
    IN_PROCESS_BASE_URL,
    InProcessRequest,
    in_process_builder,
)
from emulator.server import EmulatorServer
from emulator.state import CallbackQuery, Chat, Message, Topic, User

__all__ = [
    "DEFAULT_TOKEN",
    "IN_PROCESS_BASE_FILE_URL",
    "IN_PROCESS_BASE_URL",
    "ApiError",
    "CallbackQuery",
    "Chat",
    "Counters",
    "Emulator",
    "EmulatorServer",
    "Fault",
    "FaultKind",
    "Faults",
    "InProcessRequest",
    "Limits",
    "Message",
    "Person",
    "Topic",
    "Tripwire",
    "User",
    "in_process_builder",
]
