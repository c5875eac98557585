"""``/clio export``, end to end: a moderator gets the server's files privately; members get nothing."""

from __future__ import annotations

import csv
import io
import json

import pytest

pytestmark = pytest.mark.slow

EPHEMERAL = 1 << 6
REFUSED = "You need the Manage Messages permission"


async def test_a_moderator_gets_this_servers_files_privately(clio):
    guild_id, alice, mod = int(clio.guild_id), int(clio.users["alice"]), int(clio.users["mod"])
    await clio.store.cases.add_case(guild_id, alice, "warn", "insulted bob", mod, content="the words")
    await clio.store.cases.add_case(guild_id + 1, alice, "warn", "another server's case", mod)

    answer = await (await clio.slash("clio export", user="mod")).wait_followup()
    assert answer["flags"] & EPHEMERAL
    files = {a["filename"]: clio.fake.state.attachments[a["id"]] for a in answer["attachments"]}
    assert {"cases.csv", "cases.json", "digests.csv", "digests.json"} <= set(files)
    (case,) = json.loads(files["cases.json"])
    assert (case["number"], case["reason"], case["content"]) == (1, "insulted bob", "the words")
    assert [row["reason"] for row in csv.DictReader(io.StringIO(files["cases.csv"].decode()))] == ["insulted bob"]
    assert "`cases.csv`: 1" in answer["content"]


async def test_members_cannot_export(clio):
    refused = await (await clio.slash("clio export", user="alice")).wait_original()
    assert REFUSED in refused["content"]
