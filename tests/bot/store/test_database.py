"""The database layer on both backends: migrations, units of work, committed reads, errors."""

import asyncio

import pytest

from bot.store.database import Database, DatabaseUnavailable, IntegrityError, Migration, bundled_migrations, redacted
from bot.store.postgres import numbered_placeholders, postgres_ddl
from tests.conftest import postgres_schema, required


@pytest.fixture
async def db(database_url):
    opened = await Database.open(database_url)
    yield opened
    await opened.close()


async def test_a_sqlite_database_is_wal_with_foreign_keys(tmp_path):
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        assert required(await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert required(await db.fetchone("PRAGMA foreign_keys"))[0] == 1


async def test_a_fresh_database_has_the_latest_schema_and_reopening_applies_nothing(db):
    assert await db.schema_version() == len(bundled_migrations())
    async with await Database.open(db.url) as again:
        assert await again.migrate(bundled_migrations()) == []
    rows = await db.fetchall("SELECT version FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == list(range(1, len(bundled_migrations()) + 1))
    assert {"messages", "tags", "arguments", "cases"} <= set(await db.tables())


async def test_a_failing_migration_leaves_the_previous_version_intact(database_url):
    good = Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "0002_b.sql", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);")
    async with await Database.open(database_url, migrations=[good]) as db:
        with pytest.raises(Exception, match="nowhere"):
            await db.migrate([good, bad])
        assert await db.schema_version() == 1
        assert "b" not in await db.tables()


async def test_processes_migrating_at_once_apply_each_migration_once(database_url):
    opened = await asyncio.gather(*(Database.open(database_url) for _ in range(3)))
    try:
        versions = await opened[0].fetchall("SELECT version FROM schema_migrations")
        assert sorted(r[0] for r in versions) == list(range(1, len(bundled_migrations()) + 1))
    finally:
        for db in opened:
            await db.close()


async def test_a_unit_of_work_commits_everything_or_nothing(db):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO guilds(id, name) VALUES (1, 'x')")
            async with db.transaction() as inner:  # joins the outer one
                await inner.execute("INSERT INTO guilds(id, name) VALUES (2, 'y')")
            assert await db.fetchvalue("SELECT COUNT(*) FROM guilds") == 2  # its own writes, inside
            raise RuntimeError("boom")
    assert await db.fetchvalue("SELECT COUNT(*) FROM guilds") == 0


async def test_other_tasks_never_read_uncommitted_writes(db):
    written, checked = asyncio.Event(), asyncio.Event()
    seen: list[int] = []

    async def writer() -> None:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO guilds(id, name) VALUES (1, 'rolled back')")
                written.set()
                await checked.wait()
                raise RuntimeError("rolled back")

    async def reader() -> None:
        await written.wait()
        seen.append(await db.fetchvalue("SELECT COUNT(*) FROM guilds"))
        checked.set()

    await asyncio.wait_for(asyncio.gather(writer(), reader()), 10)
    assert seen == [0]
    assert await db.fetchvalue("SELECT COUNT(*) FROM guilds") == 0


async def test_a_task_started_inside_a_unit_of_work_does_not_join_it(db):
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds(id, name) VALUES (1, 'x')")
        count = asyncio.create_task(db.fetchvalue("SELECT COUNT(*) FROM guilds"))
        assert await count == 0
    assert await db.fetchvalue("SELECT COUNT(*) FROM guilds") == 1


async def test_constraint_violations_raise_one_error_type_on_both_backends(db):
    await db.execute("INSERT INTO guilds(id, name) VALUES (1, 'x')")
    with pytest.raises(IntegrityError):
        await db.execute("INSERT INTO guilds(id, name) VALUES (1, 'again')")
    with pytest.raises(IntegrityError):
        await db.execute("INSERT INTO channels(id, guild_id) VALUES (5, 404)")  # no such guild


async def test_rowcounts_and_returning_ids(db):
    await db.execute("INSERT INTO guilds(id) VALUES (1), (2), (3)")
    assert await db.execute("UPDATE guilds SET name = 'n' WHERE id >= ?", (2,)) == 2
    async with db.transaction() as conn:
        first = await conn.fetchvalue(
            "INSERT INTO schedules(guild_id, target_channel_id, cron, created_at) VALUES (1, 9, '09:00', 0) RETURNING id"
        )
        second = await conn.fetchvalue(
            "INSERT INTO schedules(guild_id, target_channel_id, cron, created_at) VALUES (1, 9, '10:00', 0) RETURNING id"
        )
    assert second == first + 1
    assert await db.execute("DELETE FROM guilds WHERE id = ?", (404,)) == 0


async def test_snowflakes_and_times_keep_their_precision(db):
    snowflake, moment = 1_234_567_890_123_456_789, 1_764_000_000.123456
    await db.execute("INSERT INTO guilds(id) VALUES (?)", (snowflake,))
    await db.execute(
        "INSERT INTO schedules(guild_id, target_channel_id, cron, created_at) VALUES (?, ?, '09:00', ?)",
        (snowflake, snowflake, moment),
    )
    row = required(await db.fetchone("SELECT guild_id, target_channel_id, created_at FROM schedules"))
    assert (row[0], row[1], row[2]) == (snowflake, snowflake, moment)


async def test_an_unreachable_database_is_one_clear_error(tmp_path):
    with pytest.raises(DatabaseUnavailable, match="cannot open the PostgreSQL database postgresql://clio:\\*\\*\\*@"):
        await Database.open("postgresql://clio:secret@127.0.0.1:1/clio")
    (tmp_path / "file").write_text("")
    with pytest.raises(DatabaseUnavailable, match="cannot open the SQLite database"):
        await Database.open(tmp_path / "file" / "clio.sqlite3")
    with pytest.raises(ValueError, match="unsupported database URL"):
        await Database.open("mysql://localhost/clio")


async def test_a_url_may_name_its_own_schema():
    async with postgres_schema() as url, await Database.open(url) as db:
        assert url.endswith(required(await db.fetchvalue("SELECT current_schema()")))
        assert await db.schema_version() == len(bundled_migrations())


def test_placeholders_are_numbered_outside_literals_and_comments():
    sql = "SELECT '?', \"a?\" FROM t WHERE x = ? AND y = 'it''s ?' -- why?\n AND z IN (?, ?)"
    assert numbered_placeholders(sql) == (
        "SELECT '?', \"a?\" FROM t WHERE x = $1 AND y = 'it''s ?' -- why?\n AND z IN ($2, $3)"
    )


def test_migrations_get_postgres_types_for_snowflakes_times_and_vectors():
    ddl = postgres_ddl("id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, v BLOB, n INTEGER")
    assert ddl == (
        "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at DOUBLE PRECISION NOT NULL, v BYTEA, n BIGINT"
    )


def test_passwords_are_redacted_from_urls():
    assert redacted("postgresql://clio:hunter2@db/clio") == "postgresql://clio:***@db/clio"
    assert redacted("postgresql://clio@db/clio") == "postgresql://clio@db/clio"


def test_migration_files_are_numbered_without_gaps():
    versions = [m.version for m in bundled_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_upgrading_gives_existing_tags_their_message_time_and_channel(database_url):
    before = [m for m in bundled_migrations() if m.name < "0008"]
    async with await Database.open(database_url, migrations=before) as db:
        await db.execute("INSERT INTO guilds(id) VALUES (1)")
        await db.execute("INSERT INTO channels(id, guild_id) VALUES (5, 1)")
        await db.execute("INSERT INTO authors(guild_id, id) VALUES (1, 7)")
        await db.execute(
            "INSERT INTO messages(id, guild_id, channel_id, author_id, created_at, content) VALUES (9, 1, 5, 7, 123.5, 'x')"
        )
        await db.execute(
            "INSERT INTO arguments(id, guild_id, slug, origin, claim, created_at, updated_at)"
            " VALUES (3, 1, 'a', 'moderator', 'c', 0, 0)"
        )
        await db.execute(
            "INSERT INTO tags(message_id, argument_id, guild_id, score, source, created_at) VALUES (9, 3, 1, 0.9, 'model', 0)"
        )
        assert await db.migrate(bundled_migrations()) == [m.version for m in bundled_migrations()][len(before) :]
        assert tuple(required(await db.fetchone("SELECT message_at, channel_id FROM tags"))) == (123.5, 5)
