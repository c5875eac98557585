"""`clio db upgrade` and `clio db copy`, between a real SQLite file and the real PostgreSQL."""

from __future__ import annotations

import asyncio

import numpy as np
from click.testing import CliRunner

from bot.cli import main
from bot.store import Store
from bot.store.copy import row_counts
from bot.store.database import Database, bundled_migrations
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message
from tests.conftest import postgres_schema


async def clio(*args: str, env: dict | None = None):
    """Run the CLI in a thread: each command runs its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env or {})


async def seed(url: str) -> None:
    async with await Store.open(url) as store:
        messages = [make_message(f"message {n}", guild_id=GUILD if n % 2 else OTHER_GUILD) for n in range(40)]
        await store.messages.upsert(messages)
        await store.embeddings.put({m.id: np.full(4, n, dtype=np.float32) for n, m in enumerate(messages)}, "model")
        older = await store.arguments.add(GUILD, "older", "a claim")
        newer = await store.arguments.add(GUILD, "newer", "a newer claim")
        await store.arguments.update(GUILD, older, status="merged", merged_into=newer)  # points forward
        await store.tags.replace_model_tags(GUILD, {messages[1].id: [(older, 0.9)], messages[3].id: [(newer, 0.8)]})
        flag_id, _ = await store.flags.record(GUILD, messages[1].id, 1, 7, "abuse", 0.9, "abusive", quote="q")
        await store.cases.add_case(GUILD, user_id=7, action="warn", flag_id=flag_id)


async def dump(url: str) -> dict[str, list[tuple]]:
    async with await Database.open(url) as db:
        return {
            table: sorted(tuple(row) for row in await db.fetchall(f"SELECT * FROM {table}"))
            for table in await db.tables()
            if table != "schema_migrations"
        }


async def test_copy_moves_a_store_to_postgresql_and_back_row_for_row(tmp_path):
    sqlite_url, back_url = str(tmp_path / "clio.sqlite3"), str(tmp_path / "back.sqlite3")
    await seed(sqlite_url)
    async with postgres_schema() as postgres_url:
        result = await clio("db", "copy", sqlite_url, postgres_url)
        assert result.exit_code == 0, result.output
        assert "row counts verified" in result.output
        async with await Database.open(postgres_url) as db:
            assert (await row_counts(db))["messages"] == 40

        # New rows continue after the copied ids, and the moved store works as a store.
        async with await Store.open(postgres_url) as store:
            third = await store.arguments.add(GUILD, "third", "another claim")
            assert third > max(
                a.id for a in await store.arguments.list(GUILD, ("active", "merged")) if a.slug != "third"
            )
            assert (await store.cases.add_case(GUILD, user_id=8, action="warn")).number == 2
            ids = [message_id for message_id, _ in await store.messages.texts(GUILD)]
            vectors = await store.embeddings.get(GUILD, ids, "model")
            assert len(vectors) == 20 and all(vector.shape == (4,) for vector in vectors.values())

        again = await clio("db", "copy", sqlite_url, postgres_url)
        assert again.exit_code == 1 and "the destination is not empty" in again.output

        back = await clio("db", "copy", postgres_url, back_url)
        assert back.exit_code == 0, back.output
    original, returned = await dump(sqlite_url), await dump(back_url)
    assert returned.pop("arguments") != original.pop("arguments")  # "third" came along
    assert returned.pop("cases") != original.pop("cases")
    assert returned == original


async def test_upgrade_reports_what_it_applied(tmp_path):
    url = str(tmp_path / "clio.sqlite3")
    latest = len(bundled_migrations())
    first = await clio("db", "upgrade", "--database", url)
    assert first.exit_code == 0 and f"schema 0 -> {latest}" in first.output, first.output
    second = await clio("db", "upgrade", env={"CLIO_DATABASE": url})
    assert second.exit_code == 0 and f"schema {latest}, up to date" in second.output, second.output


async def test_an_unreachable_server_is_one_line():
    result = await clio("db", "upgrade", "--database", "postgresql://clio:secret@127.0.0.1:1/clio")
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot open the PostgreSQL database postgresql://clio:***@127.0.0.1:1/clio")
    assert "secret" not in result.output and "Traceback" not in result.output
