"""The shared buckets' arithmetic on PostgreSQL: workers reserving at once get slots spaced by
the rate, a chat is counted at the bot's slot, and a pause holds every worker."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import database
from storage.pace import OVERALL, Bucket, Reservation, SharedBuckets

ONE_A_SECOND = Bucket(1, 1.0)
SLOW = Bucket(1, 60.0)
NEVER_PACED = Bucket(0, 1.0)


@pytest.fixture
def shared(engine: AsyncEngine, db_url: str) -> SharedBuckets:
    if not db_url.startswith("postgresql"):
        pytest.skip("webhook workers share their buckets on PostgreSQL")
    return SharedBuckets(engine)


async def test_two_workers_reserving_at_once_get_distinct_slots_spaced_by_the_rate(
    shared: SharedBuckets, db_url: str
) -> None:
    other = SharedBuckets(database.create_engine(db_url))  # a second worker's own engine
    try:

        async def reserve(buckets: SharedBuckets, chat: int) -> Reservation:
            return await buckets.reserve(
                chat=str(chat), messages=1, chat_bucket=SLOW, overall=ONE_A_SECOND
            )

        got = await asyncio.gather(
            *(reserve(shared if i % 2 else other, 1000 + i) for i in range(16))
        )
    finally:
        await other.engine.dispose()
    assert all(r.reserved for r in got)  # every chat was free
    slots = sorted(r.at for r in got)
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert min(gaps) >= timedelta(seconds=1) - timedelta(microseconds=1), gaps


async def test_a_burst_goes_at_once_and_the_rest_follow_at_the_rate(shared: SharedBuckets) -> None:
    overall = Bucket(4, 4.0)  # four at once, then one a second
    got = [
        await shared.reserve(chat=str(2000 + i), messages=1, chat_bucket=SLOW, overall=overall)
        for i in range(7)
    ]
    assert [r.at <= r.now for r in got] == [True] * 4 + [False] * 3
    second = timedelta(seconds=1) - timedelta(microseconds=1)
    assert got[4].at - got[0].at >= second  # the fifth a second after the first
    later = [r.at for r in got[4:]]
    gaps = [b - a for a, b in itertools.pairwise(later)]
    assert all(gap >= second for gap in gaps), gaps


async def test_a_busy_chat_reserves_nothing_and_says_when_it_is_free(
    shared: SharedBuckets,
) -> None:
    first = await shared.reserve(chat="3000", messages=1, chat_bucket=SLOW, overall=NEVER_PACED)
    second = await shared.reserve(chat="3000", messages=1, chat_bucket=SLOW, overall=NEVER_PACED)
    assert first.reserved
    assert not second.reserved
    assert second.at - first.at >= timedelta(seconds=59)


async def test_a_chat_counts_its_message_at_the_bots_slot(shared: SharedBuckets) -> None:
    overall = Bucket(1, 30.0)  # one every 30 s: the second message leaves 30 s from now
    await shared.reserve(chat="4000", messages=1, chat_bucket=ONE_A_SECOND, overall=overall)
    held = await shared.reserve(chat="4001", messages=1, chat_bucket=ONE_A_SECOND, overall=overall)
    assert held.reserved
    assert held.wait > 20
    # The chat's next message is due a second after that slot, not a second after now.
    again = await shared.reserve(chat="4001", messages=1, chat_bucket=ONE_A_SECOND, overall=overall)
    assert not again.reserved
    assert again.at - held.at >= timedelta(seconds=1) - timedelta(microseconds=1)


async def test_a_pause_holds_every_worker_and_the_patient_are_told(shared: SharedBuckets) -> None:
    await shared.hold(key=OVERALL, seconds=30, bucket=ONE_A_SECOND)
    quiet = await shared.reserve(
        chat="5000", messages=1, chat_bucket=ONE_A_SECOND, overall=ONE_A_SECOND, patience=5
    )
    assert not quiet.reserved
    assert quiet.wait > 5
    waiting = await shared.reserve(
        chat="5000", messages=1, chat_bucket=ONE_A_SECOND, overall=ONE_A_SECOND
    )
    assert waiting.reserved
    assert waiting.wait > 20
    await shared.hold(key="5001", seconds=30, bucket=ONE_A_SECOND)
    paused = await shared.reserve(
        chat="5001", messages=1, chat_bucket=ONE_A_SECOND, overall=NEVER_PACED
    )
    assert not paused.reserved
    assert paused.wait > 20


async def test_an_album_spends_one_slot_per_photo(shared: SharedBuckets) -> None:
    group = Bucket(20, 60.0)  # 20 a minute
    album = await shared.reserve(chat="-6000", messages=10, chat_bucket=group, overall=NEVER_PACED)
    more = await shared.reserve(chat="-6000", messages=10, chat_bucket=group, overall=NEVER_PACED)
    full = await shared.reserve(chat="-6000", messages=1, chat_bucket=group, overall=NEVER_PACED)
    assert album.reserved
    assert more.reserved
    assert not full.reserved
    assert full.wait > 2
