"""`clio export`: moderators' decisions written out as training data."""

import asyncio
import csv

from click.testing import CliRunner

from bot.cli import main
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message


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


def test_export_corrections_takes_a_guild_by_name_and_names_an_unknown_one(tmp_path):
    database = tmp_path / "clio.sqlite3"
    asyncio.run(_store_two_corrections(database))
    env = {"CLIO_DATABASE": str(database)}
    unknown = CliRunner().invoke(
        main, ["export", "corrections", str(tmp_path / "c.csv"), "--guild", "nowhere"], env=env
    )
    assert unknown.exit_code != 0 and "'nowhere' is no stored guild" in unknown.output


async def _store_two_corrections(database):
    from bot.store import Store

    async with await Store.open(database) as store:
        yes, no = make_message("stalin talked to both camps at once"), make_message("pizza is great")
        await store.messages.upsert([yes, no])
        argument = await store.arguments.add(GUILD, "both-sides", "Stalin played both sides.")
        await store.tags.set_by_moderator(GUILD, yes.id, argument, True, moderator_id=1)
        await store.tags.set_by_moderator(GUILD, no.id, argument, False, moderator_id=1)


def test_export_server_writes_the_servers_files_and_a_valid_pack(tmp_path):
    database = tmp_path / "clio.sqlite3"
    asyncio.run(_store_two_servers(database))
    output = tmp_path / "export"
    env = {"CLIO_DATABASE": str(database)}

    result = CliRunner().invoke(main, ["export", "server", str(output), "--guild", f"guild{GUILD}"], env=env)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"wrote {output / 'cases.csv'} (cases: 1)",
        f"wrote {output / 'cases.json'} (cases: 1)",
        f"wrote {output / 'digests.csv'} (digests: 0)",
        f"wrote {output / 'digests.json'} (digests: 0)",
        f"wrote {output / 'arguments.pack.yaml'} (arguments: 1)",
    ]
    assert "left out of the pack: stub: examples: needs 3-60 phrasings, got 1" in result.stderr
    validated = CliRunner().invoke(main, ["pack", "validate", str(output / "arguments.pack.yaml")], env=env)
    assert validated.exit_code == 0, validated.output
    assert f"ok: pack server-{GUILD} v1, 1 arguments, 3 phrasings, 1 sources" in validated.output
    assert [row["reason"] for row in csv.DictReader((output / "cases.csv").open(encoding="utf-8"))] == ["spamming"]


def test_export_server_names_an_unknown_guild(tmp_path):
    database = tmp_path / "clio.sqlite3"
    asyncio.run(_store_two_servers(database))
    output = tmp_path / "export"

    result = CliRunner().invoke(
        main, ["export", "server", str(output), "--guild", "nowhere"], env={"CLIO_DATABASE": str(database)}
    )

    assert result.exit_code != 0
    assert "'nowhere' is no stored guild; stored guilds: " in result.output
    assert not output.exists()


def test_export_server_says_when_it_cannot_write_the_folder(tmp_path):
    database = tmp_path / "clio.sqlite3"
    asyncio.run(_store_two_servers(database))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = CliRunner().invoke(
        main, ["export", "server", str(blocker / "export"), "--guild", str(GUILD)], env={"CLIO_DATABASE": str(database)}
    )

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cannot write {blocker / 'export' / 'cases.csv'}: Not a directory"
    ]


async def _store_two_servers(database):
    from bot.store import Store

    async with await Store.open(database) as store:
        await store.messages.upsert([make_message("hi", guild_id=GUILD), make_message("hi", guild_id=OTHER_GUILD)])
        await store.arguments.add(
            GUILD,
            "requisitions",
            "Grain requisitions caused the famine.",
            examples=["they took the seed grain", "quotas starved the villages", "no grain left"],
            sources=[{"author": "R. W. Davies", "title": "The Years of Hunger", "role": "supports"}],
        )
        await store.arguments.add(GUILD, "stub", "One phrasing only.", examples=["just one"])
        await store.cases.add_case(GUILD, 7, "warn", "spamming", moderator_id=9)
        await store.cases.add_case(OTHER_GUILD, 7, "ban", "other server's reason", moderator_id=9)
