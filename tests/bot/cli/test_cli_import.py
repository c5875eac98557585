"""`clio import` end to end on a real store: a file whose ids belong to another server is refused whole."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from bot.cli import main
from tests.bot.engine.importers.test_importers import CHANNEL, dce_message


def _export(tmp_path, name: str, guild_id: str, channel_id: str, ids: range) -> str:
    path = tmp_path / name
    document = {
        "guild": {"id": guild_id, "name": f"server {guild_id}"},
        "channel": {**CHANNEL, "id": channel_id},
        "messages": [dce_message(n, f"message {n}") for n in ids],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _clio(database, *args: str):
    return CliRunner().invoke(main, ["import", *args], env={"CLIO_DATABASE": str(database)})


def _stored(database) -> int:
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"CLIO_DATABASE": str(database)})
    assert result.exit_code == 0, result.output
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]


def test_reused_message_or_channel_ids_of_another_server_are_refused_whole(tmp_path):
    database = tmp_path / "clio.sqlite3"
    first = _export(tmp_path, "first.json", "900000000000000001", "900000000000000010", range(1, 301))
    assert _clio(database, first).exit_code == 0
    assert _stored(database) == 300

    # Another server's file with the first one's message ids: before, "300 messages" and 0 stored.
    same_ids = _export(tmp_path, "second.json", "900000000000000002", "900000000000000020", range(1, 301))
    refused = _clio(database, same_ids)
    assert refused.exit_code == 1
    assert "second.json: message 1: field 'id': already stored for server 900000000000000001" in refused.output
    # A third server's file reusing the first one's channel: a delete in one would empty the other.
    same_channel = _export(tmp_path, "third.json", "900000000000000003", "900000000000000010", range(1000, 1010))
    refused = _clio(database, same_channel)
    assert refused.exit_code == 1 and "channel 900000000000000010: field 'channel': already stored" in refused.output
    assert _stored(database) == 300


def test_a_hostile_file_fails_in_one_line_and_writes_nothing(tmp_path):
    database = tmp_path / "clio.sqlite3"
    path = tmp_path / "hostile.json"
    messages = [dce_message(n, f"message {n}") for n in range(1, 400)]
    messages[300]["content"] = "\ud800"
    path.write_text(json.dumps({"guild": {"id": "900000000000000001"}, "channel": CHANNEL, "messages": messages}))
    result = _clio(database, str(path))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {path}: messages[300] (id 301): field 'content': not valid Unicode (a lone surrogate at character 0);"
        " nothing imported"
    ]
    assert _stored(database) == 0
