"""What handlers need at run time, built once by the composition root."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import CallbackContext, ContextTypes

from admin.context import SERVICES_KEY
from classifiers.knowledge import KnowledgeMatcher
from classifiers.model import Classifier
from storage.district import District
from storage.teams import Team
from storage.tickets import Policy
from storage.unit_of_work import UnitOfWork
from storage.workers import new_worker_id


@dataclass
class KnowledgeCache:
    """The knowledge base's matcher as it was at `version` (entries, newest id)."""

    version: tuple[int, int] = (-1, -1)
    matcher: KnowledgeMatcher | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Services:
    """The store, the model and the policies, shared by every handler and job."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    classifier: Classifier
    district: District
    policy: Policy
    tz: ZoneInfo
    rating_window_days: int = 3
    places: tuple[str, ...] = ()  # the district's gazetteer, longest names first
    teams: tuple[Team, ...] = ()  # collectors' teams and their communities (teams.toml)
    max_photos: int = 5
    min_text_chars: int = 5
    outbox_lease: timedelta = timedelta(minutes=2)
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # The knowledge base: answered at once only at or above this similarity (>1: off).
    knowledge_threshold: float = 0.5
    knowledge: KnowledgeCache = field(default_factory=lambda: KnowledgeCache())
    worker_id: str = field(default_factory=new_worker_id)  # this process (storage/workers.py)

    def uow(self) -> UnitOfWork:
        """A new unit of work."""
        return UnitOfWork(self.sessions)

    def department_names(self) -> dict[str, str]:
        """Department code → name, dispatch included."""
        return {d.code: d.name for d in self.district.all()}

    def routable_names(self) -> dict[str, str]:
        """Department code → name, the departments a ticket can be routed to."""
        return {d.code: d.name for d in self.district.departments}

    def kick_outbox(self) -> None:
        """Tell the sender there is something new to deliver."""
        self.outbox_wakeup.set()


Context = ContextTypes.DEFAULT_TYPE


def services(context: CallbackContext) -> Services:  # type: ignore[type-arg]
    """The services of the running application."""
    found = context.application.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found
