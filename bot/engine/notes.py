"""Context notes: Clio replies once to a message that clearly makes a catalogued argument, with the
argument's claim, what to read about it, its counter-arguments and how often it comes up.

Notes are opt-in per channel and rare by design. :func:`choose_notes` decides, without I/O, which
freshly tagged messages get one:

- the channel (or the thread's parent) is in ``note_channels``;
- the message is recent: backfill after downtime must not reply to yesterday's conversation;
- the tag's probability reaches ``note_threshold`` and the argument is active with notes enabled;
- that argument had no note in that channel within ``note_cooldown_hours``: a channel arguing about
  one thing for an hour hears the note once, not every few minutes;
- a message gets one note at most (its most probable qualifying argument), ever: an edit that
  re-tags it does not bring a second.

The rest of the module renders what a note says, as plain embed dicts (the cog turns them into
discord.py objects); ``/arguments show`` reuses the same pieces.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.core.guild_config import GuildConfig
from bot.core.markdown import escape_inline
from bot.engine.catalogue import standing_text
from bot.store.arguments import ACTIVE, Argument
from bot.store.notes import Usage

# Older messages (seen through backfill) get no note.
NOTE_MAX_AGE = 3600.0
USAGE_DAYS = 30
NOTE_COLOUR = 0x5B7DB1


@dataclass(frozen=True)
class TaggedMessage:
    message_id: int
    channel_id: int
    created_at: float
    tags: Sequence[tuple[int, float]]  # (argument id, probability), best first
    parent_id: int | None = None  # the channel a thread belongs to


@dataclass(frozen=True)
class Note:
    message_id: int
    channel_id: int
    argument_id: int
    probability: float


def choose_notes(
    messages: Sequence[TaggedMessage],
    config: GuildConfig,
    arguments: Mapping[int, Argument],
    last_posted: Mapping[tuple[int, int], float],
    already_noted: Collection[int],
    now: float,
    max_age: float = NOTE_MAX_AGE,
) -> list[Note]:
    """The notes to post for one guild's batch, oldest message first.

    ``last_posted`` maps (channel id, argument id) to the latest note there; ``already_noted`` holds
    the ids of messages that got a note before.
    """
    cooldown = config.note_cooldown_hours * 3600.0
    latest = dict(last_posted)  # grows as notes are chosen, so a batch honours its own cooldown too
    channels = set(config.note_channels)
    notes: list[Note] = []
    for message in sorted(messages, key=lambda m: m.message_id):
        if message.message_id in already_noted or now - message.created_at > max_age:
            continue
        if message.channel_id not in channels and message.parent_id not in channels:
            continue
        for argument_id, probability in message.tags:
            argument = arguments.get(argument_id)
            if argument is None or argument.status != ACTIVE or not argument.notes_enabled:
                continue
            if probability < config.note_threshold:
                continue
            last = latest.get((message.channel_id, argument_id))
            if last is not None and now - last < cooldown:
                continue
            notes.append(Note(message.message_id, message.channel_id, argument_id, probability))
            latest[(message.channel_id, argument_id)] = now
            break
    return notes


# --- what a note says ----------------------------------------------------------------------------

FIELD_LIMIT = 1024


def bullet_list(lines: Sequence[str], limit: int = FIELD_LIMIT) -> str:
    """Bulleted lines, as many as fit in ``limit``, with a count of those left out."""
    out: list[str] = []
    used = 0
    for position, line in enumerate(lines):
        item = f"• {line}"
        more = len(lines) - position - 1
        reserve = len(f"\n… and {more} more") if more else 0
        if used + len(item) + 1 + reserve > limit:
            out.append(f"… and {len(lines) - position} more")
            break
        out.append(item)
        used += len(item) + 1
    return "\n".join(out)


def source_text(source: Mapping) -> str:
    """``Author, *Title* (year)``, the title linked when there is an address."""
    title = escape_inline(source.get("title") or "untitled", 200)
    title = f"[{title}]({source['url']})" if source.get("url") else f"*{title}*"
    year = f" ({source['year']})" if source.get("year") else ""
    author = f"{escape_inline(source['author'], 100)}, " if source.get("author") else ""
    return f"{author}{title}{year}"


def usage_text(usage: Usage, days: int = USAGE_DAYS) -> str:
    if not usage.total:
        return "Not seen in this server yet."
    people = "person" if usage.authors == 1 else "people"
    times = "time" if usage.messages == 1 else "times"
    return f"{usage.messages} {times} from {usage.authors} {people} in the last {days} days ({usage.total} in all)."


def argument_fields(argument: Argument, counters: Sequence[Argument], usage: Usage) -> list[dict]:
    """The embed fields a note and ``/arguments show`` share."""
    fields = []
    standing = standing_text(argument.standing)
    if standing:
        fields.append({"name": "Where historians stand", "value": standing + "."})
    for name, role in (("Further reading", "supports"), ("Rebuttals", "rebuts")):
        sources = [source_text(s) for s in argument.sources if (s.get("role") or "supports") == role]
        if sources:
            fields.append({"name": name, "value": bullet_list(sources)})
    if counters:
        fields.append(
            {"name": "Counter-arguments", "value": bullet_list([escape_inline(c.label, 200) for c in counters])}
        )
    fields.append({"name": "How often it comes up", "value": usage_text(usage)})
    return fields


def note_embed(argument: Argument, counters: Sequence[Argument], usage: Usage) -> dict:
    return {
        "title": escape_inline(f"Context: {argument.label}", 256),
        "description": escape_inline(argument.claim, 4096),
        "color": NOTE_COLOUR,
        "fields": argument_fields(argument, counters, usage),
        "footer": {
            "text": "Clio context note: a recurring argument, with sources on it. "
            "Moderators can turn these off with /clio arguments notes."
        },
    }


def counters_of(argument: Argument, active: Sequence[Argument]) -> list[Argument]:
    """The argument's counter-arguments (stored as slugs) that are still active in the guild."""
    by_slug = {a.slug: a for a in active}
    return [by_slug[slug] for slug in argument.counters if slug in by_slug and slug != argument.slug]
