"""Parameters of one Bot API call, whichever way the client encoded them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file uploaded with a multipart request."""

    filename: str
    content: bytes
    mime_type: str | None = None


@dataclass
class Parameters:
    """Call parameters: form and query values are strings (JSON for structures), JSON bodies typed.

    Python-telegram-bot sends every non-string value JSON-encoded inside a form field, so each
    getter decodes on demand: a text ``"123"`` stays a string, a ``chat_id`` becomes an int.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Tell whether the parameter was sent."""
        return name in self.values or name in self.files

    def text(self, name: str, default: str | None = None) -> str | None:
        """Return a string parameter as sent."""
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else str(value)

    def required_text(self, name: str) -> str:
        """Return a string parameter or answer 400 when it is missing."""
        value = self.text(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        """Return an integer parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def required_integer(self, name: str) -> int:
        """Return an integer parameter or answer 400 when it is missing."""
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def number(self, name: str) -> float:
        """Return a required float parameter."""
        value = self.values.get(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        """Return a boolean parameter (``true``/``false`` in forms)."""
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in {"true", "1"}

    def structure(self, name: str) -> Any:
        """Return a JSON-valued parameter (object or array) decoded, or ``None``."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_ref(self, name: str = "chat_id") -> int | str:
        """Return a chat reference: an integer id or an ``@username``."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, int):
            return value
        text = str(value)
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError:
            raise bad_request("chat not found") from None
