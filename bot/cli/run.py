"""``clio run``: connect to Discord with DISCORD_TOKEN and serve until stopped (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import sys

import click

from bot.cli.common import check_setup
from bot.core.config import get_settings, normal_shard_ids


@click.command("run")
@click.option("--shard-ids", default=None, help="Run only these shards, such as 0,1 (default: CLIO_SHARD_IDS).")
@click.option("--shard-count", type=click.IntRange(min=1), default=None, help="Shards across all processes.")
def run_command(shard_ids: str | None, shard_count: int | None) -> None:
    """Run the bot. Needs DISCORD_TOKEN and the Message Content intent enabled for the bot.

    Several processes can share one PostgreSQL database (CLIO_DATABASE=postgresql://...), each
    running a range of shards: `clio run --shard-ids 0,1 --shard-count 4` and
    `clio run --shard-ids 2,3 --shard-count 4`.

    Exit codes: 0 stopped normally, 1 Discord unreachable, bad settings or no database, 2 no token,
    3 token rejected, 4 Message Content intent not enabled.
    """
    from bot.adapter.client import run_bot  # discord.py loads only for this command

    settings = get_settings()
    # Before connecting: a bad setting found once the gateway is up would read as a crash in the log.
    check_setup(settings, templates=True)
    if shard_ids is not None:
        try:
            settings = settings.model_copy(update={"shard_ids": normal_shard_ids(shard_ids)})
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--shard-ids") from None
    if shard_count is not None:
        settings = settings.model_copy(update={"shard_count": shard_count})
    sys.exit(run_bot(settings))
