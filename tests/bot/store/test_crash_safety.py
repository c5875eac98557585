"""A process killed in the middle of a write loses only the batch it was writing."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

from bot.store import Store
from tests.conftest import required

WRITER = textwrap.dedent("""
    import asyncio, os, signal, sys
    from bot.core.records import IncomingMessage
    from bot.store import Store

    def batch(first, n):
        return [IncomingMessage(id=first + i, guild_id=1, channel_id=10, author_id=5, created_at=1.0 + i,
                                content=f"message {first + i}") for i in range(n)]

    async def main(path):
        store = await Store.open(path)
        await store.messages.upsert(batch(1000, 50))
        async with store.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO messages(id, guild_id, channel_id, author_id, created_at, content) VALUES (?,?,?,?,?,?)",
                [(m.id, 1, 10, 5, m.created_at, m.content) for m in batch(5000, 500)],
            )
            os.kill(os.getpid(), signal.SIGKILL)  # dies holding an open transaction

    asyncio.run(main(sys.argv[1]))
""")


def test_killed_writer_leaves_the_committed_batches_and_nothing_else(tmp_path):
    path = tmp_path / "clio.sqlite3"
    process = subprocess.run([sys.executable, "-c", WRITER, str(path)], cwd=os.getcwd(), timeout=60)
    assert process.returncode == -signal.SIGKILL

    async def check():
        store = await Store.open(path)
        try:
            assert required(await store.db.fetchone("PRAGMA integrity_check"))[0] == "ok"
            ids = [row[0] for row in await store.db.fetchall("SELECT id FROM messages ORDER BY id")]
            assert ids == list(range(1000, 1050))
        finally:
            await store.close()

    asyncio.run(check())
