"""The district's gazetteer (places.toml): names the intake recognises as places."""

from __future__ import annotations

import tomllib
from pathlib import Path

from storage.errors import InvalidInput

DEFAULT_PLACES = Path(__file__).with_name("places.toml")


def read_places(path: Path = DEFAULT_PLACES) -> tuple[str, ...]:
    """Place names from a gazetteer file, longest first (a longer name wins a match)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidInput(f"{path}: cannot read the gazetteer ({error})") from None
    names = data.get("places", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInput(f"{path}: `places` must be a list of names")
    unique = {n.strip() for n in names if n.strip()}
    return tuple(sorted(unique, key=lambda n: (-len(n), n)))
