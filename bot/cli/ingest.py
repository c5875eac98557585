"""``clio import`` and ``clio tag``: load exports into the store and tag what is stored."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from bot.cli.common import check_setup, emit_json, json_option, progress, resolve_guilds, run_async
from bot.core.records import IncomingMessage
from bot.engine.import_checks import check_ids_against_other_guilds
from bot.engine.importers import ExportFormatError, read_export
from bot.engine.wiring import Engine, open_engine

BATCH = 256


async def ingest_messages(engine: Engine, messages: Sequence[IncomingMessage], desc: str = "ingest") -> dict:
    """Store and tag messages in batches, one transaction per batch."""
    totals = {"stored": 0, "embedded": 0, "tagged": 0}
    with progress(total=len(messages), desc=desc) as bar:
        for start in range(0, len(messages), BATCH):
            batch = messages[start : start + BATCH]
            result = await engine.tagging.ingest(batch)
            totals["stored"] += result.stored
            totals["embedded"] += result.embedded
            totals["tagged"] += len(result.tags)
            bar.update(len(batch))
    return totals


async def import_files(engine: Engine, paths: Sequence[Path], include_bots: bool, guild: str | None) -> list[dict]:
    # Validate every file before storing any, so a bad file in a batch of exports changes nothing.
    exports = [read_export(path, include_bots=include_bots, guild=guild) for path in paths]
    await check_ids_against_other_guilds(engine.store, exports)
    reports = []
    for export in exports:
        totals = await ingest_messages(engine, export.messages, desc=export.path.name)
        reports.append(
            {"file": str(export.path), "messages": len(export.messages), "skipped_bots": export.skipped_bots, **totals}
        )
    return reports


@click.command("import")
@click.argument("exports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--include-bots", is_flag=True, help="Also store messages written by bots.")
@click.option("--guild", help="Guild name or id for CSV exports (which carry none).")
@json_option
@run_async
async def import_command(exports: tuple[Path, ...], include_bots: bool, guild: str | None, as_json: bool) -> None:
    """Import DiscordChatExporter JSON or CSV exports; re-importing is harmless."""
    check_setup()
    async with open_engine() as engine:
        try:
            reports = await import_files(engine, exports, include_bots, guild)
        except ExportFormatError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        emit_json(reports)
        return
    for report in reports:
        click.echo(
            f"{report['file']}: {report['messages']} messages ({report['skipped_bots']} bot messages skipped),"
            f" {report['embedded']} newly embedded, {report['tagged']} tagged"
        )


@click.command("tag")
@click.option("--guild", help="Only this guild, by id or name (default: every guild).")
@json_option
@run_async
async def tag_command(guild: str | None, as_json: bool) -> None:
    """Re-tag stored messages with the current arguments, thresholds and corrections."""
    counts = {}
    check_setup()
    async with open_engine() as engine:
        for guild_id in await resolve_guilds(engine.store, guild):
            scored = await engine.tagging.retag_guild(guild_id)
            counts[guild_id] = {"messages": scored, "tagged": await engine.store.tags.tagged_messages(guild_id)}
    if as_json:
        emit_json({str(g): n for g, n in counts.items()})
        return
    for guild_id, count in counts.items():
        # Every stored message is re-scored; how many carry a tag is what tells whether the change worked.
        click.echo(f"guild {guild_id}: {count['tagged']} of {count['messages']} messages carry a tag")
