"""``clio export``: what moderators decided in the bot, as training data for the next model run, and a
server's arguments, cases and digests as files to take away."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from bot.cli.common import require_database, resolve_guild, run_async
from bot.core.config import get_settings
from bot.store import Store

output_argument = click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
guild_option = click.option("--guild", default=None, help="Only this guild: its id or name (default: every guild).")


async def _only_guild(store: Store, value: str | None) -> int | None:
    return None if value is None else await resolve_guild(store, value)


@click.group("export")
def export_group() -> None:
    """Export moderators' decisions for retraining, or a server's data. The files hold members' words:
    keep them private and delete them after use."""


@export_group.command("false-positives")
@output_argument
@guild_option
@run_async
async def export_false_positives_command(output: Path, guild: str | None) -> None:
    """Messages moderators marked as false abuse flags, for `clio train abuse --false-positives`."""
    from bot.engine.moderation.feedback import export_false_positives

    async with await Store.open(get_settings().database) as store:
        rows = await export_false_positives(store, output, await _only_guild(store, guild))
    click.echo(f"wrote {rows} false positive(s) to {output}")


@export_group.command("corrections")
@output_argument
@guild_option
@run_async
async def export_corrections_command(output: Path, guild: str | None) -> None:
    """Moderators' "Tag argument" verdicts as `message,claim,label`, for `clio train matcher --corrections`."""
    async with await Store.open(get_settings().database) as store:
        rows = await correction_rows(store, await _only_guild(store, guild))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("message", "claim", "label"))
        writer.writerows(rows)
    click.echo(f"wrote {len(rows)} correction(s) to {output}")


async def correction_rows(store: Store, guild_id: int | None) -> list[tuple[str, str, int]]:
    rows = []
    claims: dict[tuple[int, int], str] = {}
    guilds = [guild_id] if guild_id is not None else await store.messages.guild_ids()
    for guild in guilds:
        for correction in await store.tags.corrections(guild):
            key = (guild, correction.argument_id)
            if key not in claims:
                argument = await store.arguments.get(guild, correction.argument_id)
                claims[key] = argument.claim if argument else ""
            if correction.content.strip() and claims[key]:
                rows.append((correction.content, claims[key], int(correction.accepted)))
    return rows


@export_group.command("server")
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--guild", default=None, help="The server: its id or name (default: the database's only one).")
@run_async
async def export_server_command(output_dir: Path, guild: str | None) -> None:
    """A server's own arguments as a topic pack, and its moderation cases and digests as CSV and JSON,
    written into OUTPUT_DIR. Catalogue packs the server merely enabled are named in the pack, not copied."""
    from bot.engine.server_export import ARGUMENTS_FILE, export_server

    settings = get_settings()
    require_database(settings.database)
    async with await Store.open(settings.database) as store:
        export = await export_server(store, await resolve_guild(store, guild))
    for name, contents in export.files.items():
        path = _write(output_dir, name, contents)
        click.echo(f"wrote {path} ({name.split('.')[0]}: {export.records[name]})")
    if ARGUMENTS_FILE not in export.files:
        click.echo(f"no {ARGUMENTS_FILE}: none of the server's own arguments is a complete pack entry", err=True)
    for item in export.left_out:
        click.echo(f"left out of the pack: {item.slug}: {item.reason}", err=True)


def _write(folder: Path, name: str, contents: bytes) -> Path:
    path = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
