"""What delivery needs at run time; the composition root (bot/) provides it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.unit_of_work import UnitOfWork


class DeliveryServices(Protocol):
    """The slice of the bot's services the sender uses."""

    @property
    def engine(self) -> AsyncEngine:
        """The database (on PostgreSQL the sender listens for queued rows on its own connection)."""
        ...

    @property
    def tz(self) -> ZoneInfo:
        """The district's time zone."""
        ...

    @property
    def outbox_lease(self) -> timedelta:
        """How long a claim holds before another worker may take the row over."""
        ...

    @property
    def outbox_wakeup(self) -> asyncio.Event:
        """Set when something new is queued."""
        ...

    @property
    def worker_id(self) -> str:
        """This process; its claims are taken over when it stops beating."""
        ...

    def uow(self) -> UnitOfWork:
        """A new unit of work."""
        ...

    def department_names(self) -> dict[str, str]:
        """Department code → name, dispatch included."""
        ...

    def routable_names(self) -> dict[str, str]:
        """Department code → name, the departments a ticket can be routed to."""
        ...

    def kick_outbox(self) -> None:
        """Tell the sender there is something new to deliver."""
        ...
