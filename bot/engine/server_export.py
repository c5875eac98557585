"""A server's data as files a moderator can take away: its arguments as a topic pack, its moderation
cases and its digests as CSV and JSON. ``clio export server`` and ``/clio export`` both write these.

Which arguments go in the pack: the server's *own* active arguments, those its moderators added and those
they approved from discovery. Catalogue arguments are left out, even the ones a moderator edited: their
ids belong to the catalogue, so a pack repeating them would fail ``clio pack validate`` (ids are unique
across packs), and the unedited ones are only a copy of a pack anyone can enable. The pack's header
names the catalogue packs the server has enabled instead. Candidates, dismissed, merged and removed
arguments are not the server's arguments and stay out too.

A server's own argument is held to the pack format only as far as it can be without inventing anything:
the title falls back to the claim (shortened), whitespace is tidied and repeated phrasings are dropped.
The one thing the server never records for its own arguments is where historians stand, which the
format requires; ``debated`` stands in for it and the header lists the arguments to check. An argument
that still is no valid pack entry (fewer than three phrasings, no source, a claim of several sentences)
is left out and named, with why, in the header and in :attr:`ServerExport.left_out`; counters that
point at left-out arguments are dropped. If no argument makes it, there is no pack file.

Cases and digests are exported as the store keeps them, quotes included: a quote the store redacted
(a forgotten member, a deleted message, retention) is already gone and comes out empty. Discord ids are
strings, as Discord writes them. In the CSV files a cell a spreadsheet would run as a formula starts with
an apostrophe; the JSON files hold the exact text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml
from pydantic import ValidationError

from bot.core.markdown import shorten
from bot.core.records import jump_url
from bot.engine.argument_admin import TITLE_LIMIT
from bot.engine.catalogue import MAX_EXAMPLES, CatalogueArgument, TopicPack
from bot.store import Store
from bot.store.arguments import Argument
from bot.store.digests import DigestRecord
from bot.store.moderation import Case

ARGUMENTS_FILE = "arguments.pack.yaml"
CASES_CSV, CASES_JSON = "cases.csv", "cases.json"
DIGESTS_CSV, DIGESTS_JSON = "digests.csv", "digests.json"

CATALOGUE_ORIGIN = "catalogue"
PLACEHOLDER_STANDING = "debated"

CASE_FIELDS = ("number", "action", "user_id", "moderator_id", "reason", "content", "flag_id", "created_at")
DIGEST_FIELDS = (
    "id",
    "schedule_id",
    "slot",
    "scope_channel_id",
    "target_channel_id",
    "window_start",
    "window_end",
    "status",
    "posted_message_ids",
    "jump_links",
)
# A spreadsheet runs a cell that starts like a formula; members' words in a quote must never run.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class LeftOut:
    """A server argument the pack could not hold, and why."""

    slug: str
    reason: str


@dataclass(frozen=True)
class PackExport:
    text: bytes | None  # the pack's YAML; None when no argument makes a valid entry
    arguments: int
    left_out: tuple[LeftOut, ...]


@dataclass(frozen=True)
class ServerExport:
    files: dict[str, bytes]  # file name -> contents
    records: dict[str, int]  # file name -> arguments, cases or digests in it
    left_out: tuple[LeftOut, ...] = ()


async def export_server(store: Store, guild_id: int) -> ServerExport:
    """Every export file of one guild, with nothing of another guild in them."""
    cases = await store.cases.for_guild(guild_id)
    digests = await store.digests.for_guild(guild_id)
    case_rows = [_case_row(case) for case in cases]
    digest_rows = [_digest_row(digest) for digest in digests]
    files = {
        CASES_CSV: _csv(CASE_FIELDS, case_rows),
        CASES_JSON: _json(case_rows),
        DIGESTS_CSV: _csv(DIGEST_FIELDS, digest_rows),
        DIGESTS_JSON: _json(digest_rows),
    }
    records = {CASES_CSV: len(cases), CASES_JSON: len(cases), DIGESTS_CSV: len(digests), DIGESTS_JSON: len(digests)}
    pack = await server_pack(store, guild_id)
    if pack.text is not None:
        files[ARGUMENTS_FILE] = pack.text
        records[ARGUMENTS_FILE] = pack.arguments
    return ServerExport(files, records, pack.left_out)


# --- arguments -----------------------------------------------------------------------------------


async def server_pack(store: Store, guild_id: int) -> PackExport:
    """The guild's own arguments as a pack, and those that could not go in."""
    arguments = await store.arguments.list(guild_id)
    own = [a for a in arguments if a.origin != CATALOGUE_ORIGIN]
    entries, left_out = _entries(own)
    if not entries:
        return PackExport(None, 0, left_out)
    # A counter must name an argument the pack or the catalogue holds, or the pack does not validate.
    known = {entry.id for entry in entries} | {a.slug for a in arguments if a.pack is not None}
    entries = [entry.model_copy(update={"counters": [c for c in entry.counters if c in known]}) for entry in entries]
    exported = {entry.id for entry in entries}
    placeholder = [a.slug for a in own if a.standing is None and a.slug in exported]
    name = _one_line((await store.messages.guild_names()).get(guild_id) or "")
    enabled = sorted(slug for slug, state in (await store.packs.states(guild_id)).items() if state.enabled)
    edited = [a.slug for a in arguments if a.origin == CATALOGUE_ORIGIN and a.edited]
    header = _header(f"{name} ({guild_id})" if name else str(guild_id), enabled, edited, placeholder, left_out)
    pack = TopicPack(
        pack=f"server-{guild_id}", title=f"{name or f'Server {guild_id}'} arguments", version=1, arguments=entries
    )
    body = yaml.safe_dump(pack.model_dump(exclude_defaults=True), sort_keys=False, allow_unicode=True, width=100)
    return PackExport((header + body).encode("utf-8"), len(entries), left_out)


def _entries(arguments: Iterable[Argument]) -> tuple[list[CatalogueArgument], tuple[LeftOut, ...]]:
    entries: list[CatalogueArgument] = []
    left_out: list[LeftOut] = []
    for argument in arguments:
        try:
            entries.append(pack_entry(argument))
        except ValidationError as exc:
            left_out.append(LeftOut(argument.slug, _problems(exc)))
    return entries, tuple(left_out)


def pack_entry(argument: Argument) -> CatalogueArgument:
    """The argument as a pack entry; ValidationError when the format needs something it lacks."""
    claim = _one_line(argument.claim)
    return CatalogueArgument.model_validate(
        {
            "id": argument.slug,
            "title": shorten(_one_line(argument.title) or claim, TITLE_LIMIT),
            "claim": claim,
            "standing": argument.standing or PLACEHOLDER_STANDING,
            "examples": _distinct(argument.examples)[:MAX_EXAMPLES],
            "counters": [c for c in dict.fromkeys(argument.counters) if c != argument.slug],
            "sources": list(argument.sources),
            "policy": argument.policy,
        }
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _distinct(examples: Iterable[str]) -> list[str]:
    """Phrasings without blanks or repeats; the pack format counts "Foo" and "foo" as one."""
    kept: dict[str, str] = {}
    for example in examples:
        text = _one_line(example)
        if text:
            kept.setdefault(text.casefold(), text)
    return list(kept.values())


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, error['loc']))}: {error.get('ctx', {}).get('error', error['msg'])}"
        for error in exc.errors(include_url=False)
    )


def _header(
    server: str, enabled: Sequence[str], edited: Sequence[str], placeholder: Sequence[str], left_out: Sequence[LeftOut]
) -> str:
    """YAML comments: where the pack came from, and what a moderator should check or complete."""
    lines = [
        f"Topic pack exported by Clio from server {server}: the arguments its moderators added or approved.",
        f"Catalogue packs the server has enabled (not repeated here): {', '.join(enabled) or 'none'}.",
    ]
    if edited:
        lines.append(
            f"Catalogue arguments the server edited, kept in Clio only (their ids are the catalogue's): {', '.join(edited)}."
        )
    if placeholder:
        lines.append(
            f"The server records no standing for its own arguments; '{PLACEHOLDER_STANDING}' stands in, "
            f"check it for: {', '.join(placeholder)}."
        )
    lines += [f"Left out, not a complete pack entry: {item.slug}: {item.reason}" for item in left_out]
    return "".join(f"# {_one_line(line)}\n" for line in lines)


# --- cases and digests ---------------------------------------------------------------------------


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _snowflake(value: int | None) -> str | None:
    # As Discord writes them: a JSON number loses digits of an 18-digit id in most readers.
    return None if value is None else str(value)


def _case_row(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "action": case.action,
        "user_id": _snowflake(case.user_id),
        "moderator_id": _snowflake(case.moderator_id),
        "reason": case.reason,
        "content": case.content,
        "flag_id": case.flag_id,
        "created_at": _iso(case.created_at),
    }


def _digest_row(digest: DigestRecord) -> dict[str, Any]:
    channel = digest.target_channel_id
    return {
        "id": digest.id,
        "schedule_id": digest.schedule_id,
        "slot": digest.slot_key,
        "scope_channel_id": _snowflake(digest.scope_channel_id),
        "target_channel_id": _snowflake(channel),
        "window_start": _iso(digest.window_start),
        "window_end": _iso(digest.window_end),
        "status": digest.status,
        "posted_message_ids": [str(m) for m in digest.message_ids],
        "jump_links": [jump_url(digest.guild_id, channel, m) for m in digest.message_ids] if channel else [],
    }


def _json(rows: list[dict[str, Any]]) -> bytes:
    return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _csv(fields: Sequence[str], rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    """A CSV cell: lists space-separated, text that a spreadsheet would run as a formula quoted."""
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
