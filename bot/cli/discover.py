"""``clio discover``: find recurring arguments no argument explains yet and list them as candidates."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from bot.cli.common import check_setup, emit_json, json_option, resolve_guilds, run_async
from bot.core.times import parse_when


class When(click.ParamType):
    """A moment: an ISO date or date-time (UTC unless it says otherwise), or an age such as 30d, 12h, 2w."""

    name = "when"

    def __init__(self, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_when(value, time.time(), end_of_day=self.end_of_day)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def _as_dict(guild_id: int, result) -> dict:
    argument = result.argument
    return {
        "guild_id": guild_id,
        "argument_id": argument.id,
        "slug": argument.slug,
        "status": argument.status,
        "new": result.created,
        "claim": argument.claim,
        "examples": list(argument.examples),
        "evidence": argument.evidence,
    }


def _print(guild_id: int, results) -> None:
    click.echo(f"Guild {guild_id}: {len(results)} candidate(s)")
    for result in results:
        argument, evidence = result.argument, result.argument.evidence
        marker = "new" if result.created else "updated"
        click.echo(f"\n  #{argument.id} [{marker}] {argument.claim}")
        click.echo(
            f"    {evidence['messages']} messages ({evidence['distinct_texts']} distinct),"
            f" {evidence['authors']} authors, {evidence['days']} days,"
            f" {_day(evidence['first_seen'])} to {_day(evidence['last_seen'])}"
        )
        for link in evidence.get("example_links", []):
            click.echo(f"    {link}")


@click.command("discover")
@click.option("--guild", default=None, help="Guild id or name (default: every stored guild).")
@click.option("--since", type=When(), default=None, help="Only messages from then on (date, date-time or age: 30d).")
@click.option("--until", type=When(end_of_day=True), default=None, help="Only messages before then.")
@json_option
@run_async
async def discover(guild: str | None, since: float | None, until: float | None, as_json: bool) -> None:
    """Cluster messages no argument explains; recurring clusters become candidates for moderators."""
    from bot.engine import discovery
    from bot.engine.wiring import open_engine

    check_setup()
    async with open_engine() as engine:
        guild_ids = await resolve_guilds(engine.store, guild)
        found = {
            gid: await discovery.discover(engine.store, engine.tagging, gid, since, until, engine.settings)
            for gid in guild_ids
        }
    if as_json:
        emit_json([_as_dict(gid, result) for gid, results in found.items() for result in results])
        return
    if not guild_ids:
        click.echo("No stored guilds.")
    for gid, results in found.items():
        _print(gid, results)
