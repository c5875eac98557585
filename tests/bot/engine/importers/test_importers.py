import json

import pytest

from bot.engine.importers import ExportFormatError, read_export
from tests.conftest import required

GUILD = {"id": "900000000000000001", "name": "Test Guild"}
CHANNEL = {"id": "900000000000000010", "name": "debate", "type": "GuildTextChat"}


def dce_message(id_, text, *, author_id="500", bot=False, reply_to=None, edited=None, ts="2026-10-01T12:00:00+00:00"):
    message = {
        "id": str(id_),
        "type": "Default",
        "timestamp": ts,
        "timestampEdited": edited,
        "content": text,
        "author": {"id": author_id, "name": f"user{author_id}", "nickname": f"User {author_id}", "isBot": bot},
        "attachments": [],
    }
    if reply_to:
        message["reference"] = {"messageId": str(reply_to), "channelId": CHANNEL["id"], "guildId": GUILD["id"]}
    return message


def write_dce(tmp_path, messages, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"guild": GUILD, "channel": CHANNEL, "messages": messages}), encoding="utf-8")
    return path


def test_dce_export_maps_every_field(tmp_path):
    path = write_dce(
        tmp_path,
        [
            dce_message(1001, "first", edited="2026-10-01T12:05:00Z"),
            dce_message(1002, "a reply", author_id="501", reply_to=1001),
        ],
    )
    parsed = read_export(path)
    first, reply = parsed.messages
    assert (first.id, first.guild_id, first.channel_id, first.author_id) == (
        1001,
        900000000000000001,
        900000000000000010,
        500,
    )
    assert required(first.edited_at) - first.created_at == 300
    assert first.author_display_name == "User 500" and first.channel_name == "debate"
    assert reply.reply_to_id == 1001


def test_bot_messages_are_skipped_unless_asked_for(tmp_path):
    path = write_dce(tmp_path, [dce_message(1, "human"), dce_message(2, "beep", author_id="9", bot=True)])
    assert [m.id for m in read_export(path).messages] == [1]
    assert read_export(path).skipped_bots == 1
    assert [m.id for m in read_export(path, include_bots=True).messages] == [1, 2]


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda m: m.update(timestamp="yesterday"), "messages[0] (id 1): field 'timestamp': not an ISO 8601 time"),
        (lambda m: m.update(id="abc"), "field 'id': not a Discord snowflake"),
        (lambda m: m.update(content=5), "field 'content': expected text"),
        (lambda m: m["author"].pop("id"), "field 'author.id'"),
        (lambda m: m.pop("author"), "field 'author': missing"),
    ],
)
def test_malformed_records_name_file_record_and_field(tmp_path, mutate, expected):
    message = dce_message(1, "text")
    mutate(message)
    path = write_dce(tmp_path, [message, dce_message(2, "fine")])
    with pytest.raises(ExportFormatError) as error:
        read_export(path)
    assert str(path) in str(error.value) and expected in str(error.value)
    assert "nothing imported" in str(error.value)


def test_broken_json_and_wrong_shapes_are_clear_errors(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"guild": {', encoding="utf-8")
    with pytest.raises(ExportFormatError, match=r"broken.json: not valid JSON: .* line 1"):
        read_export(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"guild": {}, "channel": {}, "messages": {}}', encoding="utf-8")
    with pytest.raises(ExportFormatError, match="'messages' is missing or not a list"):
        read_export(wrong)
    with pytest.raises(ExportFormatError, match="unknown export type"):
        read_export(tmp_path / "x.txt")


def test_a_message_up_to_discords_limit_is_kept_whole_and_a_longer_one_refused(tmp_path):
    text = "lipetsk " * 500  # 4,000 characters, the most Discord allows
    path = write_dce(tmp_path, [dce_message(1, text)])
    assert read_export(path).messages[0].content == text
    path = write_dce(tmp_path, [dce_message(1, text + "!")])
    with pytest.raises(ExportFormatError, match=r"messages\[0\] \(id 1\): field 'content': 4,001 characters; Discord"):
        read_export(path)


def write_csv(tmp_path, body, name="export.csv"):
    path = tmp_path / name
    path.write_text("message_id,channel,author,timestamp,text\n" + body, encoding="utf-8")
    return path


def test_csv_export_gives_stable_ids_for_names(tmp_path):
    path = write_csv(
        tmp_path, '1,general,alice,2026-10-01T10:00:00Z,"hello, world"\n2,general,bob,2026-10-01T10:01:00Z,hi\n'
    )
    first = read_export(path, guild="My Server").messages
    again = read_export(path, guild="My Server").messages
    assert [m.content for m in first] == ["hello, world", "hi"]
    assert first == again
    assert first[0].channel_id == first[1].channel_id and first[0].author_id != first[1].author_id
    other_guild = read_export(path, guild="Another").messages
    assert other_guild[0].channel_id != first[0].channel_id


def test_csv_errors_name_line_and_field(tmp_path):
    path = write_csv(tmp_path, "1,general,alice,not-a-time,hi\nx,general,bob,2026-10-01T10:00:00Z,hi\n")
    with pytest.raises(ExportFormatError) as error:
        read_export(path)
    text = str(error.value)
    assert "line 2: field 'timestamp'" in text and "line 3: field 'message_id'" in text
    missing = tmp_path / "cols.csv"
    missing.write_text("id,text\n1,hi\n", encoding="utf-8")
    with pytest.raises(ExportFormatError, match="missing column"):
        read_export(missing)


async def test_reimport_is_idempotent(tmp_path, store):
    path = write_dce(tmp_path, [dce_message(1, "one"), dce_message(2, "two")])
    for _ in range(2):
        await store.messages.upsert(read_export(path).messages)
    assert await store.messages.count(900000000000000001) == 2
