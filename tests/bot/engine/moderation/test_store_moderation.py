"""FlagStore and CaseStore over real SQLite and PostgreSQL: idempotence, races, numbering and redaction."""

import asyncio
from typing import Any

import pytest

from bot.store.database import Database
from bot.store.moderation import ACTIONED, DISMISSED, OPEN, CaseStore, FlagStore
from tests.conftest import required

from .conftest import GUILD, OTHER_GUILD

DAY = 86400.0


@pytest.fixture
async def db(database_url):
    opened = await Database.open(database_url)
    yield opened
    await opened.close()


async def record(flags: FlagStore, message_id: int = 500, flagger: str = "abuse", guild_id: int = GUILD, **extra):
    values: dict[str, Any] = (
        dict(channel_id=9, author_id=7, score=0.9, reason="abusive language", quote="you idiot") | extra
    )
    return await flags.record(guild_id, message_id, flagger=flagger, **values)


async def test_recording_a_flag_is_idempotent_per_message_and_flagger(db):
    flags = FlagStore(db)
    first, created = await record(flags)
    again, created_again = await record(flags, score=0.1)
    other, _ = await record(flags, flagger="spam")
    assert created and not created_again and first == again != other
    stored = required(await flags.get(GUILD, first))
    assert stored.score == 0.9 and stored.status == OPEN and stored.quote == "you idiot"


async def test_flags_are_guild_scoped(db):
    flags = FlagStore(db)
    flag_id, _ = await record(flags)
    assert await flags.get(OTHER_GUILD, flag_id) is None
    assert not await flags.decide(OTHER_GUILD, flag_id, DISMISSED, moderator_id=1)
    assert required(await flags.get(GUILD, flag_id)).status == OPEN


async def test_decide_is_compare_and_set(db):
    flags = FlagStore(db)
    flag_id, _ = await record(flags)
    assert await flags.decide(GUILD, flag_id, ACTIONED, moderator_id=1, now=123.0)
    assert not await flags.decide(GUILD, flag_id, DISMISSED, moderator_id=2)
    stored = required(await flags.get(GUILD, flag_id))
    assert (stored.status, stored.decided_by, stored.decided_at) == (ACTIONED, 1, 123.0)
    with pytest.raises(ValueError):
        await flags.decide(GUILD, flag_id, "banana", moderator_id=1, expected_status=ACTIONED)


async def test_concurrent_decisions_only_one_wins(db):
    flags = FlagStore(db)
    flag_id, _ = await record(flags)
    # A second connection, as a second process would have.
    other_db = await Database.open(db.url)
    try:
        stores = [flags, FlagStore(other_db)] * 5
        outcomes = await asyncio.gather(
            *(
                store.decide(GUILD, flag_id, DISMISSED if i % 2 else ACTIONED, moderator_id=i)
                for i, store in enumerate(stores)
            )
        )
    finally:
        await other_db.close()
    assert outcomes.count(True) == 1
    winner = outcomes.index(True)
    assert required(await flags.get(GUILD, flag_id)).decided_by == winner


async def test_open_queue_oldest_first_and_queue_message_lookup(db):
    flags = FlagStore(db)
    late, _ = await record(flags, message_id=2, now=200.0)
    early, _ = await record(flags, message_id=1, now=100.0)
    decided, _ = await record(flags, message_id=3, now=50.0)
    await flags.decide(GUILD, decided, DISMISSED, moderator_id=1)
    assert [f.id for f in await flags.list_open(GUILD)] == [early, late]
    await flags.set_queue_message(GUILD, early, 9999)
    assert required(await flags.by_queue_message(GUILD, 9999)).id == early


async def test_redaction_of_a_message_and_of_an_author(db):
    flags = FlagStore(db)
    await record(flags, message_id=1, author_id=7)
    await record(flags, message_id=1, author_id=7, flagger="spam")
    await record(flags, message_id=2, author_id=7)
    await record(flags, message_id=3, author_id=8)
    assert await flags.redact_message(GUILD, 1) == 2
    assert [f.quote for f in await flags.for_message(GUILD, 1)] == [None, None]
    assert await flags.redact_author(GUILD, 7) == 1
    assert (await flags.for_message(GUILD, 3))[0].quote == "you idiot"
    assert (await flags.for_message(GUILD, 1))[0].reason == "abusive language"  # the record stays


async def test_case_numbers_count_per_guild(db):
    cases = CaseStore(db)
    numbers = [
        (await cases.add_case(guild, user_id=5, action="warn")).number
        for guild in (GUILD, GUILD, OTHER_GUILD, GUILD, OTHER_GUILD)
    ]
    assert numbers == [1, 2, 1, 3, 2]


async def test_concurrent_cases_get_distinct_numbers(db):
    other_db = await Database.open(db.url)
    try:
        stores = [CaseStore(db), CaseStore(other_db)] * 10
        added = await asyncio.gather(
            *(store.add_case(GUILD, user_id=i, action="note") for i, store in enumerate(stores))
        )
    finally:
        await other_db.close()
    assert sorted(case.number for case in added) == list(range(1, 21))


async def test_case_reads_reason_and_history(db):
    cases = CaseStore(db)
    flag_id, _ = await record(FlagStore(db))
    first = await cases.add_case(
        GUILD, 5, "warn", reason="insult", moderator_id=1, flag_id=flag_id, content="you idiot", now=1000.0
    )
    await cases.add_case(GUILD, 6, "timeout", now=2000.0)
    await cases.add_case(GUILD, 5, "warn", now=3000.0)
    assert (await cases.get(GUILD, first.number)) == first
    assert await cases.get(OTHER_GUILD, first.number) is None
    assert await cases.set_reason(GUILD, first.number, "insult in #ww2-debate")
    assert not await cases.set_reason(GUILD, 99, "nothing")
    assert required(await cases.get(GUILD, 1)).reason == "insult in #ww2-debate"
    assert [c.number for c in await cases.for_user(GUILD, 5)] == [3, 1]
    assert [c.number for c in await cases.recent(GUILD, limit=2)] == [3, 2]


async def test_count_recent_warnings(db):
    cases = CaseStore(db)
    now = 100 * DAY
    for days_ago, action in [(1, "warn"), (10, "warn"), (40, "warn"), (2, "timeout")]:
        await cases.add_case(GUILD, 5, action, now=now - days_ago * DAY)
    await cases.add_case(GUILD, 6, "warn", now=now)
    await cases.add_case(OTHER_GUILD, 5, "warn", now=now)
    assert await cases.count_recent_warnings(GUILD, 5, days=30, now=now) == 2


async def test_redact_user_keeps_the_record(db):
    cases = CaseStore(db)
    await cases.add_case(GUILD, 5, "warn", reason="insult", content="you idiot")
    await cases.add_case(GUILD, 6, "warn", content="other text")
    assert await cases.redact_user(GUILD, 5) == 1
    redacted = required(await cases.get(GUILD, 1))
    assert redacted.content is None and redacted.reason == "insult"
    assert required(await cases.get(GUILD, 2)).content == "other text"
