"""A plain CSV export: ``message_id,channel,author,timestamp,text``.

Channels and authors may be given by id or by name; names get stable ids so a re-import matches.
"""

from __future__ import annotations

import csv
from pathlib import Path

from bot.core.records import IncomingMessage
from bot.engine.importers.common import (
    ExportFormatError,
    ParsedExport,
    RecordErrors,
    id_or_stable,
    is_number,
    parse_content,
    parse_snowflake,
    parse_timestamp,
    shown,
    stable_id,
)

COLUMNS = ("message_id", "channel", "author", "timestamp", "text")


def _channel_id(guild: str, channel: str) -> int:
    # Channel ids are global in Discord; a named channel is scoped to its guild so two CSVs never share one.
    return parse_snowflake(channel) if is_number(channel) else stable_id("channel", f"{guild}/{channel.lstrip('#')}")


def read_csv_export(path: Path, *, guild: str = "csv-import") -> ParsedExport:
    path = Path(path)
    try:
        guild_id = id_or_stable("guild", guild)
    except ValueError as exc:
        raise ExportFormatError(f"--guild {shown(guild)}: {exc}") from None
    guild_name = "" if is_number(guild.strip()) else guild
    csv.field_size_limit(16 * 1024 * 1024)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")  # -sig: a byte-order mark is not part of the header
    except OSError as exc:  # missing, a directory, unreadable
        raise ExportFormatError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    with handle:
        try:
            # strict: an unclosed quote is an error, not the rest of the file swallowed into one message
            reader = csv.DictReader(handle, strict=True)
            header = reader.fieldnames or []
            missing = [column for column in COLUMNS if column not in header]
            if missing:
                raise ExportFormatError(
                    f"{path}: missing column(s) {', '.join(missing)}; expected header {','.join(COLUMNS)}"
                )
            rows: list[tuple[int, dict]] = []  # with the line each record starts on: a quoted text may span several
            end = reader.line_num
            for row in reader:
                rows.append((end + 1, row))
                end = reader.line_num
        except UnicodeDecodeError as exc:
            raise ExportFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise ExportFormatError(f"{path}: cannot read it: {exc.strerror or exc}") from None
        except csv.Error as exc:
            raise ExportFormatError(f"{path}: line {reader.line_num}: {exc}") from None

    errors = RecordErrors(path)
    parsed = ParsedExport(path)
    for line, row in rows:
        record = f"line {line}"
        if None in row:
            errors.add(record, "(row)", f"{len(row[None])} value(s) more than the header's {len(header)} columns")
            continue
        short = [name for name in header if name in COLUMNS and row.get(name) is None]  # in file order
        if short:
            errors.add(record, short[0], f"missing: the row has fewer values than the header's {len(header)} columns")
            continue
        message = _message(row, record, errors, guild, guild_id, guild_name)
        if message is not None:
            parsed.keep(message, record, errors, "message_id")
    errors.raise_if_any()
    return parsed


def _message(row: dict, record: str, errors: RecordErrors, guild: str, guild_id: int, guild_name: str):
    values = errors.parse_fields(
        record,
        {
            "message_id": lambda: parse_snowflake(row["message_id"]),
            "timestamp": lambda: parse_timestamp(row["timestamp"]),
            "channel": lambda: _channel_id(guild, _required(row["channel"])),
            "author": lambda: id_or_stable("author", _required(row["author"])),
            "text": lambda: parse_content(row["text"]),
        },
    )
    if values is None:
        return None
    channel, author = row["channel"].strip(), row["author"].strip()
    return IncomingMessage(
        id=values["message_id"],
        guild_id=guild_id,
        channel_id=values["channel"],
        author_id=values["author"],
        created_at=values["timestamp"],
        content=values["text"],
        author_name="" if is_number(author) else author,
        channel_name="" if is_number(channel) else channel.lstrip("#"),
        guild_name=guild_name,
    )


def _required(value: str) -> str:
    if not value.strip():
        raise ValueError("empty")
    return value.strip()
