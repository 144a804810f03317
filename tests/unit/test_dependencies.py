"""What the bot process needs installed beyond its own imports."""

from __future__ import annotations

import re
from importlib import metadata

import sniffio

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def declared() -> set[str]:
    """The names of the project's own dependencies (extras left out)."""
    found = set()
    for line in metadata.requires("minyi") or []:
        name = NAME.match(line)
        if name and "extra ==" not in line:
            found.add(name.group(0).lower())
    return found


async def test_httpcore_finds_the_event_loop_through_sniffio() -> None:
    # httpcore imports sniffio on every request to learn which event loop runs it; when the
    # import fails it carries on without it, paying for the failed import each time.
    assert sniffio.current_async_library() == "asyncio"


def test_sniffio_is_a_declared_dependency() -> None:
    assert "sniffio" in declared()
