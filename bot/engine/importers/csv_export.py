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
    parse_snowflake,
    parse_timestamp,
)

COLUMNS = ("message_id", "channel", "author", "timestamp", "text")


def _channel_id(guild: str, channel: str) -> int:
    # Channel ids are global in Discord; a named channel is scoped to its guild so two CSVs never share one.
    return int(channel) if channel.isdigit() else id_or_stable("channel", f"{guild}/{channel.lstrip('#')}")


def read_csv_export(path: Path, *, guild: str = "csv-import") -> ParsedExport:
    path = Path(path)
    guild_id = id_or_stable("guild", guild)
    guild_name = "" if guild.isdigit() else guild
    csv.field_size_limit(16 * 1024 * 1024)
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise ExportFormatError(f"{path}: no such file") from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [column for column in COLUMNS if column not in header]
            if missing:
                raise ExportFormatError(
                    f"{path}: missing column(s) {', '.join(missing)}; expected header {','.join(COLUMNS)}"
                )
            rows = list(reader)
        except UnicodeDecodeError as exc:
            raise ExportFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except csv.Error as exc:
            raise ExportFormatError(f"{path}: line {reader.line_num}: {exc}") from None

    errors = RecordErrors(path)
    parsed = ParsedExport(path)
    for line, row in enumerate(rows, start=2):
        record = f"line {line}"
        if None in row:
            errors.add(record, "(row)", f"{len(row[None])} value(s) more than the header's {len(header)} columns")
            continue
        values: dict = {}
        for name, parse in (("message_id", parse_snowflake), ("timestamp", parse_timestamp)):
            try:
                values[name] = parse(row[name])
            except (ValueError, TypeError) as exc:
                errors.add(record, name, str(exc))
        for name in ("channel", "author"):
            if not (row.get(name) or "").strip():
                errors.add(record, name, "empty")
        if len(values) < 2 or not row["channel"].strip() or not row["author"].strip():
            continue
        channel, author = row["channel"].strip(), row["author"].strip()
        parsed.messages.append(
            IncomingMessage(
                id=values["message_id"],
                guild_id=guild_id,
                channel_id=_channel_id(guild, channel),
                author_id=id_or_stable("author", author),
                created_at=values["timestamp"],
                content=row["text"] or "",
                author_name="" if author.isdigit() else author,
                channel_name="" if channel.isdigit() else channel.lstrip("#"),
                guild_name=guild_name,
            )
        )
    errors.raise_if_any()
    return parsed
