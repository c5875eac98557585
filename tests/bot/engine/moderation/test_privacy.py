"""Forgetting a member and retention: what goes, what is redacted, and what stays."""

import numpy as np
import pytest

from bot.engine import privacy
from bot.engine.matcher_inputs import MatcherInputs
from bot.store.review import FlaggedEdits
from tests.bot.conftest import CHANNEL, GUILD, OTHER_GUILD, make_message
from tests.conftest import required

NOW = 1_760_000_000.0
DAY = 86400.0
ALICE, BOB = 7, 8


async def seed(store, guild_id: int, author_id: int, text: str, created_at: float = NOW, channel_id: int = CHANNEL):
    """A stored, embedded, tagged and scored message with a flag, a false positive, an edit and a case."""
    message = make_message(text, guild_id=guild_id, author_id=author_id, created_at=created_at, channel_id=channel_id)
    await store.messages.upsert([message])
    await store.embeddings.put({message.id: np.ones(4, np.float32)}, "m")
    argument = await store.arguments.by_slug(guild_id, "a") or await store.arguments.get(
        guild_id, await store.arguments.add(guild_id, "a", "a claim")
    )
    await store.tags.replace_model_tags(guild_id, {message.id: [(argument.id, 0.9)]})
    await store.moderation_reports.record_abuse_scores(guild_id, {message.id: 0.4})
    flag_id, _ = await store.flags.record(
        guild_id, message.id, message.channel_id, author_id, "abuse", 0.9, "abusive", quote=text, now=created_at
    )
    await store.false_positives.add(guild_id, [await store.flags.get(guild_id, flag_id)], 1, now=created_at)
    await FlaggedEdits(store.db).put(guild_id, message.id, author_id, text + " (edited)", created_at)
    await store.cases.add_case(guild_id, author_id, "warn", "rude", 1, flag_id, content=text, now=created_at)
    return message


async def snapshot(store, guild_id: int, author_id: int) -> dict:
    def one(sql):
        return store.db.fetchone(sql, (guild_id, author_id))

    messages = "SELECT COUNT(*) FROM messages WHERE guild_id = ? AND author_id = ?"
    return {
        "messages": (await one(messages))[0],
        "embeddings": (
            await one(
                "SELECT COUNT(*) FROM message_embeddings e JOIN messages m ON m.id = e.message_id"
                " WHERE m.guild_id = ? AND m.author_id = ?"
            )
        )[0],
        "tags": (
            await one(
                "SELECT COUNT(*) FROM tags t JOIN messages m ON m.id = t.message_id"
                " WHERE t.guild_id = ? AND m.author_id = ?"
            )
        )[0],
        "scores": (
            await one(
                "SELECT COUNT(*) FROM abuse_scores s JOIN messages m ON m.id = s.message_id"
                " WHERE s.guild_id = ? AND m.author_id = ?"
            )
        )[0],
        "flag quotes": (await one("SELECT COUNT(quote) FROM flags WHERE guild_id = ? AND author_id = ?"))[0],
        "flags": (await one("SELECT COUNT(*) FROM flags WHERE guild_id = ? AND author_id = ?"))[0],
        "case quotes": (await one("SELECT COUNT(content) FROM cases WHERE guild_id = ? AND user_id = ?"))[0],
        "cases": (await one("SELECT COUNT(*) FROM cases WHERE guild_id = ? AND user_id = ?"))[0],
        "fp texts": (await one("SELECT COUNT(text) FROM false_positives WHERE guild_id = ? AND author_id = ?"))[0],
        "edits": (await one("SELECT COUNT(*) FROM flagged_edits WHERE guild_id = ? AND author_id = ?"))[0],
    }


EVERYTHING = {
    "messages": 2,
    "embeddings": 2,
    "tags": 2,
    "scores": 2,
    "flag quotes": 2,
    "flags": 2,
    "case quotes": 2,
    "cases": 2,
    "fp texts": 2,
    "edits": 2,
}
ONLY_THE_RECORD = {**{key: 0 for key in EVERYTHING}, "flags": 2, "cases": 2}


async def test_forgetting_a_member_keeps_only_the_record_of_moderation(store):
    for guild_id, author_id in [(GUILD, ALICE), (GUILD, BOB), (OTHER_GUILD, ALICE)]:
        for n in range(2):
            await seed(store, guild_id, author_id, f"message {n} of {author_id}")

    removed = await privacy.forget_member(store, GUILD, ALICE)
    assert removed == privacy.Removed(messages=2, flag_quotes=2, case_quotes=2, false_positives=2, edits=2)
    assert await snapshot(store, GUILD, ALICE) == ONLY_THE_RECORD
    assert await snapshot(store, GUILD, BOB) == EVERYTHING
    assert await snapshot(store, OTHER_GUILD, ALICE) == EVERYTHING  # another server, another request
    assert await privacy.forget_member(store, GUILD, ALICE) == privacy.Removed()


async def test_retention_per_guild(store):
    await store.settings.set(GUILD, retention_days=30)
    for guild_id in (GUILD, OTHER_GUILD):  # the other guild keeps the default year
        await seed(store, guild_id, ALICE, "old", created_at=NOW - 40 * DAY)
        await seed(store, guild_id, ALICE, "new", created_at=NOW - 10 * DAY)

    removed = await privacy.purge_all(store, now=NOW)
    assert removed == privacy.Removed(messages=1, flag_quotes=1, case_quotes=1, false_positives=1, edits=1)
    after = await snapshot(store, GUILD, ALICE)
    assert (after["messages"], after["embeddings"], after["tags"], after["scores"]) == (1, 1, 1, 1)
    assert (after["flag quotes"], after["case quotes"], after["fp texts"], after["edits"]) == (1, 1, 1, 1)
    assert (after["flags"], after["cases"]) == (2, 2)
    assert await snapshot(store, OTHER_GUILD, ALICE) == EVERYTHING
    assert await privacy.purge_all(store, now=NOW) == privacy.Removed()


SECRET = "zebracorn-7731"  # a marker no other data contains, to look for in the database files


async def test_forgetting_leaves_no_trace_in_the_database_files(store, tmp_path):
    await store.settings.set(GUILD, retention_days=3650)
    mine = [await seed(store, GUILD, ALICE, f"the {SECRET} theory of the pact, part {n}") for n in range(3)]
    theirs = await seed(store, GUILD, BOB, "Bob thinks the pact was defensive")
    await store.messages.upsert([make_message("hi", author_id=ALICE, message_id=mine[0].id + 1000, created_at=NOW)])
    # Discovery copied Alice's words into a candidate; another one only quotes her as a phrasing.
    candidate = await store.arguments.add(
        GUILD,
        "candidate-x",
        mine[0].content,
        origin="discovered",
        status="candidate",
        examples=[mine[1].content, mine[2].content],
        evidence={"message_ids": [m.id for m in mine], "central_message_id": mine[0].id},
    )
    mixed = await store.arguments.add(
        GUILD,
        "candidate-y",
        theirs.content,
        origin="discovered",
        status="active",
        title="Defensive pact",
        examples=[mine[1].content[:20] + "…", "a phrasing of someone else"],
        evidence={"message_ids": [theirs.id, mine[1].id], "example_links": [f"https://x/{GUILD}/1/{mine[1].id}"]},
    )
    await store.notes.record(GUILD, mine[0].channel_id, mixed, mine[0].id, NOW)
    author_row = "SELECT COUNT(*) FROM authors WHERE guild_id = ? AND id = ?"
    assert await store.db.fetchvalue(author_row, (GUILD, ALICE)) == 1

    inputs = MatcherInputs()
    removed = await privacy.forget_member(store, GUILD, ALICE, now=NOW + 60, matcher_inputs=inputs)
    assert (removed.messages, removed.arguments, removed.notes) == (4, 2, 1)
    assert inputs.version(GUILD) == 1  # an approved argument changed: its guild's matcher is rebuilt

    gone = required(await store.arguments.get(GUILD, candidate))
    assert (gone.status, gone.claim, gone.examples) == ("removed", privacy.FORGOTTEN_CLAIM, ())
    assert gone.evidence["message_ids"] == [] and gone.evidence["central_message_id"] is None
    kept = required(await store.arguments.get(GUILD, mixed))
    assert (kept.claim, kept.examples) == (theirs.content, ("a phrasing of someone else",))
    assert kept.evidence == {"message_ids": [theirs.id], "example_links": []}
    assert await store.db.fetchvalue(author_row, (GUILD, ALICE)) == 0
    assert await store.db.fetchvalue(author_row, (GUILD, BOB)) == 1

    await store.db.scrub()
    every_row = [
        repr(tuple(row))
        for table in await store.db.tables()
        for row in await store.db.fetchall(f"SELECT * FROM {table}")
    ]
    assert not any(SECRET in row for row in every_row)
    assert any("Bob thinks the pact" in row for row in every_row)
    if store.db.dialect == "sqlite":  # the bytes on disk too: free pages and the WAL
        files = [p for p in tmp_path.iterdir() if p.name.startswith("clio.sqlite3")]
        assert files and all(SECRET.encode() not in p.read_bytes() for p in files)
        assert b"Bob thinks the pact" in b"".join(p.read_bytes() for p in files)


async def test_a_forgotten_member_stays_forgotten_after_a_backfill(store):
    old = make_message("my old take", author_id=ALICE, created_at=NOW - DAY)
    await store.messages.upsert([old])
    await privacy.forget_member(store, GUILD, ALICE, now=NOW)
    newer = make_message("written after I was forgotten", author_id=ALICE, created_at=NOW + DAY)
    elsewhere = make_message("another server", guild_id=OTHER_GUILD, author_id=ALICE, created_at=NOW - DAY)
    changed = await store.messages.upsert([old, newer, elsewhere])  # a backfill re-reads history
    assert sorted(changed) == sorted([newer.id, elsewhere.id])
    assert await store.messages.get(GUILD, [old.id]) == {}


async def test_a_forget_that_fails_midway_forgets_nothing(store, monkeypatch):
    await seed(store, GUILD, ALICE, "my words")
    before = await snapshot(store, GUILD, ALICE)

    async def crash(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(store.cases, "redact_user", crash)  # runs after her messages are deleted
    with pytest.raises(OSError):
        await privacy.forget_member(store, GUILD, ALICE, now=NOW + 60)
    assert await snapshot(store, GUILD, ALICE) == before


async def test_a_server_clio_left_is_purged_after_the_grace_period_unless_it_came_back(store):
    from bot.store.backfill import BackfillCursor

    came_back = OTHER_GUILD + 1
    for guild_id in (GUILD, OTHER_GUILD, came_back):
        channel_id = guild_id * 10  # channel ids are global in Discord: each server has its own
        await seed(store, guild_id, ALICE, f"said in {guild_id}", channel_id=channel_id)
        await store.settings.set(guild_id, watched_channels=[channel_id])
        await store.backfill.save(guild_id, channel_id, BackfillCursor(5, 9, True))
        await store.schedules.add(guild_id, 55, "09:00")
    await store.guilds.mark_left(GUILD, NOW - 31 * DAY)
    await store.guilds.mark_left(OTHER_GUILD, NOW - 10 * DAY)  # still within the grace period
    await store.guilds.mark_left(came_back, NOW - 40 * DAY)
    await store.guilds.mark_present(came_back)

    assert await privacy.purge_departed(store, NOW) == [GUILD]
    left_behind = {}
    for table in await store.db.tables():
        if "guild_id" in await store.db.columns(table):
            count = required(await store.db.fetchone(f"SELECT COUNT(*) FROM {table} WHERE guild_id = ?", (GUILD,)))[0]
            if count:
                left_behind[table] = count
    assert left_behind == {}
    assert required(await store.db.fetchone("SELECT COUNT(*) FROM guilds WHERE id = ?", (GUILD,)))[0] == 0
    embeddings = required(await store.db.fetchone("SELECT COUNT(*) FROM message_embeddings"))[0]
    assert embeddings == 2  # the other two servers' messages are untouched
    assert await privacy.purge_departed(store, NOW + 21 * DAY) == [OTHER_GUILD]
