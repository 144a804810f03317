"""outbox: payloads become typed notices (storage/notices.py)

Rows written before this revision are rewritten in the notices' shape, so queued messages
are still delivered after an upgrade: cards nest the ticket under "card", candidates become
objects, department names become codes, a department's "reopened" becomes "rework" and the
plain "text" kind becomes "digest". Downgrading leaves the rows as they are.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 00:30:00.000000
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CARD_FIELDS = (
    "number",
    "text",
    "status",
    "department_code",
    "resident_name",
    "address",
    "latitude",
    "longitude",
    "photos",
    "phone",
    "confidence",
    "due_at",
)
NAMED_KINDS = ("routed", "claimed", "reply", "question", "resolved", "reopened", "escalation")


def typed(
    kind: str, audience: str, payload: dict[str, Any], codes: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    """One old row's kind and payload in the typed notices' shape."""
    if "card" in payload:  # already typed
        return kind, payload
    if kind in ("ticket_card", "dispatch_card"):
        card = {key: payload.get(key) for key in CARD_FIELDS}
        card["resident_name"] = card["resident_name"] or ""
        card["photos"] = card["photos"] or []
        card["department_code"] = card["department_code"] or ""
        if kind == "ticket_card":
            unbound = payload.get("unbound_department")
            return kind, {
                "card": card,
                "via": payload.get("via") or "routed",
                "reason": payload.get("reason"),
                "unbound_department_code": codes.get(unbound, unbound) if unbound else None,
            }
        return kind, {
            "card": card,
            "candidates": [
                {"code": code, "confidence": confidence}
                for code, confidence in payload.get("candidates") or []
            ],
            "reason": payload.get("reason") or "low_confidence",
            "note": payload.get("note") or "",
        }
    if kind == "reopened" and audience != "resident":
        return "rework", payload
    if kind == "text":
        return "digest", {"text": payload.get("text", "")}
    if kind == "department_unreachable":
        name = payload.get("department")
        return kind, {**payload, "department_code": codes.get(name) if name else None}
    if kind in NAMED_KINDS and "department" in payload:
        name = payload["department"]
        return kind, {**payload, "department_code": codes.get(name, name)}
    return kind, payload


def upgrade() -> None:
    connection = op.get_bind()
    codes = {name: code for code, name in connection.execute(sa.text("SELECT code, name FROM departments"))}
    rows = connection.execute(sa.text("SELECT id, kind, audience, payload FROM outbox")).all()
    for row_id, kind, audience, raw in rows:
        payload = json.loads(raw) if raw else {}
        new_kind, new_payload = typed(kind, audience, payload, codes)
        if (new_kind, new_payload) != (kind, payload):
            connection.execute(
                sa.text("UPDATE outbox SET kind = :kind, payload = :payload WHERE id = :id"),
                {
                    "kind": new_kind,
                    "payload": json.dumps(new_payload, ensure_ascii=False, sort_keys=True),
                    "id": row_id,
                },
            )


def downgrade() -> None:
    pass
