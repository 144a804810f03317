"""Scheduled failures: the next N calls of a method answer 429, 5xx, hang, or drop the line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class FaultKind(Enum):
    """How a faulty call fails."""

    RETRY_AFTER = "retry_after"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    DROP = "drop"


@dataclass
class Fault:
    """One scheduled failure rule; ``method``/``chat_id`` of ``None`` match any call.

    ``processed`` makes a timeout or a dropped connection happen *after* the call took effect
    (the message was sent but the client never hears so), the case that causes duplicates.
    """

    kind: FaultKind
    method: str | None = None
    chat_id: int | None = None
    times: int = 1
    retry_after: int = 1
    status: int = 500
    hold: float = 30.0
    processed: bool = False

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        """Tell whether this fault applies to a call."""
        if self.times <= 0:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass
class Counters:
    """What the emulator served: calls per method, 429s issued, messages accepted, errors."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    retry_after_issued: int = 0
    messages_accepted: int = 0
    faults_served: Counter[str] = field(default_factory=Counter)


@dataclass
class Faults:
    """The fault schedule a test fills; the emulator consumes it call by call."""

    pending: list[Fault] = field(default_factory=list)

    def schedule(self, fault: Fault) -> Fault:
        """Add a fault rule and return it (its ``times`` counts down as it is served)."""
        self.pending.append(fault)
        return fault

    def retry_after(
        self,
        method: str | None = None,
        *,
        seconds: int = 1,
        times: int = 1,
        chat_id: int | None = None,
        answer_after: float = 0.0,
    ) -> Fault:
        """Make the next ``times`` matching calls answer 429 with ``retry_after=seconds``; the
        pause starts when the call arrives, the answer leaves ``answer_after`` seconds later
        (a slow network: the bot may send the chat more before it hears of the pause)."""
        return self.schedule(
            Fault(
                FaultKind.RETRY_AFTER,
                method,
                chat_id,
                times,
                retry_after=seconds,
                hold=answer_after,
            )
        )

    def server_error(
        self,
        method: str | None = None,
        *,
        status: int = 500,
        times: int = 1,
        chat_id: int | None = None,
    ) -> Fault:
        """Make the next ``times`` matching calls answer a 5xx ``status``."""
        return self.schedule(Fault(FaultKind.SERVER_ERROR, method, chat_id, times, status=status))

    def timeout(
        self,
        method: str | None = None,
        *,
        hold: float = 30.0,
        times: int = 1,
        processed: bool = False,
        chat_id: int | None = None,
    ) -> Fault:
        """Hold the next ``times`` matching calls ``hold`` seconds, past the client's timeout."""
        return self.schedule(
            Fault(FaultKind.TIMEOUT, method, chat_id, times, hold=hold, processed=processed)
        )

    def drop_connection(
        self,
        method: str | None = None,
        *,
        times: int = 1,
        processed: bool = False,
        chat_id: int | None = None,
    ) -> Fault:
        """Close the connection of the next ``times`` matching calls without an answer."""
        return self.schedule(Fault(FaultKind.DROP, method, chat_id, times, processed=processed))

    def clear(self) -> None:
        """Forget every scheduled fault."""
        self.pending.clear()

    def take(self, method: str, chat_id: int | str | None) -> Fault | None:
        """Consume and return the first fault matching a call, if any."""
        for fault in self.pending:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.pending.remove(fault)
                return fault
        return None


@dataclass
class Tripwire:
    """Runs ``action`` once, when a call of ``method`` whose parameters satisfy ``when`` has
    taken effect and before its answer leaves: a test kills the bot's process exactly there
    (the message sent, the bot never hearing so)."""

    method: str
    action: Callable[[], None]
    when: Callable[[dict[str, Any]], bool] = lambda values: True
    sprung: bool = False

    def check(self, method: str, values: dict[str, Any]) -> None:
        """Spring if this call is the one."""
        if self.sprung or self.method.lower() != method.lower() or not self.when(values):
            return
        self.sprung = True
        self.action()
