"""Typed domain errors; the Telegram edge maps each to a friendly Chinese answer."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause."""


class TicketNotFound(DomainError):
    """No ticket with that number (or not one this person may see)."""

    def __init__(self, number: str) -> None:
        super().__init__(f"ticket {number!r} not found")
        self.number = number


class IllegalTransition(DomainError):
    """The ticket's current state does not allow the action."""

    def __init__(self, number: str, status: str, action: str) -> None:
        super().__init__(f"ticket {number} is {status}; cannot {action}")
        self.number = number
        self.status = status
        self.action = action


class PermissionDenied(DomainError):
    """The actor's role or department does not allow the action."""

    def __init__(self, action: str) -> None:
        super().__init__(f"not allowed: {action}")
        self.action = action


class UnknownDepartment(DomainError):
    """A department code that the district does not have."""

    def __init__(self, code: str, known: list[str] | None = None) -> None:
        hint = f" (known: {', '.join(known)})" if known else ""
        super().__init__(f"unknown department code {code!r}{hint}")
        self.code = code
        self.known = known or []


class InvalidInput(DomainError):
    """A value that fails validation (empty text, bad id, ...)."""


class RateLimited(DomainError):
    """The resident opened too many tickets in a short time."""

    def __init__(self, limit: int, window_minutes: int) -> None:
        super().__init__(f"at most {limit} tickets per {window_minutes} minutes")
        self.limit = limit
        self.window_minutes = window_minutes


class AlreadyClaimed(DomainError):
    """Someone on staff claimed the ticket first (the actor themselves, when `own`)."""

    def __init__(self, number: str, *, by_name: str, own: bool) -> None:
        super().__init__(f"ticket {number} is already claimed")
        self.number = number
        self.by_name = by_name  # as colleagues know them; "" when no name is kept
        self.own = own


class DuplicateTopic(DomainError):
    """A message was written in a second forum topic made for a ticket by mistake."""

    def __init__(self, number: str, *, chat_id: int, thread_id: int) -> None:
        super().__init__(f"a duplicate topic of ticket {number}")
        self.number = number
        self.chat_id = chat_id
        self.thread_id = thread_id


class SendBackTooLate(DomainError):
    """退单 is allowed only within a window after routing."""

    def __init__(self, number: str, *, days: float) -> None:
        super().__init__(
            f"ticket {number} can be sent back only {days:g} working days after routing"
        )
        self.number = number
        self.days = days


class ExtensionRefused(DomainError):
    """A 延期 request the rules do not allow: too long, too many, or one already pending."""

    def __init__(self, number: str, *, why: str, limit: int = 0) -> None:
        super().__init__(f"ticket {number}: extension refused ({why}, limit {limit})")
        self.number = number
        self.why = why  # "too_long", "too_many" or "pending"
        self.limit = limit


class DepartmentRequired(DomainError):
    """Staff belong to a department; granting the role needs one."""

    def __init__(self) -> None:
        super().__init__("staff members need a department")


class DistrictWideRole(DomainError):
    """Dispatchers, supervisors and admins serve the whole district, not one department."""

    def __init__(self, role: str) -> None:
        super().__init__(f"{role} is a district-wide role and takes no department")
        self.role = role


class NoSuchGrant(DomainError):
    """The user holds no role matching what was to be changed."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} holds no such role")
        self.user_id = user_id


class OwnAdminRole(DomainError):
    """An admin may not take their own admin role away in Telegram (the operator can)."""

    def __init__(self) -> None:
        super().__init__("admins cannot revoke their own admin role in Telegram")


class TeamRequired(DomainError):
    """A collector belongs to a team (and its community), configured in teams.toml."""

    def __init__(self, known: list[str] | None = None) -> None:
        super().__init__("collectors need --team (and --community) from teams.toml")
        self.known = known or []


class UnknownTeam(DomainError):
    """A team (or its community) that teams.toml does not list."""

    def __init__(self, team: str, known: list[str]) -> None:
        super().__init__(f"unknown team {team!r}")
        self.team = team
        self.known = known
