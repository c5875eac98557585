"""DiscordChatExporter JSON (Tyrrrz's format): one file per channel."""

from __future__ import annotations

import json
from pathlib import Path

from bot.core.records import IncomingMessage
from bot.engine.importers.common import ExportFormatError, ParsedExport, RecordErrors, parse_snowflake, parse_timestamp


def _load(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise ExportFormatError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ExportFormatError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
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
    guild_name = str(data["guild"].get("name") or "")
    channel_name = str(data["channel"].get("name") or "")

    parsed = ParsedExport(path)
    for index, raw in enumerate(data["messages"]):
        record = f"messages[{index}]"
        if not isinstance(raw, dict):
            errors.add(record, "(record)", "not an object")
            continue
        record = f"messages[{index}] (id {raw.get('id', '?')})"
        author = raw.get("author")
        if not isinstance(author, dict):
            errors.add(record, "author", "missing or not an object")
            continue
        if author.get("isBot") and not include_bots:
            parsed.skipped_bots += 1
            continue
        message = _message(raw, author, record, errors, guild_id, channel_id, guild_name, channel_name)
        if message is not None:
            parsed.messages.append(message)
    errors.raise_if_any()
    return parsed


def _message(raw, author, record, errors, guild_id, channel_id, guild_name, channel_name) -> IncomingMessage | None:
    fields: dict = {}
    checks = {
        "id": lambda: parse_snowflake(raw.get("id")),
        "timestamp": lambda: parse_timestamp(raw.get("timestamp")),
        "author.id": lambda: parse_snowflake(author.get("id")),
    }
    for name, parse in checks.items():
        try:
            fields[name] = parse()
        except ValueError as exc:
            errors.add(record, name, str(exc))
    content = raw.get("content", "")
    if not isinstance(content, str):
        errors.add(record, "content", f"expected text, got {type(content).__name__}")
    edited = raw.get("timestampEdited")
    if edited is not None:
        try:
            fields["timestampEdited"] = parse_timestamp(edited)
        except ValueError as exc:
            errors.add(record, "timestampEdited", str(exc))
    reply_to = None
    reference = raw.get("reference")
    if isinstance(reference, dict) and reference.get("messageId") is not None:
        try:
            reply_to = parse_snowflake(reference["messageId"])
        except ValueError as exc:
            errors.add(record, "reference.messageId", str(exc))
    if len(fields) < 3 or not isinstance(content, str):
        return None
    attachments = raw.get("attachments")
    return IncomingMessage(
        id=fields["id"],
        guild_id=guild_id,
        channel_id=channel_id,
        author_id=fields["author.id"],
        created_at=fields["timestamp"],
        edited_at=fields.get("timestampEdited"),
        content=content,
        reply_to_id=reply_to,
        attachments=len(attachments) if isinstance(attachments, list) else 0,
        author_name=str(author.get("name") or ""),
        author_display_name=author.get("nickname") or None,
        author_is_bot=bool(author.get("isBot")),
        channel_name=channel_name,
        guild_name=guild_name,
    )
