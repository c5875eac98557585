"""Moderators' work on a guild's arguments: add, edit and remove them, correct a message's tags, and see
what the matcher thinks of a message.

Every change to arguments or corrections goes through the tagging service's ``inputs``, so the next
message is tagged with what the moderators just said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import ValidationError

from bot.core.errors import UnknownArgument, UserError
from bot.core.markdown import escape_inline
from bot.engine.catalogue import SLUG_PATTERN, Source
from bot.engine.tagging import TaggingService
from bot.store import Store
from bot.store.arguments import ACTIVE, Argument

REMOVED = "removed"
CLAIM_LIMIT = 300
TITLE_LIMIT = 80
# "[Rebuts: ]Author - Title (1999) https://..." with a spaced dash, so hyphenated names survive. A source
# argues for the claim unless the line starts with "Rebuts:".
_SOURCE_LINE = re.compile(
    r"^(?:(?P<role>supports|rebuts)\s*:\s*)?(?P<author>.+?)\s+[-–—]\s+(?P<title>.+?)"
    r"(?:\s*\((?P<year>-?\d{1,4})\))?(?:\s+(?P<url>https?://\S+))?$",
    re.IGNORECASE,
)


# --- the add/edit form ---------------------------------------------------------------------------


def parse_lines(text: str) -> list[str]:
    return [line.strip().lstrip("•*-").strip() for line in text.splitlines() if line.strip().lstrip("•*-").strip()]


def parse_source(line: str) -> dict:
    match = _SOURCE_LINE.match(line.strip())
    if match is None:
        raise UserError(
            f"Cannot read the source `{line}`: write `Author - Title (year) https://link`, "
            "starting with `Rebuts:` for a work that argues against the claim."
        )
    fields: dict[str, str] = {key: value for key, value in match.groupdict().items() if value}
    fields["role"] = fields.get("role", "supports").lower()
    try:
        return Source.model_validate(fields).model_dump(exclude_none=True)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UserError(f"The source `{line}` is not valid ({problems}).") from None


def source_line(source: dict) -> str:
    """A stored source as the form shows it; ``parse_source`` reads it back unchanged."""
    year = f" ({source['year']})" if source.get("year") else ""
    url = f" {source['url']}" if source.get("url") else ""
    role = "Rebuts: " if source.get("role") == "rebuts" else ""
    return f"{role}{source['author']} - {source['title']}{year}{url}"


@dataclass(frozen=True)
class ArgumentForm:
    """What the add/edit form asks for, as text, one item per line for the lists."""

    title: str = ""
    claim: str = ""
    examples: str = ""
    counters: str = ""
    sources: str = ""

    @classmethod
    def of(cls, argument: Argument) -> ArgumentForm:
        return cls(
            title=argument.title,
            claim=argument.claim,
            examples="\n".join(argument.examples),
            counters="\n".join(argument.counters),
            sources="\n".join(source_line(s) for s in argument.sources),
        )

    async def changes(self, store: Store, guild_id: int, slug: str) -> dict:
        """Validated argument fields. Counters must name other active arguments of the guild."""
        claim = " ".join(self.claim.split())
        if not claim:
            raise UserError("An argument needs a claim.")
        if len(claim) > CLAIM_LIMIT:
            raise UserError(f"Keep the claim to one sentence of at most {CLAIM_LIMIT} characters.")
        title = " ".join(self.title.split())
        if len(title) > TITLE_LIMIT:
            raise UserError(f"Keep the title to at most {TITLE_LIMIT} characters.")
        counters = [c.lower() for c in re.split(r"[\s,]+", self.counters) if c]
        active = {a.slug for a in await store.arguments.list(guild_id)}
        unknown = [c for c in counters if c not in active or c == slug]
        if unknown:
            raise UserError(f"Counter-arguments must be other arguments of this server; unknown: {', '.join(unknown)}.")
        return {
            "title": title,
            "claim": claim,
            "examples": list(dict.fromkeys(parse_lines(self.examples))),
            "counters": list(dict.fromkeys(counters)),
            "sources": [parse_source(line) for line in parse_lines(self.sources)],
        }


# --- changes -------------------------------------------------------------------------------------


async def find_argument(store: Store, guild_id: int, name: str) -> Argument:
    """An active argument of the guild by slug (what autocomplete fills in) or by ``#id``."""
    name = name.strip()
    argument = await store.arguments.by_slug(guild_id, name.lower())
    if argument is None and name.lstrip("#").isdigit():
        argument = await store.arguments.get(guild_id, int(name.lstrip("#")))
    if argument is None or argument.status != ACTIVE:
        raise UnknownArgument(name)
    return argument


async def check_new_name(store: Store, tagging: TaggingService, guild_id: int, slug: str) -> str:
    """The normalised short name for a new argument; raises when it is malformed or taken."""
    slug = slug.strip().lower()
    if not re.match(SLUG_PATTERN, slug):
        raise UserError(f"`{slug}` cannot be a short name: use lowercase letters, digits and dashes.")
    await tagging.ensure_guild(guild_id)  # catalogue arguments take their names first
    existing = await store.arguments.by_slug(guild_id, slug)
    if existing is not None:
        state = "" if existing.status == ACTIVE else f" ({existing.status})"
        raise UserError(f"This server already has an argument called `{slug}`{state}; pick another short name.")
    return slug


async def add_argument(
    store: Store,
    tagging: TaggingService,
    guild_id: int,
    slug: str,
    form: ArgumentForm,
    threshold: float | None = None,
    policy: str | None = None,
) -> Argument:
    slug = await check_new_name(store, tagging, guild_id, slug)
    fields = await form.changes(store, guild_id, slug)
    async with tagging.inputs.change(guild_id):
        argument_id = await store.arguments.add(guild_id, slug, policy=policy, **fields)
        if threshold is not None:
            await store.arguments.update(guild_id, argument_id, threshold=threshold)
    return await store.arguments.require(guild_id, argument_id)


async def edit_argument(
    store: Store,
    tagging: TaggingService,
    guild_id: int,
    argument: Argument,
    form: ArgumentForm | None = None,
    **changes,
) -> Argument:
    if form is not None:
        changes = {**await form.changes(store, guild_id, argument.slug), **changes}
    async with tagging.inputs.change(guild_id):
        await store.arguments.update(guild_id, argument.id, **changes)
    return await store.arguments.require(guild_id, argument.id)


async def remove_argument(store: Store, tagging: TaggingService, guild_id: int, argument: Argument) -> Argument:
    """Stop tagging with an argument. Its row stays (status ``removed``): past tags keep their meaning,
    and a removed catalogue argument is not copied in again."""
    return await edit_argument(store, tagging, guild_id, argument, status=REMOVED)


async def correct_tag(
    store: Store,
    tagging: TaggingService,
    guild_id: int,
    message_id: int,
    argument_id: int,
    accepted: bool,
    moderator_id: int,
) -> Argument:
    """A moderator's verdict that a message does (or does not) make an argument; the matcher then
    uses the message as an example (or a rejection) of it."""
    argument = await store.arguments.get(guild_id, argument_id)
    if argument is None or argument.status != ACTIVE:
        raise UserError("That argument is no longer active in this server.")
    if not await store.messages.get(guild_id, [message_id]):
        raise UserError("I have not stored that message, so I cannot learn from it.")
    async with tagging.inputs.change(guild_id):
        await store.tags.set_by_moderator(guild_id, message_id, argument_id, accepted, moderator_id)
    return argument


# --- what the matcher thinks of a message --------------------------------------------------------


async def message_vector(
    store: Store, tagging: TaggingService, guild_id: int, message_id: int, content: str
) -> np.ndarray:
    """The embedding of a stored message (cached), else of the given text (not cached: the message is not
    stored, so there is no row to attach it to)."""
    stored = (await store.messages.get(guild_id, [message_id])).get(message_id)
    if stored is not None and stored.content.strip():
        return (await tagging.vectors(guild_id, {message_id: stored.content}))[message_id]
    if not content.strip():
        raise UserError("That message has no text to compare with the arguments.")
    return (await tagging.embedder.embed([content]))[0]


async def rank_arguments(
    store: Store, tagging: TaggingService, guild_id: int, vectors: np.ndarray, limit: int = 25
) -> list[list[tuple[Argument, float]]]:
    """Per vector, the guild's active arguments from most to least probable (at most ``limit``)."""
    matcher = await tagging.matcher_for(guild_id)
    active = {a.id: a for a in await store.arguments.list(guild_id)}
    probabilities = matcher.probabilities(vectors)
    ids = [p.argument_id for p in matcher.profiles]
    ranked = []
    for row in probabilities:
        order = np.argsort(-row, kind="stable")
        ranked.append([(active[ids[i]], float(row[i])) for i in order if ids[i] in active][:limit])
    return ranked


@dataclass(frozen=True)
class TagExplanation:
    argument: Argument
    probability: float
    threshold: float
    tagged: bool  # what the matcher decides now
    blocked: bool  # held back: closer to a text a moderator rejected than to the argument
    best_kind: str  # "claim", "example" or "confirmed message"
    best_text: str | None  # None for a confirmed message: it may come from a channel the asker cannot read
    best_similarity: float
    verdict: bool | None = None  # a moderator's "is" (True) or "is not" (False)


async def explain_message(
    store: Store, tagging: TaggingService, guild_id: int, message_id: int, content: str, limit: int = 5
) -> list[TagExplanation]:
    """The message's tags (the matcher's and moderators'), most probable first; when it has none, the
    closest arguments, to show how far it was from a tag."""
    vector = await message_vector(store, tagging, guild_id, message_id, content)
    matcher = await tagging.matcher_for(guild_id)
    active = {a.id: a for a in await store.arguments.list(guild_id)}
    verdicts = {
        t.argument_id: t.accepted
        for t in (await store.tags.for_messages(guild_id, [message_id])).get(message_id, [])
        if t.source == "moderator"
    }
    rows = [row for row in matcher.explain(vector) if row["argument_id"] in active]
    chosen = [row for row in rows if row["tagged"] or row["argument_id"] in verdicts] or rows[:3]
    return [_explanation(row, active[row["argument_id"]], verdicts.get(row["argument_id"])) for row in chosen[:limit]]


def _explanation(row: dict, argument: Argument, verdict: bool | None) -> TagExplanation:
    best_kind, best_text, best = "claim", row["claim"], row["claim_similarity"]
    own = set(argument.examples)
    for example in row["examples"]:
        if example["similarity"] > best:
            best = example["similarity"]
            if example["text"] in own:
                best_kind, best_text = "example", example["text"]
            else:
                best_kind, best_text = "confirmed message", None
    return TagExplanation(
        argument=argument,
        probability=row["probability"],
        threshold=row["threshold"],
        tagged=row["tagged"],
        blocked=row["blocked_by_rejected"],
        best_kind=best_kind,
        best_text=best_text,
        best_similarity=best,
        verdict=verdict,
    )


def explanation_lines(explanations: Sequence[TagExplanation]) -> list[str]:
    """Markdown, one paragraph per argument."""
    lines = []
    for e in explanations:
        if e.verdict is not None:
            status = "a moderator says it **is**" if e.verdict else "a moderator says it is **not**"
        elif e.tagged:
            status = "tagged"
        elif e.blocked:
            status = "not tagged: closer to a message a moderator rejected"
        else:
            status = "not tagged"
        quoted = f" “{escape_inline(e.best_text, 150)}”" if e.best_text else ""
        lines.append(
            f"**{escape_inline(e.argument.label, 200)}** ({status})\n"
            f"probability {e.probability:.2f}, threshold {e.threshold:.2f}; "
            f"closest: the {e.best_kind}{quoted}, similarity {e.best_similarity:.2f}"
        )
    return lines
