"""``clio run`` through run_bot: clear exit codes for a bad set-up, and a graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bot.adapter.client import EXIT_BAD_TOKEN, EXIT_NO_INTENT, EXIT_NO_TOKEN, EXIT_OK, run_bot_async
from bot.core.config import Settings
from bot.store import Store

pytestmark = pytest.mark.slow


def _settings(clio, token: str | None) -> Settings:
    return Settings(
        database=clio.database,
        discord_api=clio.fake.api_url,
        discord_gateway=clio.fake.gateway_url,
        # The field's validation_alias: pyright's synthesized pydantic signature knows only the field name.
        DISCORD_TOKEN=token,  # pyright: ignore[reportCallIssue]
    )


async def test_missing_token_exits_2_with_one_line(clio_world, capsys):
    assert await run_bot_async(_settings(clio_world, None), handle_signals=False) == EXIT_NO_TOKEN
    assert capsys.readouterr().err.strip() == (
        "clio: error: DISCORD_TOKEN is not set. Put the bot token in the environment or in .env."
    )


async def test_rejected_token_exits_3(clio_world, capsys):
    assert await run_bot_async(_settings(clio_world, "not-the-token"), handle_signals=False) == EXIT_BAD_TOKEN
    err = capsys.readouterr().err
    assert "Discord rejected DISCORD_TOKEN" in err and "Traceback" not in err


async def test_missing_message_content_intent_exits_4(clio_world, capsys):
    clio_world.fake.allow_message_content = False  # the portal switch is off: IDENTIFY is closed with 4014
    code = await run_bot_async(_settings(clio_world, clio_world.fake.token), handle_signals=False)
    assert code == EXIT_NO_INTENT
    err = capsys.readouterr().err
    assert "Message Content intent is not enabled" in err and err.count("\n") == 1


async def test_sigterm_stops_gracefully_and_writes_pending_messages(clio_world):
    fake = clio_world.fake
    running = asyncio.create_task(run_bot_async(_settings(clio_world, fake.token)))
    await fake.wait_for_event("GUILD_CREATE", timeout=30)
    sent = await clio_world.say("alice", "said just before the bot was stopped")
    await asyncio.sleep(0.05)  # received, but still waiting in the ingest batch window
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(running, 30) == EXIT_OK
    async with await Store.open(clio_world.database) as store:
        assert await store.messages.get(int(clio_world.guild_id), [int(sent["id"])])


async def test_commands_are_synced_only_when_they_changed(clio_world):
    def syncs() -> int:
        return sum(1 for r in clio_world.fake.requests if r.method == "PUT" and r.path.endswith("/commands"))

    await clio_world.start()
    assert syncs() == 1  # a new database: the tree was never synced
    await clio_world.restart()
    assert syncs() == 1  # the same tree: nothing to sync
    async with clio_world.bot.engine.store.db.transaction() as conn:
        await conn.execute("UPDATE app_state SET value = 'an older tree' WHERE key LIKE 'command_tree:%'")
    await clio_world.restart()
    assert syncs() == 2
