"""A local Telegram Bot API emulator for tests and ``minyi demo``: over HTTP or in-process."""

from bot.emulator.core import DEFAULT_TOKEN, Emulator
from bot.emulator.driver import Person
from bot.emulator.errors import ApiError
from bot.emulator.faults import Counters, Fault, FaultKind, Faults
from bot.emulator.limits import Limits
from bot.emulator.request import (
    IN_PROCESS_BASE_FILE_URL,
    IN_PROCESS_BASE_URL,
    InProcessRequest,
    in_process_builder,
)
from bot.emulator.server import EmulatorServer
from bot.emulator.state import CallbackQuery, Chat, Message, Topic, User

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
    "User",
    "in_process_builder",
]
