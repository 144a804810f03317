"""Telegram's buckets kept in PostgreSQL, so that webhook workers share one pace.

Each bucket is a row of `pace`: the bot's (key ``'*'``) and one per chat (its id), holding the
theoretical arrival time (``tat``) of the generic cell rate algorithm: a bucket of ``burst``
messages refilled every ``period / burst`` seconds lets a message go at
``greatest(now, tat - tolerance)`` and then moves ``tat`` on by one interval. A message
reserves its slot in both buckets in one statement, with the database's clock (the workers
agree on it whatever their own clocks say), and then waits until that slot:

- only when its chat is free now: a chat's slot in the future would push the bot's bucket on
  to it and hold every other chat meanwhile, so the statement then reserves nothing and says
  when to ask again (a chat has one message in flight per worker, so few ask at once);
- the chat counts the message at its slot in the bot's bucket (when it will leave), not at the
  moment it was reserved;
- only within ``patience`` seconds (the outbox is told rather than held past its lease).

A message whose answer comes back well after its slot is counted again then (`settle`): a slow
network or a busy event loop must not let another worker's next message to the chat arrive
early. A 429 moves a bucket's ``tat`` on so that its next slot is after the pause (`hold`),
for every worker. Rows are locked chat first, then the bot's, so reservations never deadlock;
a bucket's row is made (idle) before its first reservation, so two workers reserving in a new
bucket at once wait for each other's lock like any others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["OVERALL", "Bucket", "Reservation", "SharedBuckets"]

OVERALL = "*"  # the bot's own bucket
FOREVER = 1e6  # seconds: patience without a limit
KNOWN_KEYS = 65536  # buckets a worker remembers having made (forgotten all at once beyond)

_SECONDS = "make_interval(secs => CAST({} AS double precision))"


def _interval(name: str) -> str:
    return _SECONDS.format(f":{name}")


# The chat's and the bot's bucket in one round trip.
_RESERVE = text(
    f"""
WITH now AS (SELECT clock_timestamp() AS t),
old AS (
    SELECT (SELECT tat FROM pace WHERE key = :chat FOR UPDATE) AS chat_tat,
           (SELECT tat FROM pace WHERE key = '*' FOR UPDATE) AS all_tat
),
slot AS (
    SELECT now.t AS now, old.chat_tat, old.all_tat,
           greatest(now.t, old.chat_tat - {_interval("chat_tolerance")}) AS chat_at,
           greatest(now.t, old.all_tat - {_interval("all_tolerance")}) AS all_at
    FROM now, old
),
go AS (
    SELECT * FROM slot
    WHERE chat_at <= now AND all_at <= now + {_interval("patience")}
),
kept AS (
    INSERT INTO pace (key, tat)
    SELECT :chat, greatest(chat_tat, all_at) + {_interval("chat_step")} FROM go
    UNION ALL
    SELECT '*', greatest(all_tat, now) + {_interval("all_step")} FROM go
    ON CONFLICT (key) DO UPDATE SET tat = greatest(
        EXCLUDED.tat,
        pace.tat + CASE WHEN pace.key = '*'
            THEN {_interval("all_step")} ELSE {_interval("chat_step")} END
    )
    RETURNING key
)
SELECT EXISTS (SELECT FROM go) AS reserved, now,
       CASE WHEN EXISTS (SELECT FROM go) THEN all_at ELSE greatest(chat_at, all_at) END AS at
FROM slot
"""
)

# The bot's bucket alone (a message with no chat).
_RESERVE_OVERALL = text(
    f"""
WITH now AS (SELECT clock_timestamp() AS t),
slot AS (
    SELECT now.t AS now, old.all_tat,
           greatest(now.t, old.all_tat - {_interval("all_tolerance")}) AS all_at
    FROM now, (SELECT (SELECT tat FROM pace WHERE key = '*' FOR UPDATE) AS all_tat) AS old
),
go AS (SELECT * FROM slot WHERE all_at <= now + {_interval("patience")}),
kept AS (
    INSERT INTO pace (key, tat)
    SELECT '*', greatest(all_tat, now) + {_interval("all_step")} FROM go
    ON CONFLICT (key) DO UPDATE SET tat = greatest(EXCLUDED.tat, pace.tat + {_interval("all_step")})
    RETURNING key
)
SELECT EXISTS (SELECT FROM go) AS reserved, now, all_at AS at FROM slot
"""
)

_HOLD = text(
    f"""
INSERT INTO pace (key, tat) VALUES (:key, clock_timestamp() + {_interval("until")})
ON CONFLICT (key) DO UPDATE SET tat = greatest(pace.tat, EXCLUDED.tat)
"""
)


# A bucket's row, idle, if it has none yet.
_MAKE = text(
    """
INSERT INTO pace (key, tat) VALUES (:key, clock_timestamp() - interval '1 day')
ON CONFLICT (key) DO NOTHING
"""
)

# A message counted again when its answer came back (Telegram took it no later).
_SETTLE = text(
    f"""
UPDATE pace SET tat = greatest(tat, clock_timestamp() + {_interval("step")}) WHERE key = :key
"""
)


@dataclass(frozen=True, slots=True)
class Bucket:
    """A token bucket of ``burst`` messages refilled over ``period`` seconds; a burst of 0 paces
    nothing (the row then only keeps 429 pauses)."""

    burst: float
    period: float

    def step(self, messages: int) -> float:
        """Seconds the bucket needs to refill ``messages``."""
        return messages * self.period / self.burst if self.burst else 0.0

    def tolerance(self, messages: int) -> float:
        """How far ahead of now ``tat`` may be for ``messages`` to leave at once."""
        return max(0.0, self.burst - messages) * self.period / self.burst if self.burst else 0.0


@dataclass(frozen=True, slots=True)
class Reservation:
    """What the database said: ``reserved``, the message's slot is ``at``; otherwise nothing
    was reserved and its buckets free up at ``at`` (the database's clock, read as ``now``)."""

    reserved: bool
    at: datetime
    now: datetime

    @property
    def wait(self) -> float:
        """Seconds from the database's now until ``at``."""
        return max(0.0, (self.at - self.now).total_seconds())


class SharedBuckets:
    """The `pace` table on PostgreSQL (see the module's docstring)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._made: set[str] = set()

    async def reserve(
        self,
        *,
        chat: str | None,
        messages: int,
        chat_bucket: Bucket,
        overall: Bucket,
        patience: float | None = None,
    ) -> Reservation:
        """Reserve the slot of ``messages`` to ``chat`` (None: the bot's bucket alone)."""
        params: dict[str, object] = {
            "all_tolerance": overall.tolerance(messages),
            "all_step": overall.step(messages),
            "patience": FOREVER if patience is None else patience,
        }
        statement = _RESERVE_OVERALL
        if chat is not None:
            statement = _RESERVE
            params.update(
                chat=chat,
                chat_tolerance=chat_bucket.tolerance(messages),
                chat_step=chat_bucket.step(messages),
            )
        async with self.engine.connect() as connection:
            for key in (chat, OVERALL):
                if key is not None and key not in self._made:
                    await connection.execute(_MAKE, {"key": key})
                    if len(self._made) >= KNOWN_KEYS:
                        self._made.clear()
                    self._made.add(key)
            row = (await connection.execute(statement, params)).one()
        return Reservation(bool(row.reserved), row.at, row.now)

    async def hold(self, *, key: str, seconds: float, bucket: Bucket) -> None:
        """No slot in the bucket ``key`` (a chat's id or `OVERALL`) before ``seconds`` from
        now: Telegram's pause after a 429, for every worker."""
        async with self.engine.connect() as connection:
            await connection.execute(_HOLD, {"key": key, "until": seconds + bucket.tolerance(1)})

    async def settle(self, *, key: str, messages: int, bucket: Bucket) -> None:
        """Count ``messages`` to the chat ``key`` as taken now (their answer just came back)."""
        async with self.engine.connect() as connection:
            await connection.execute(_SETTLE, {"key": key, "step": bucket.step(messages)})
