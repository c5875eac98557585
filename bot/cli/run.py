"""``clio run``: connect to Discord with DISCORD_TOKEN and serve until stopped (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import sys

import click

from bot.core.config import get_settings


@click.command("run")
def run_command() -> None:
    """Run the bot. Needs DISCORD_TOKEN and the Message Content intent enabled for the bot.

    Exit codes: 0 stopped normally, 1 Discord unreachable, 2 no token, 3 token rejected,
    4 Message Content intent not enabled.
    """
    from bot.adapter.client import run_bot  # discord.py loads only for this command

    sys.exit(run_bot(get_settings()))
