import sqlite3

import pytest

from bot.store.database import Database, Migration, bundled_migrations
from tests.conftest import required


async def test_fresh_database_is_wal_with_foreign_keys_and_latest_schema(tmp_path):
    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        assert required(await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert required(await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert await db.schema_version() == len(bundled_migrations())
    finally:
        await db.close()


async def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "a.sqlite3"
    await (await Database.open(path)).close()
    db = await Database.open(path)
    try:
        assert await db.migrate(bundled_migrations()) == []
        rows = await db.fetchall("SELECT version FROM schema_migrations")
        assert [r[0] for r in rows] == list(range(1, len(bundled_migrations()) + 1))
    finally:
        await db.close()


async def test_a_failing_migration_leaves_the_previous_version_intact(tmp_path):
    good = Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "0002_b.sql", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);")
    db = await Database.open(tmp_path / "m.sqlite3", migrations=[good])
    try:
        with pytest.raises(sqlite3.OperationalError):
            await db.migrate([good, bad])
        assert await db.schema_version() == 1
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "b" not in tables
    finally:
        await db.close()


async def test_transaction_rolls_back_on_error(tmp_path):
    db = await Database.open(tmp_path / "t.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO guilds(id, name) VALUES (1, 'x')")
                raise RuntimeError("boom")
        assert required(await db.fetchone("SELECT COUNT(*) FROM guilds"))[0] == 0
    finally:
        await db.close()


def test_migration_files_are_numbered_without_gaps():
    versions = [m.version for m in bundled_migrations()]
    assert versions == list(range(1, len(versions) + 1))
