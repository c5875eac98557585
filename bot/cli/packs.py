"""``clio pack`` (author a topic pack: new, validate, schema) and ``clio packs`` (a server's packs)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from bot.cli.common import check_setup, emit_json, json_option, resolve_guild, run_async
from bot.core.config import get_settings

SKELETON = """\
# Topic pack: {title}. See docs/topic-packs.md for every field.
pack: {slug}
title: "{title}"
version: 1
arguments:
  - id: {slug}-first-argument
    title: "A short title people would recognise"
    claim: "The argument in one sentence, as its proponents would put it."
    standing: debated            # consensus | debated | rejected
    examples:                    # how people really write it in chat: at least 8
      - "first chat phrasing"
      - "second chat phrasing"
      - "third chat phrasing"
    counters: [{slug}-second-argument]
    sources:                     # real published works only
      - {{author: "Author Name", title: "Exact Title", year: 2000, role: supports}}
  - id: {slug}-second-argument
    title: "The other side"
    claim: "The opposite argument in one sentence."
    standing: debated
    examples:
      - "first chat phrasing of the other side"
      - "second chat phrasing of the other side"
      - "third chat phrasing of the other side"
    counters: [{slug}-first-argument]
    sources:
      - {{author: "Author Name", title: "Exact Title", year: 2000, role: supports}}
"""


@click.group("pack")
def pack_group() -> None:
    """Write and check topic packs (YAML files of recurring arguments)."""


@pack_group.command("new")
@click.argument("topic")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: TOPIC.yaml in the catalogue folder).",
)
def pack_new(topic: str, output: Path | None) -> None:
    """Write a skeleton pack for TOPIC to fill in."""
    slug = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-")
    if not slug:
        raise click.ClickException(f"cannot make a pack id from {topic!r}: use letters or digits")
    path = output or get_settings().catalogue_dir / f"{slug.replace('-', '_')}.yaml"
    if path.exists():
        raise click.ClickException(f"{path} already exists: choose another name or --output")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SKELETON.format(slug=slug, title=topic.strip()), encoding="utf-8")
    click.echo(f"wrote {path}: fill it in, then run `clio pack validate {path}`")


@pack_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
def pack_validate(files: tuple[Path, ...], as_json: bool) -> None:
    """Check packs: the schema, unique ids, counters that exist, source years. Counters may point
    into the shipped catalogue as well as into the files given."""
    from bot.engine.catalogue import CatalogueError, check_packs

    try:
        packs = check_packs(files, get_settings().catalogue_dir)
    except CatalogueError as exc:
        raise click.ClickException(_one_line(str(exc))) from None
    rows = [
        {
            "file": str(path),
            "pack": pack.pack,
            "version": pack.version,
            "arguments": len(pack.arguments),
            "phrasings": sum(len(a.examples) for a in pack.arguments),
            "sources": sum(len(a.sources) for a in pack.arguments),
        }
        for path, pack in packs
    ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['file']}: ok: pack {row['pack']} v{row['version']}, {row['arguments']} arguments, "
            f"{row['phrasings']} phrasings, {row['sources']} sources"
        )


def _one_line(problems: str) -> str:
    """A pack's problems (one per line, each starting with its file) on one line, the file named once."""
    lines = problems.splitlines()
    prefix = lines[0].split(": ", 1)[0] + ": "
    if len(lines) == 1 or not all(line.startswith(prefix) for line in lines):
        return "; ".join(lines)
    return f"{prefix}{len(lines)} problems: " + "; ".join(line.removeprefix(prefix) for line in lines)


@pack_group.command("schema")
def pack_schema() -> None:
    """Print the pack format as JSON Schema (also shipped as docs/topic-pack.schema.json)."""
    from bot.engine.catalogue import pack_json_schema

    click.echo(json.dumps(pack_json_schema(), indent=2))


@click.group("packs")
def packs_group() -> None:
    """Which topic packs a server uses."""


guild_option = click.option("--guild", "guild", required=True, help="The server: its id, or its name.")


async def _with_packs(guild: str, action):
    from bot.engine.wiring import open_engine

    check_setup()
    async with open_engine() as engine:
        # A server's packs can be chosen before any of its messages are stored, so any id will do.
        guild_id = await resolve_guild(engine.store, guild, stored_only=False)
        return await action(engine.tagging, guild_id)


@packs_group.command("list")
@guild_option
@json_option
@run_async
async def packs_list(guild: str, as_json: bool) -> None:
    """Every pack in the catalogue, and whether the server has it on."""

    async def action(tagging, guild_id):
        await tagging.ensure_guild(guild_id)
        return await tagging.packs.list(guild_id)

    packs = await _with_packs(guild, action)
    if as_json:
        emit_json([pack.__dict__ for pack in packs])
        return
    for pack in packs:
        click.echo(
            f"{'on ' if pack.enabled else 'off'}  {pack.pack} v{pack.version}: {pack.title} "
            f"({pack.arguments} arguments)"
        )


def _toggle(enabled: bool):
    @guild_option
    @click.argument("pack")
    @run_async
    async def command(guild: str, pack: str) -> None:
        changed = await _with_packs(guild, lambda tagging, guild_id: tagging.set_pack_enabled(guild_id, pack, enabled))
        state = "enabled" if enabled else "disabled"
        click.echo(f"{pack} {state}" if changed else f"{pack} was already {state}")

    command.__doc__ = (
        "Turn a pack on for the server: its arguments tag new messages."
        if enabled
        else "Turn a pack off for the server: its arguments stop tagging; past tags stay."
    )
    return command


packs_group.command("enable")(_toggle(True))
packs_group.command("disable")(_toggle(False))
