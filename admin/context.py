"""What staff-side handlers need at run time; the composition root (bot/) provides it."""

from __future__ import annotations

from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from telegram.ext import CallbackContext

from storage.tickets import Policy
from storage.unit_of_work import UnitOfWork

# The key under which the composition root keeps its services in `bot_data`.
SERVICES_KEY = "minyi.services"


class StaffServices(Protocol):
    """The slice of the bot's services that staff handlers use."""

    @property
    def policy(self) -> Policy:
        """The district's ticket rules."""
        ...

    @property
    def tz(self) -> ZoneInfo:
        """The district's time zone."""
        ...

    def uow(self) -> UnitOfWork:
        """A new unit of work."""
        ...

    def department_names(self) -> dict[str, str]:
        """Department code → name, dispatch included."""
        ...

    def kick_outbox(self) -> None:
        """Tell the sender there is something new to deliver."""
        ...

    @property
    def rating_window_days(self) -> int:
        """Days a resident has to rate an answer before it closes as 未评价."""
        ...


def staff_services(context: CallbackContext[Any, Any, Any, Any]) -> StaffServices:
    """The running application's services."""
    return cast(StaffServices, context.application.bot_data[SERVICES_KEY])
