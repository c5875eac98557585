"""``clio invite``: the link that adds Clio to a server, with exactly the permissions it needs."""

from __future__ import annotations

import base64
import binascii

import click

from bot.adapter.client import invite_url
from bot.core.config import get_settings


def client_id_from_token(token: str) -> int | None:
    """A bot token's first part is its user id in base64, which is the application's id."""
    first = token.strip().split(".")[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(decoded) if decoded.isascii() and decoded.isdigit() else None


@click.command("invite")
@click.option("--client-id", type=int, help="The application id (Developer Portal); default: read from DISCORD_TOKEN.")
def invite_command(client_id: int | None) -> None:
    """Print the invite link: the bot and its slash commands, with the permissions the README lists."""
    if client_id is None:
        token = get_settings().discord_token
        client_id = client_id_from_token(token.get_secret_value()) if token else None
    if client_id is None:
        raise click.ClickException(
            "no application id: give --client-id (Developer Portal > General Information > Application ID)"
            " or set DISCORD_TOKEN"
        )
    click.echo(invite_url(client_id))
