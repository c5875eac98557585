"""`clio export`: moderators' decisions written out as training data."""

import asyncio
import csv

from click.testing import CliRunner

from bot.cli import main
from tests.bot.conftest import GUILD, make_message


def test_export_false_positives_writes_the_moderators_verdicts(tmp_path):
    database = tmp_path / "clio.sqlite3"
    asyncio.run(_store_one_false_positive(database))
    output = tmp_path / "fp.csv"
    result = CliRunner().invoke(main, ["export", "false-positives", str(output)], env={"CLIO_DATABASE": str(database)})
    assert result.exit_code == 0, result.output
    assert "wrote 1 false positive" in result.output
    assert list(csv.reader(output.open(encoding="utf-8"))) == [
        ["text", "label"],
        ["calling the pact a masterstroke is idiotic", "0"],
    ]


async def _store_one_false_positive(database):
    from bot.store import Store

    async with await Store.open(database) as store:
        await store.db.execute("INSERT INTO guilds(id) VALUES (1)")
        await store.db.execute(
            "INSERT INTO flags(id, guild_id, message_id, channel_id, author_id, flagger, score, reason, created_at)"
            " VALUES (1, 1, 5, 3, 7, 'abuse', 0.9, 'abusive language', 0)"
        )
        await store.db.execute(
            "INSERT INTO false_positives(flag_id, guild_id, flagger, score, author_id, text, moderator_id, created_at)"
            " VALUES (1, 1, 'abuse', 0.9, 7, 'calling the pact a masterstroke is idiotic', 2, 0)"
        )


def test_export_corrections_writes_message_claim_and_label(tmp_path):
    database = tmp_path / "clio.sqlite3"
    asyncio.run(_store_two_corrections(database))
    output = tmp_path / "corrections.csv"
    result = CliRunner().invoke(main, ["export", "corrections", str(output)], env={"CLIO_DATABASE": str(database)})
    assert result.exit_code == 0, result.output
    assert sorted(csv.reader(output.open(encoding="utf-8"))) == sorted(
        [
            ["message", "claim", "label"],
            ["stalin talked to both camps at once", "Stalin played both sides.", "1"],
            ["pizza is great", "Stalin played both sides.", "0"],
        ]
    )


async def _store_two_corrections(database):
    from bot.store import Store

    async with await Store.open(database) as store:
        yes, no = make_message("stalin talked to both camps at once"), make_message("pizza is great")
        await store.messages.upsert([yes, no])
        argument = await store.arguments.add(GUILD, "both-sides", "Stalin played both sides.")
        await store.tags.set_by_moderator(GUILD, yes.id, argument, True, moderator_id=1)
        await store.tags.set_by_moderator(GUILD, no.id, argument, False, moderator_id=1)
