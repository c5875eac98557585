"""``clio digest``: what was argued in a guild or channel over a window, as Markdown, JSON or embeds."""

from __future__ import annotations

import time
from pathlib import Path

import click

from bot.cli.common import NOTHING_STORED, check_setup, emit_json, resolve_channel, resolve_guild, run_async
from bot.core.times import parse_when
from bot.engine.digest import build_digest, digest_to_json, render_embeds, render_markdown
from bot.engine.digest.chart import MIN_DAYS, trend_chart
from bot.engine.wiring import open_engine
from bot.store import Store

DEFAULT_DAYS = 7


def _when(value: str, now: float, option: str, end_of_day: bool = False) -> float:
    try:
        return parse_when(value, now, end_of_day=end_of_day)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


async def _window(
    store: Store, guild_id: int, channel_id: int | None, since: str | None, until: str | None, now: float
) -> tuple[float, float]:
    """The window asked for. With neither end given, every stored message: right after `clio import`,
    that is the imported window, which a default of "the last week" would usually miss entirely."""
    if since is None and until is None:
        span = await store.messages.time_span(guild_id, channel_id)
        if span is None:
            raise click.ClickException(f"guild {guild_id} has no stored messages: {NOTHING_STORED}")
        first, last = span
        return first, last + 1  # the window's end is excluded
    end = _when(until or "now", now, "--until", end_of_day=True)
    start = _when(since, now, "--since") if since else end - DEFAULT_DAYS * 86400
    if end <= start:
        raise click.UsageError("--until must come after --since")
    return start, end


async def _write_chart(
    store: Store, path: Path, guild_id: int, window: tuple[float, float], channel_id: int | None
) -> None:
    png = await trend_chart(store, guild_id, *window, channel_id=channel_id)
    if png is None:
        click.echo(
            f"no chart: the window is shorter than {MIN_DAYS} days or none of its messages is tagged;"
            f" {path} not written",
            err=True,
        )
        return
    path.write_bytes(png)
    click.echo(f"chart: {path}", err=True)


@click.command("digest")
@click.option("--guild", help="Guild id or name (default: the database's only guild).")
@click.option("--channel", help="Channel id or name (default: the whole guild).")
@click.option(
    "--since",
    help="Start: ISO date/datetime (UTC unless stated) or a duration before now like 7d, 24h."
    f"  [default: {DEFAULT_DAYS} days before --until; with neither, every stored message (after `clio import`,"
    " the imported window)]",
)
@click.option("--until", help="End, excluded; a bare date means the end of that day.  [default: now, or see --since]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json", "embeds"]),
    default="md",
    show_default=True,
    help="Markdown, the digest's data as JSON, or the Discord embed payloads as JSON.",
)
@click.option("--max-arguments", default=15, show_default=True, type=click.IntRange(1))
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help=f"Also write the window's trend chart as a PNG (needs {MIN_DAYS}+ days with tagged messages).",
)
@run_async
async def digest_command(
    guild: str | None,
    channel: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
    max_arguments: int,
    chart: Path | None,
) -> None:
    """Summarise the arguments made in a window: counts, trends, linked quotes, sources and counters."""
    check_setup(templates=True)
    async with open_engine() as engine:
        guild_id = await resolve_guild(engine.store, guild)
        channel_id = await resolve_channel(engine.store, guild_id, channel) if channel else None
        window = await _window(engine.store, guild_id, channel_id, since, until, time.time())
        digest = await build_digest(
            engine.store, engine.tagging, guild_id, *window, channel_id, max_arguments=max_arguments
        )
        if chart is not None:
            await _write_chart(engine.store, chart, guild_id, window, channel_id)
    if fmt == "md":
        click.echo(render_markdown(digest), nl=False)
    else:
        emit_json(digest_to_json(digest) if fmt == "json" else render_embeds(digest))
