"""Helpers shared by the CLI commands: async entry, JSON output, guilds named by id or name, and set-up
checks that turn a wrong setting into one line saying what to do."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import click
import jinja2

from bot.core.config import Settings, env_name, get_settings
from bot.core.errors import UserError
from bot.engine.catalogue import CatalogueError
from bot.engine.embedding import ModelNotFound
from bot.store import Store
from bot.store.database import is_postgres_url, sqlite_path

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def run_async(func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Let a click command be written as a coroutine."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(func(*args, **kwargs))

    return wrapper


def emit_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def progress(iterable=None, *, total: int | None = None, desc: str = "", unit: str = "msg"):
    """A progress bar on stderr that stays out of the way when stderr is not a terminal."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=None, leave=False)


# --- guilds and channels by id or name ----------------------------------------------------------

NOTHING_STORED = "run `clio import EXPORT.json` first (or `clio run` to store a server's messages)"


def _listing(names: dict[int, str]) -> str:
    return ", ".join(f"{name or '(unnamed)'} ({ident})" for ident, name in names.items()) or "none"


def _match(value: str, names: dict[int, str]) -> list[int]:
    if value.isdigit() and int(value) in names:
        return [int(value)]
    wanted = value.lstrip("#").casefold()
    return [ident for ident, name in names.items() if name.casefold() == wanted]


async def resolve_guild(store: Store, value: str | None, *, stored_only: bool = True) -> int:
    """The guild an id or name designates; with none given, the database's only guild.

    ``stored_only=False`` also takes the id of a guild nothing is stored for yet (its packs can be chosen
    before its messages are imported)."""
    names = await store.messages.guild_names()
    value = value.strip() if value is not None else None
    if value and value.isdigit() and (int(value) in names or not stored_only):
        return int(value)
    if not names:
        raise click.ClickException(f"the database holds no guild yet: {NOTHING_STORED}")
    if value is None:
        if len(names) == 1:
            return next(iter(names))
        raise click.UsageError(f"pass --guild: the database holds {len(names)} guilds: {_listing(names)}")
    matches = _match(value, names)
    if len(matches) != 1:
        problem = "names several guilds" if matches else "is no stored guild"
        raise click.BadParameter(f"{value!r} {problem}; stored guilds: {_listing(names)}", param_hint="--guild")
    return matches[0]


async def resolve_guilds(store: Store, value: str | None) -> list[int]:
    """The guild an id or name designates, or every stored guild when none is given."""
    return [await resolve_guild(store, value)] if value is not None else await store.messages.guild_ids()


async def resolve_channel(store: Store, guild_id: int, value: str) -> int:
    """The channel of a guild an id or name (with or without #) designates."""
    names = await store.messages.channel_names(guild_id)
    matches = _match(value, names)
    if len(matches) != 1:
        problem = "names several channels" if matches else "is no stored channel of this guild"
        raise click.BadParameter(f"{value!r} {problem}; its channels: {_listing(names)}", param_hint="--channel")
    return matches[0]


# --- set-up checks ------------------------------------------------------------------------------

# What each folder setting must point at.
FOLDER_CONTENTS = {
    "model_dir": "a folder holding model.onnx, tokenizer.json and model.json (or unset it for the shipped"
    " bot/weights/matcher-v2)",
    "catalogue_dir": "a folder of topic packs, *.yaml (or unset it for the shipped prompts/catalogue)",
    "templates_dir": "the digest templates folder (or unset it for the shipped prompts/templates)",
}


def point_at(field: str, option: str | None = None) -> str:
    """What to do about a folder setting, or about the command-line ``option`` that overrode it."""
    return f"point {option or env_name(field)} at {FOLDER_CONTENTS[field]}"


def require_folders(settings: Settings, *fields: str) -> None:
    """Stop with one line when a folder setting names no folder (a typo, a moved checkout)."""
    for field in fields:
        folder = Path(getattr(settings, field))
        if not folder.is_dir():
            raise click.ClickException(f"{env_name(field)}={folder}: no such folder: {point_at(field)}")


def database_problem(url: str, setting: str = "CLIO_DATABASE") -> str | None:
    """Why a SQLite database cannot live where ``url`` says; PostgreSQL is judged when connecting."""
    if is_postgres_url(url):
        return None
    try:
        path = sqlite_path(url)
    except ValueError as exc:
        return f"{setting}: {exc}"
    folder = path.parent.absolute()
    fix = f"or point {setting} at a file in a folder you can write to"
    if not folder.exists():
        return f"{setting}={url}: the folder {folder} does not exist: create it (mkdir -p {folder}) {fix}"
    if not folder.is_dir():
        return f"{setting}={url}: {folder} is not a folder: {fix.removeprefix('or ')}"
    # SQLite writes its journal beside the file, so the folder must be writable, not just the file.
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"{setting}={url}: cannot write in {folder}: give this user write permission there, {fix}"
    return None


def require_database(url: str, setting: str = "CLIO_DATABASE") -> None:
    problem = database_problem(url, setting)
    if problem:
        raise click.ClickException(problem)


def check_setup(settings: Settings | None = None, *, templates: bool = False) -> None:
    """Stop with one line on a setting the engine cannot start with: the database, the model and the
    catalogue (and the digest templates, for commands that render digests)."""
    settings = settings or get_settings()
    require_database(settings.database)
    require_folders(settings, "model_dir", "catalogue_dir", *(["templates_dir"] if templates else []))


def setup_error(exc: BaseException) -> str | None:
    """One line for a set-up mistake met deep in a command (None for anything else, a real bug)."""
    if isinstance(exc, ModelNotFound):
        return f"{exc}: {point_at('model_dir')}"
    if isinstance(exc, CatalogueError):
        return _catalogue_problem(exc)
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"digest template {exc.name} not found in {get_settings().templates_dir}: {point_at('templates_dir')}"
    if isinstance(exc, UserError):
        return str(exc)
    return None


def _catalogue_problem(exc: CatalogueError) -> str:
    # A pack reports every problem on its own line: the first says what is wrong, validate lists them all.
    first, *more = str(exc).splitlines()
    also = f" (and {len(more)} more problem{'s' if len(more) > 1 else ''})" if more else ""
    folder = get_settings().catalogue_dir
    return (
        f"{first}{also}: run `clio pack validate {folder}/*.yaml` to see every problem, then fix the pack"
        f" or move it out of {env_name('catalogue_dir')}"
    )
