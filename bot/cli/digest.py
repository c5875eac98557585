"""``clio digest``: what was argued in a guild or channel over a window, as Markdown, JSON or embeds."""

from __future__ import annotations

import time

import click

from bot.cli.common import emit_json, run_async
from bot.core.times import parse_when
from bot.engine.digest import build_digest, digest_to_json, render_embeds, render_markdown
from bot.engine.wiring import open_engine
from bot.store import Store

DEFAULT_DAYS = 7


def _listing(names: dict[int, str]) -> str:
    return ", ".join(f"{name or '(unnamed)'} ({ident})" for ident, name in names.items()) or "none"


def _match(value: str, names: dict[int, str]) -> list[int]:
    if value.isdigit() and int(value) in names:
        return [int(value)]
    wanted = value.lstrip("#").casefold()
    return [ident for ident, name in names.items() if name.casefold() == wanted]


async def resolve_guild(store: Store, value: str | None) -> int:
    """The guild an id or name designates; with none given, the database's only guild."""
    names = await store.messages.guild_names()
    if value is None:
        if len(names) == 1:
            return next(iter(names))
        raise click.UsageError(f"pass --guild: the database holds {len(names)} guilds: {_listing(names)}")
    matches = _match(value, names)
    if len(matches) != 1:
        problem = "names several guilds" if matches else "is no stored guild"
        raise click.BadParameter(f"{value!r} {problem}; stored guilds: {_listing(names)}", param_hint="--guild")
    return matches[0]


async def resolve_channel(store: Store, guild_id: int, value: str) -> int:
    names = await store.messages.channel_names(guild_id)
    matches = _match(value, names)
    if len(matches) != 1:
        problem = "names several channels" if matches else "is no stored channel of this guild"
        raise click.BadParameter(f"{value!r} {problem}; its channels: {_listing(names)}", param_hint="--channel")
    return matches[0]


def _window(since: str | None, until: str, now: float) -> tuple[float, float]:
    try:
        end = parse_when(until, now, end_of_day=True)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--until") from None
    try:
        start = parse_when(since, now) if since else end - DEFAULT_DAYS * 86400
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if end <= start:
        raise click.UsageError("--until must come after --since")
    return start, end


@click.command("digest")
@click.option("--guild", help="Guild id or name (default: the database's only guild).")
@click.option("--channel", help="Channel id or name (default: the whole guild).")
@click.option(
    "--since",
    help=f"Start: ISO date/datetime (UTC unless stated) or a duration before now like 7d, 24h."
    f"  [default: {DEFAULT_DAYS} days before --until]",
)
@click.option("--until", default="now", show_default=True, help="End, excluded; a bare date means the end of that day.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json", "embeds"]),
    default="md",
    show_default=True,
    help="Markdown, the digest's data as JSON, or the Discord embed payloads as JSON.",
)
@click.option("--max-arguments", default=15, show_default=True, type=click.IntRange(1))
@run_async
async def digest_command(
    guild: str | None, channel: str | None, since: str | None, until: str, fmt: str, max_arguments: int
) -> None:
    """Summarise the arguments made in a window: counts, trends, linked quotes, sources and counters."""
    start, end = _window(since, until, time.time())
    async with open_engine() as engine:
        guild_id = await resolve_guild(engine.store, guild)
        channel_id = await resolve_channel(engine.store, guild_id, channel) if channel else None
        digest = await build_digest(
            engine.store, engine.tagging, guild_id, start, end, channel_id, max_arguments=max_arguments
        )
    if fmt == "md":
        click.echo(render_markdown(digest), nl=False)
    else:
        emit_json(digest_to_json(digest) if fmt == "json" else render_embeds(digest))
