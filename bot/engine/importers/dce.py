"""DiscordChatExporter JSON (Tyrrrz's format): one file per channel."""

from __future__ import annotations

import json
from pathlib import Path

from bot.core.records import IncomingMessage
from bot.engine.importers.common import (
    ExportFormatError,
    ParsedExport,
    RecordErrors,
    parse_content,
    parse_name,
    parse_snowflake,
    parse_timestamp,
)


def _load(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:  # missing, a directory, unreadable
        raise ExportFormatError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ExportFormatError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ExportFormatError(f"{path}: JSON nested too deeply to be an export") from None
    if not isinstance(data, dict):
        raise ExportFormatError(f"{path}: expected a JSON object with 'guild', 'channel' and 'messages'")
    for key, kind in (("guild", dict), ("channel", dict), ("messages", list)):
        if not isinstance(data.get(key), kind):
            raise ExportFormatError(
                f"{path}: field '{key}' is missing or not a{'n object' if kind is dict else ' list'}"
            )
    return data


def read_dce_export(path: Path, *, include_bots: bool = False) -> ParsedExport:
    path = Path(path)
    data = _load(path)
    errors = RecordErrors(path)
    try:
        guild_id = parse_snowflake(data["guild"].get("id"))
    except ValueError as exc:
        errors.add("guild", "id", str(exc))
        guild_id = 0
    try:
        channel_id = parse_snowflake(data["channel"].get("id"))
    except ValueError as exc:
        errors.add("channel", "id", str(exc))
        channel_id = 0
    guild_name = _name(data["guild"], "guild", errors)
    channel_name = _name(data["channel"], "channel", errors)

    parsed = ParsedExport(path)
    for index, raw in enumerate(data["messages"]):
        record = f"messages[{index}]"
        if not isinstance(raw, dict):
            errors.add(record, "(record)", "not an object")
            continue
        record = f"messages[{index}] (id {str(raw.get('id', '?'))[:30]})"
        author = raw.get("author")
        if not isinstance(author, dict):
            errors.add(record, "author", "missing or not an object")
            continue
        if author.get("isBot") and not include_bots:
            parsed.skipped_bots += 1
            continue
        message = _message(raw, author, record, errors, guild_id, channel_id, guild_name, channel_name)
        if message is not None:
            parsed.keep(message, record, errors, "id")
    errors.raise_if_any()
    return parsed


def _name(owner: dict, record: str, errors: RecordErrors) -> str:
    try:
        return parse_name(owner.get("name")) or ""
    except ValueError as exc:
        errors.add(record, "name", str(exc))
        return ""


def _message(raw, author, record, errors, guild_id, channel_id, guild_name, channel_name) -> IncomingMessage | None:
    fields = errors.parse_fields(
        record,
        {
            "id": lambda: parse_snowflake(raw.get("id")),
            "timestamp": lambda: parse_timestamp(raw.get("timestamp")),
            "timestampEdited": lambda: (
                None if raw.get("timestampEdited") is None else parse_timestamp(raw["timestampEdited"])
            ),
            "author.id": lambda: parse_snowflake(author.get("id")),
            "author.name": lambda: parse_name(author.get("name")) or "",
            "author.nickname": lambda: parse_name(author.get("nickname")),
            "content": lambda: parse_content(raw.get("content", "")),
            "reference.messageId": lambda: _reply_to(raw.get("reference")),
        },
    )
    if fields is None:
        return None
    attachments = raw.get("attachments")
    return IncomingMessage(
        id=fields["id"],
        guild_id=guild_id,
        channel_id=channel_id,
        author_id=fields["author.id"],
        created_at=fields["timestamp"],
        edited_at=fields["timestampEdited"],
        content=fields["content"],
        reply_to_id=fields["reference.messageId"],
        attachments=len(attachments) if isinstance(attachments, list) else 0,
        author_name=fields["author.name"],
        author_display_name=fields["author.nickname"],
        author_is_bot=bool(author.get("isBot")),
        channel_name=channel_name,
        guild_name=guild_name,
    )


def _reply_to(reference: object) -> int | None:
    if isinstance(reference, dict) and reference.get("messageId") is not None:
        return parse_snowflake(reference["messageId"])
    return None
