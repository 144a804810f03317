"""The collector teams and the communities they are linked to (teams.toml, beside
departments.toml). Pure reading and checking; members keep only their team's name."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from storage.errors import InvalidInput, UnknownTeam

DEFAULT_TEAMS = Path(__file__).with_name("teams.toml")


@dataclass(frozen=True, slots=True)
class Team:
    """A team of 民情书记 or 网格员 and the community it listens to."""

    name: str
    community: str


def parse_teams(text: str, source: str = "teams.toml") -> tuple[Team, ...]:
    """Parse and validate the TOML text of the teams file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{source}: not valid TOML ({error})") from None
    raw = data.get("teams", [])
    if not isinstance(raw, list):
        raise InvalidInput(f"{source}: [[teams]] must be a list of tables")
    teams: list[Team] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise InvalidInput(f"{source} teams[{index}]: expected a table")
        name = str(entry.get("name", "")).strip()
        community = str(entry.get("community", "")).strip()
        if not name or not community:
            raise InvalidInput(f"{source} teams[{index}]: needs a name and a community")
        teams.append(Team(name, community))
    names = [t.name for t in teams]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"{source}: duplicate team names {', '.join(duplicates)}")
    return tuple(teams)


def read_teams(path: Path = DEFAULT_TEAMS) -> tuple[Team, ...]:
    """Read the teams file (no file: no teams)."""
    if not path.exists():
        return ()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    return parse_teams(text, str(path))


def find_team(teams: tuple[Team, ...], name: str, community: str | None = None) -> Team:
    """The team of that name (linked to that community, when one is given)."""
    for team in teams:
        if team.name == name.strip() and (community is None or team.community == community.strip()):
            return team
    raise UnknownTeam(name, [f"{t.name}（{t.community}）" for t in teams])
