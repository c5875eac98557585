"""Readers for server exports (DiscordChatExporter JSON, CSV). Each validates a whole file before anything
is stored. Imports only the core.
"""

from __future__ import annotations

from pathlib import Path

from bot.engine.importers.common import ExportFormatError, ParsedExport
from bot.engine.importers.csv_export import read_csv_export
from bot.engine.importers.dce import read_dce_export


def read_export(path: Path, *, include_bots: bool = False, guild: str | None = None) -> ParsedExport:
    """Read a DiscordChatExporter JSON file or a plain CSV, chosen by extension."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_dce_export(path, include_bots=include_bots)
    if suffix == ".csv":
        return read_csv_export(path, guild=guild or "csv-import")
    raise ExportFormatError(
        f"{path}: unknown export type {suffix!r}; expected a .json (DiscordChatExporter) or .csv file"
    )


__all__ = ["ExportFormatError", "ParsedExport", "read_csv_export", "read_dce_export", "read_export"]
