"""The unit of work: one transaction per use case, rolled back unless told to commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.processing import mark_within, processing


class UnitOfWork:
    """Opens a session on enter; `commit()` makes the changes stick, anything else rolls back."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The open session (only inside `async with`)."""
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside 'async with'")
        return self._session

    @property
    def dialect(self) -> str:
        """The database backend name: 'sqlite' or 'postgresql'."""
        return self.session.get_bind().dialect.name

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            # Detach first so rows read here stay readable; uncommitted changes are discarded.
            self._session.expunge_all()
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None

    async def commit(self) -> None:
        """Commit everything done in this unit of work; the first commit made while handling an
        update also marks that update processed (storage/inbox.py)."""
        current = processing.get()
        if current is not None and not current.marked:
            await mark_within(self.session, current.update_id, current.worker)
            await self.session.commit()
            current.marked = True
            return
        await self.session.commit()

    async def flush(self) -> None:
        """Send pending changes to the database (ids become known) without committing."""
        await self.session.flush()
