"""``clio db``: apply migrations, and move a whole store between SQLite and PostgreSQL."""

from __future__ import annotations

import click

from bot.cli.common import require_database, run_async
from bot.core.config import get_settings
from bot.core.errors import UserError
from bot.store.copy import copy_store
from bot.store.database import Database, bundled_migrations, redacted


@click.group("db")
def db_group() -> None:
    """The database: CLIO_DATABASE, a SQLite file (the default) or postgresql://user@host/db."""


@db_group.command("upgrade")
@click.option("--database", "url", default=None, help="Database URL (default: CLIO_DATABASE).")
@run_async
async def upgrade_command(url: str | None) -> None:
    """Apply the migrations the database does not have yet. Safe to run while other processes use it."""
    setting = "--database" if url else "CLIO_DATABASE"
    url = url or get_settings().database
    require_database(url, setting)
    try:
        async with await Database.open(url, migrations=[]) as db:
            before = await db.schema_version()
            applied = await db.migrate(bundled_migrations())
            after = await db.schema_version()
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    if applied:
        click.echo(f"{redacted(url)}: schema {before} -> {after} (applied {', '.join(map(str, applied))})")
    else:
        click.echo(f"{redacted(url)}: schema {after}, up to date")


@db_group.command("copy")
@click.argument("source_url")
@click.argument("destination_url")
@run_async
async def copy_command(source_url: str, destination_url: str) -> None:
    """Copy every row from SOURCE_URL into the empty DESTINATION_URL, then compare the row counts.

    Stop the bot first: messages it stores during the copy would not be copied.
    """
    try:
        async with await Database.open(source_url) as source, await Database.open(destination_url) as destination:
            counts = await copy_store(
                source, destination, progress=lambda table, rows: click.echo(f"  {table}: {rows}", err=True)
            )
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    total = sum(counts.values())
    click.echo(
        f"copied {total} rows in {len(counts)} tables from {redacted(source_url)} to {redacted(destination_url)};"
        " row counts verified"
    )
