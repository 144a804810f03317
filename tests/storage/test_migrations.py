"""Schema changes go through Alembic only: the migrated schema is exactly the models'."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage import database
from storage.notices import Digest, DispatchCard, Rework, Routed, TicketCard, decode
from storage.routing import Candidate


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
        )
    assert diff == []


def test_downgrade_to_nothing_and_back(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    database.upgrade(url)
    command.downgrade(database.alembic_config(url), "base")
    database.upgrade(url)


def test_rows_queued_before_typed_notices_are_still_delivered(tmp_path: Path) -> None:
    """Upgrading with messages still queued: the old payloads are rewritten as notices."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    config = database.alembic_config(url)
    command.upgrade(config, "0004")
    old = {
        "ticket_card": {
            "number": "TB-20261124-0001",
            "text": "路灯坏了",
            "status": "routed",
            "department": "城市管理局",
            "department_code": "urban",
            "resident_name": "王女士",
            "photos": ["p1"],
            "due_at": "2026-11-27T09:30:00+00:00",
            "via": "routed",
            "unbound_department": "城市管理局",
        },
        "dispatch_card": {
            "number": "TB-20261124-0002",
            "text": "帮我看看",
            "status": "pending_dispatch",
            "department": "区民意调度中心",
            "department_code": "dispatch",
            "candidates": [["urban", 0.42]],
            "reason": "low_confidence",
            "note": "",
        },
        "routed": {
            "number": "TB-20261124-0001",
            "department": "城市管理局",
            "due_at": "2026-11-27T09:30:00+00:00",
            "again": False,
        },
        "reopened": {"number": "TB-20261124-0001", "reason": "没修好", "count": 1},
        "text": {"text": "你好"},
    }
    sync_url = url.replace("+aiosqlite", "")
    engine = create_engine(sync_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO departments (code, name, sla_hours, scope, is_dispatch, is_forum) "
                "VALUES ('urban', '城市管理局', 72, '', 0, 0)"
            )
        )
        for kind, payload in old.items():
            audience = "resident" if kind == "routed" else "department"
            connection.execute(
                text(
                    "INSERT INTO outbox (audience, chat_id, kind, payload, status, attempts, "
                    "created_at, next_attempt_at) VALUES (:audience, 1, :kind, :payload, "
                    "'pending', 0, '2026-11-24 02:00:00', '2026-11-24 02:00:00')"
                ),
                {"audience": audience, "kind": kind, "payload": json.dumps(payload)},
            )
    database.upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT kind, payload FROM outbox ORDER BY id")).all()
    engine.dispose()
    notices = [decode(kind, json.loads(payload)) for kind, payload in rows]
    card, dispatch_card, routed, rework, digest = notices
    assert isinstance(card, TicketCard)
    assert (card.card.number, card.card.photos, card.unbound_department_code) == (
        "TB-20261124-0001",
        ("p1",),
        "urban",
    )
    assert isinstance(dispatch_card, DispatchCard)
    assert dispatch_card.candidates == (Candidate("urban", 0.42),)
    assert routed == Routed("TB-20261124-0001", "urban", card.card.due_at, again=False)
    assert rework == Rework("TB-20261124-0001", "没修好", 1)
    assert digest == Digest("你好")


def test_topics_made_before_claims_are_carried_over(tmp_path: Path) -> None:
    """Each ticket's latest topic in a group becomes its claim, so no second one is made."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    command.upgrade(database.alembic_config(url), "0006")
    engine = create_engine(url.replace("+aiosqlite", ""))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO residents (id, user_id, chat_id, display_name, created_at) "
                "VALUES (1, 7, 7, '', '2026-11-24 02:00:00')"
            )
        )
        for number in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO tickets (id, number, resident_id, text, photo_file_ids, "
                    "phone_consent, status, priority, awaiting_resident, created_at, "
                    "reopen_count, reassign_count) VALUES (:id, :number, 1, '路灯', '[]', 0, "
                    "'routed', 0, 0, '2026-11-24 02:00:00', 0, 0)"
                ),
                {"id": number, "number": f"TB-20261124-000{number}"},
            )
        for ticket_id, chat_id, message_id, thread_id in (
            (1, -100, None, 10),  # the topic …
            (1, -100, 11, 10),  # … and the card in it
            (1, -100, None, 30),  # the topic made again after the first was deleted
            (1, -200, 5, None),  # a card in a group without topics
            (2, -100, None, 20),
        ):
            connection.execute(
                text(
                    "INSERT INTO ticket_messages (ticket_id, chat_id, message_id, thread_id, "
                    "purpose, created_at) VALUES (:t, :c, :m, :th, 'topic', "
                    "'2026-11-24 02:00:00')"
                ),
                {"t": ticket_id, "c": chat_id, "m": message_id, "th": thread_id},
            )
    database.upgrade(url)
    with engine.connect() as connection:
        claims = connection.execute(
            text("SELECT ticket_id, chat_id, thread_id FROM topic_claims ORDER BY ticket_id")
        ).all()
    engine.dispose()
    assert [tuple(c) for c in claims] == [(1, -100, 30), (2, -100, 20)]
