"""How well the intake's rules read residents' messages, on sets written for the purpose.

Two labelled sets live in tests/data: intake_messages.toml (written first, by someone who had
not seen the rules, then used to develop them) and intake_heldout.toml (written later, also
without seeing the rules or the first set; its first measurement is the honest one). For each:
emergency recall and right-number rate, false emergencies among ordinary reports, small talk
recognised, vague texts kept from auto-routing (sent to dispatch), and places found or not
found as labelled. Prints JSON.

    python benchmarks/understanding.py
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.understanding import emergency, is_vague, place_in, small_talk
from storage.places import read_places

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = ("intake_messages.toml", "intake_heldout.toml")


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def measure(messages: list[Mapping[str, Any]], places: tuple[str, ...]) -> dict[str, Any]:
    """The rules' figures on one labelled set."""
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for message in messages:
        by_kind.setdefault(message["kind"], []).append(message)
    emergencies = by_kind.get("emergency", [])
    reports = by_kind.get("report", [])
    chats = by_kind.get("small_talk", [])
    vague = by_kind.get("vague", [])
    found = [emergency(m["text"]) for m in emergencies]
    missed = [m["text"] for m, f in zip(emergencies, found, strict=True) if f is None]
    return {
        "messages": len(messages),
        "emergencies": len(emergencies),
        "emergency_recall": _share(sum(f is not None for f in found), len(emergencies)),
        "emergency_right_number": _share(
            sum(
                f is not None and f.number == m["number"]
                for m, f in zip(emergencies, found, strict=True)
            ),
            len(emergencies),
        ),
        "false_emergencies_among_reports": sum(emergency(m["text"]) is not None for m in reports),
        "reports": len(reports),
        "small_talk_recognised": _share(
            sum(small_talk(m["text"]) is not None for m in chats), len(chats)
        ),
        "small_talk_false_among_reports": sum(small_talk(m["text"]) is not None for m in reports),
        "vague_sent_to_dispatch": _share(
            sum(small_talk(m["text"]) is None and is_vague(m["text"]) for m in vague), len(vague)
        ),
        "reports_wrongly_vague": sum(is_vague(m["text"]) for m in reports),
        "place_as_labelled": _share(
            sum(bool(place_in(m["text"], places)) == m["place"] for m in reports), len(reports)
        ),
        "missed_emergencies": missed,
    }


def main() -> None:
    """Print the figures for every set."""
    places = read_places()
    figures = {
        name: measure(tomllib.loads((DATA / name).read_text(encoding="utf-8"))["message"], places)
        for name in SETS
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
