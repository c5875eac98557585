"""``clio sandbox``: try Clio without a Discord account, on a local fake Discord and the sample server."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import click

from bot.cli.common import check_setup, run_async
from bot.core.config import get_settings


@click.command("sandbox")
@click.option("-v", "--verbose", is_flag=True, help="Show the bot's log as it runs.")
@run_async
async def sandbox_command(verbose: bool) -> None:
    """Run Clio against a local fake Discord holding the bundled sample server, replay its
    conversation, ask for a digest, report a message, and print what Clio posted."""
    from bot.tooling.sandbox import run_sandbox  # loads discord.py and the model: only for this command

    if not verbose:
        logging.getLogger().setLevel(logging.ERROR)
    settings = get_settings()
    keep = "database" in settings.model_fields_set  # CLIO_DATABASE set: the user wants the file
    with tempfile.TemporaryDirectory(prefix="clio-sandbox-") as folder:
        if not keep:
            settings = settings.model_copy(update={"database": str(Path(folder) / "sandbox.sqlite3")})
        check_setup(settings, templates=True)
        seconds = await run_sandbox(settings, echo=click.echo)
    where = settings.database if keep else "a temporary file, now deleted"
    click.echo(f"\nSandbox finished in {seconds:.1f} s. Database: {where}.")
