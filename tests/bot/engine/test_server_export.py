"""Exporting a server: its own arguments as a pack the project's validator accepts, its cases and digests
as CSV and JSON, redacted quotes still redacted, and nothing of another server."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.core.config import get_settings
from bot.engine.catalogue import check_packs, load_pack
from bot.engine.packs import PackService
from bot.engine.privacy import forget_member
from bot.engine.server_export import (
    ARGUMENTS_FILE,
    CASES_CSV,
    CASES_JSON,
    DIGESTS_CSV,
    DIGESTS_JSON,
    export_server,
    server_pack,
)
from bot.store.digests import POSTED
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message

CATALOGUE = get_settings().catalogue_dir
COLD_WAR = load_pack(CATALOGUE / "cold_war.yaml")
CATALOGUE_ID = COLD_WAR.arguments[0].id
NOW = 1_760_000_000.0  # 2025-10-09T08:53:20Z
OTHER_MARKER = "other-server"

GRAIN_SOURCES = [
    {"author": "R. W. Davies", "title": "The Years of Hunger", "role": "supports", "year": 2004},
    {"author": "Mark Tauger", "title": "The 1932 Harvest", "role": "rebuts", "url": "https://example.org/tauger"},
]


async def _seed_arguments(store) -> None:
    await PackService(store, [COLD_WAR]).sync_guild(GUILD)
    edited = await store.arguments.by_slug(GUILD, COLD_WAR.arguments[1].id)
    await store.arguments.update(GUILD, edited.id, claim="A moderator's own wording of a catalogue claim.")
    await store.arguments.add(
        GUILD,
        "grain-requisitions",
        "Soviet grain requisitions caused the 1932 famine.",
        title="Requisitions caused the famine",
        examples=[
            "they took the seed grain",
            "THEY TOOK THE SEED GRAIN",
            "quotas starved the villages",
            "no grain left",
        ],
        counters=[CATALOGUE_ID, "stub", "lend-lease"],
        sources=GRAIN_SOURCES,
        policy="flag",
    )
    await store.arguments.add(
        GUILD,
        "lend-lease",
        "Lend-Lease supplies\n  kept the Red Army moving in 1943.",
        origin="discovered",
        examples=["studebakers won the war", "lend lease trucks everywhere", "spam fed the red army"],
        sources=[{"author": "Albert Weeks", "title": "Russia's Life-Saver", "role": "supports"}],
        counters=["grain-requisitions"],
    )
    await store.arguments.add(GUILD, "stub", "A claim with one phrasing and no source.", examples=["just one"])
    await store.arguments.add(
        GUILD,
        "not-approved",
        "A discovered candidate.",
        origin="discovered",
        status="candidate",
        examples=["a", "b", "c"],
    )
    removed = await store.arguments.add(GUILD, "gone", "A removed argument.", examples=["a", "b", "c"])
    await store.arguments.update(GUILD, removed, status="removed")
    await store.arguments.add(
        OTHER_GUILD,
        f"{OTHER_MARKER}-argument",
        "Another server's argument.",
        examples=["x", "y", "z"],
        sources=[{"author": "Someone", "title": "Something", "role": "supports"}],
    )


async def test_the_pack_holds_the_servers_own_arguments_and_validates(store, tmp_path):
    await store.messages.upsert([make_message("hello", guild_id=GUILD)])
    await _seed_arguments(store)

    export = await export_server(store, GUILD)
    path = tmp_path / ARGUMENTS_FILE
    path.write_bytes(export.files[ARGUMENTS_FILE])

    [(_, pack)] = check_packs([path], CATALOGUE)
    assert pack.pack == f"server-{GUILD}"
    assert pack.title == f"guild{GUILD} arguments"
    grain, lend_lease = pack.arguments
    assert grain.model_dump(exclude_defaults=True) == {
        "id": "grain-requisitions",
        "title": "Requisitions caused the famine",
        "claim": "Soviet grain requisitions caused the 1932 famine.",
        "examples": ["they took the seed grain", "quotas starved the villages", "no grain left"],
        "standing": "debated",
        "counters": [CATALOGUE_ID, "lend-lease"],
        "sources": GRAIN_SOURCES,
        "policy": "flag",
    }
    assert lend_lease.id == "lend-lease"
    assert lend_lease.claim == lend_lease.title == "Lend-Lease supplies kept the Red Army moving in 1943."
    assert lend_lease.counters == ["grain-requisitions"]
    assert export.records[ARGUMENTS_FILE] == 2

    [stub] = export.left_out
    assert stub.slug == "stub"
    assert "examples: needs 3-60 phrasings, got 1" in stub.reason
    assert "sources: needs at least one published source" in stub.reason
    header = export.files[ARGUMENTS_FILE].decode().split("\npack:")[0]
    assert "enabled (not repeated here): cold-war." in header
    assert f"server edited, kept in Clio only (their ids are the catalogue's): {COLD_WAR.arguments[1].id}." in header
    assert "check it for: grain-requisitions, lend-lease" in header
    assert "stub: examples" in header


async def test_a_server_with_no_complete_argument_has_no_pack(store):
    await store.arguments.add(GUILD, "stub", "A claim with one phrasing and no source.", examples=["just one"])

    pack = await server_pack(store, GUILD)
    export = await export_server(store, GUILD)

    assert pack.text is None
    assert [item.slug for item in pack.left_out] == ["stub"]
    assert ARGUMENTS_FILE not in export.files
    assert set(export.files) == {CASES_CSV, CASES_JSON, DIGESTS_CSV, DIGESTS_JSON}


async def _seed_cases(store) -> None:
    await store.messages.upsert([make_message("the forgotten words", guild_id=GUILD, author_id=8)])
    await store.cases.add_case(GUILD, 7, "warn", '=HYPERLINK("http://x")', moderator_id=9, content="hi", now=NOW)
    await store.cases.add_case(GUILD, 8, "timeout", "flooding", moderator_id=9, content="the forgotten words", now=NOW)
    await forget_member(store, GUILD, 8)
    await store.cases.add_case(
        OTHER_GUILD, 7, "ban", f"{OTHER_MARKER} reason", content=f"{OTHER_MARKER} quote", now=NOW
    )


async def test_cases_come_out_as_csv_and_json_with_redactions_kept(store):
    await _seed_cases(store)

    export = await export_server(store, GUILD)

    base = {"moderator_id": "9", "flag_id": None, "created_at": "2025-10-09T08:53:20+00:00"}
    assert json.loads(export.files[CASES_JSON]) == [
        {"number": 1, "action": "warn", "user_id": "7", "reason": '=HYPERLINK("http://x")', "content": "hi", **base},
        {"number": 2, "action": "timeout", "user_id": "8", "reason": "flooding", "content": None, **base},
    ]
    rows = list(csv.DictReader(io.StringIO(export.files[CASES_CSV].decode())))
    assert [(row["number"], row["user_id"], row["content"]) for row in rows] == [("1", "7", "hi"), ("2", "8", "")]
    assert rows[0]["reason"] == '\'=HYPERLINK("http://x")'  # a spreadsheet shows it rather than running it
    assert rows[0]["created_at"] == "2025-10-09T08:53:20+00:00"
    assert export.records[CASES_CSV] == 2
    assert all(b"forgotten words" not in contents for contents in export.files.values())


async def _seed_digests(store) -> None:
    posted = await store.digests.claim(GUILD, "2025-10-08", 1002, NOW - 86400, NOW, scope_channel_id=1001)
    await store.digests.record_messages(posted.id, [5001, 5002])
    await store.digests.set_status(posted.id, POSTED)
    await store.digests.claim(GUILD, "2025-10-09", 1002, NOW, NOW + 86400)
    await store.digests.claim(OTHER_GUILD, f"{OTHER_MARKER}-slot", 2002, NOW - 86400, NOW)


async def test_digests_come_out_as_csv_and_json_with_jump_links(store):
    await _seed_digests(store)

    export = await export_server(store, GUILD)

    links = [f"https://discord.com/channels/{GUILD}/1002/{m}" for m in (5001, 5002)]
    posted, pending = json.loads(export.files[DIGESTS_JSON])
    assert {key: value for key, value in posted.items() if key != "id"} == {
        "schedule_id": None,
        "slot": "2025-10-08",
        "scope_channel_id": "1001",
        "target_channel_id": "1002",
        "window_start": "2025-10-08T08:53:20+00:00",
        "window_end": "2025-10-09T08:53:20+00:00",
        "status": "posted",
        "posted_message_ids": ["5001", "5002"],
        "jump_links": links,
    }
    assert (pending["slot"], pending["status"], pending["jump_links"]) == ("2025-10-09", "pending", [])
    rows = list(csv.DictReader(io.StringIO(export.files[DIGESTS_CSV].decode())))
    assert [row["slot"] for row in rows] == ["2025-10-08", "2025-10-09"]
    assert rows[0]["jump_links"] == " ".join(links)
    assert rows[0]["posted_message_ids"] == "5001 5002"


@pytest.mark.parametrize(
    ("guild", "cases", "digests", "mine", "theirs"),
    [(GUILD, 2, 2, "grain-requisitions", OTHER_MARKER), (OTHER_GUILD, 1, 1, OTHER_MARKER, "grain-requisitions")],
)
async def test_each_export_holds_its_own_server_only(store, guild, cases, digests, mine, theirs):
    await _seed_arguments(store)
    await _seed_cases(store)
    await _seed_digests(store)

    export = await export_server(store, guild)

    assert (export.records[CASES_JSON], export.records[DIGESTS_JSON]) == (cases, digests)
    assert mine in export.files[ARGUMENTS_FILE].decode()
    assert all(theirs not in contents.decode() for contents in export.files.values())
