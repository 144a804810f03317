"""The unit of work: one transaction per use case, rolled back unless told to commit.

While an update is handled, the units of work its handlers open share the update's session
(`storage.processing`): what one reads is read in the transaction the next one writes and
commits, instead of a transaction each. Each still rolls back what it wrote unless told to
commit; what it only read stays in the open transaction, which ends at the update's next
commit, before its next Telegram call (`end_reads`) or when its handlers return."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.processing import Processing, mark_within, processing


class UnitOfWork:
    """Opens a session on enter; `commit()` makes the changes stick, anything else rolls back."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._shared: Processing | None = None  # the update whose session this one shares

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
        current = processing.get()
        if current is not None and current.sessions is self._sessions:
            self._session = current.shared_session()
            self._shared = current
            current.depth += 1
            return self
        self._session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        shared, self._shared = self._shared, None
        if shared is not None:
            session, self._session = self._session, None
            shared.depth -= 1
            if shared.depth:
                return  # the outermost unit of work on the shared session decides
            undo = exc_type is not None or shared.writes_pending()
            session.expunge_all()  # the next unit of work starts with nothing loaded, as alone
            if undo:
                await session.rollback()
            return
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
