"""Bot API errors the emulator answers with, shaped like Telegram's."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional parameters."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def to_api(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return body


def bad_request(reason: str) -> ApiError:
    """Return a 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def chat_migrated(new_chat_id: int) -> ApiError:
    """Return the 400 Telegram answers for a group that became a supergroup."""
    return ApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=new_chat_id,
    )


def forbidden(reason: str) -> ApiError:
    """Return a 403 error with Telegram's "Forbidden: " prefix."""
    return ApiError(403, f"Forbidden: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """Return a 429 error carrying ``retry_after`` seconds."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def not_found() -> ApiError:
    """Return the 404 Telegram answers for an unknown method."""
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    """Return the 401 Telegram answers for a wrong token."""
    return ApiError(401, "Unauthorized")


def conflict(reason: str) -> ApiError:
    """Return a 409 error with Telegram's "Conflict: " prefix."""
    return ApiError(409, f"Conflict: {reason}")


class ConnectionDropped(Exception):
    """The emulator closes the connection without answering (fault injection)."""
