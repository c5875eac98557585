"""``clio digest`` on a seeded database, with the engine reduced to the store and its cached vectors."""

import asyncio
import json
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

import bot.cli.digest as digest_cli
from bot.cli import main
from bot.store import Store
from tests.bot.conftest import CHANNEL, GUILD, OTHER_GUILD
from tests.bot.engine.digest.conftest import DAY, SINCE, StoreVectors, seed

SINCE_DATE = datetime.fromtimestamp(SINCE, UTC).date().isoformat()


async def _seed(path, guilds):
    async with await Store.open(path) as store:
        for guild_id in guilds:
            argument = await store.arguments.add(guild_id, "lipetsk", "The USSR trained the Wehrmacht.")
            channel = CHANNEL if guild_id == GUILD else CHANNEL + guild_id
            await seed(
                store,
                [
                    ("@everyone lipetsk!", [argument], {"author_id": 1, "channel_id": channel}),
                    ("kazan too", [argument], {"author_id": 2, "channel_id": channel, "created_at": SINCE + DAY}),
                ],
                guild_id=guild_id,
            )


@pytest.fixture
def run(tmp_path, monkeypatch):
    path = tmp_path / "clio.sqlite3"

    @asynccontextmanager
    async def fake_engine():
        async with await Store.open(path) as store:
            yield SimpleNamespace(store=store, tagging=StoreVectors(store))

    monkeypatch.setattr(digest_cli, "open_engine", fake_engine)

    seeded: set[int] = set()

    def invoke(*args, guilds=(GUILD,)):
        asyncio.run(_seed(path, set(guilds) - seeded))
        seeded.update(guilds)
        return CliRunner().invoke(main, ["digest", *args])

    return invoke


def test_markdown_for_the_only_guild(run):
    result = run("--since", SINCE_DATE, "--until", SINCE_DATE)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"# Digest: guild{GUILD}\n")
    assert "**1 message** by **1 author**" in result.output
    assert "@everyone" not in result.output


def test_json_for_a_guild_and_channel_by_name(run):
    result = run(
        "--guild",
        f"guild{GUILD}",
        "--channel",
        f"#channel{CHANNEL}",
        "--since",
        SINCE_DATE,
        "--until",
        "2099-01-01",
        "--format",
        "json",
        guilds=(GUILD, OTHER_GUILD),
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert (payload["guild_id"], payload["channel_id"], payload["total_messages"]) == (GUILD, CHANNEL, 2)
    assert payload["arguments"][0]["count"] == 2


def test_embeds_format(run):
    result = run("--since", SINCE_DATE, "--until", "2099-01-01", "--format", "embeds")
    assert result.exit_code == 0, result.output
    [[_header, argument]] = json.loads(result.output)
    assert argument["title"] == "The USSR trained the Wehrmacht."


def test_several_guilds_need_a_choice(run):
    result = run("--since", SINCE_DATE, guilds=(GUILD, OTHER_GUILD))
    assert result.exit_code != 0
    assert f"guild{GUILD} ({GUILD})" in result.output and f"guild{OTHER_GUILD} ({OTHER_GUILD})" in result.output


def test_unknown_guild_and_channel_are_clear_errors(run):
    result = run("--guild", "nowhere")
    assert result.exit_code != 0 and "stored guilds" in result.output
    result = run("--channel", "nowhere")
    assert result.exit_code != 0 and f"channel{CHANNEL} ({CHANNEL})" in result.output


def test_bad_window(run):
    assert "--since" in run("--since", "yesterday-ish").output
    assert run("--since", "2026-10-14", "--until", "2026-10-01").exit_code != 0
