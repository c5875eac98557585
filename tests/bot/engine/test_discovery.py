"""Discovery: recurring clusters of unexplained messages become candidates moderators act on."""

from __future__ import annotations

import hashlib
import random
from typing import cast

import numpy as np
import pytest

from bot.core.config import Settings, get_settings
from bot.core.records import IncomingMessage
from bot.engine.discovery import (
    ClusterItem,
    approve_candidate,
    discover,
    dismiss_candidate,
    find_recurring_clusters,
    merge_candidate,
    text_key,
    trim,
    words,
)
from bot.engine.matcher import Calibration, Matcher
from bot.engine.matcher_inputs import MatcherInputs
from bot.engine.notes import note_embed
from bot.engine.tagging import TaggingService
from bot.store import Store
from bot.store.notes import Usage

DIM = 64
DAY = 86400.0
T0 = 1_700_000_000.0  # a Tuesday, 22:13 UTC: messages below stay on the day they name
GUILD, OTHER_GUILD = 1, 2
CHANNEL = 10

_rng = np.random.default_rng(20240501)
TOPICS = _rng.normal(size=(6, DIM))
TOPICS /= np.linalg.norm(TOPICS, axis=1, keepdims=True)


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def near(topic: int, seed: int, spread: float = 0.5) -> np.ndarray:
    """A phrasing of a planted topic: pairwise cosine about 0.8 with its siblings."""
    noise = np.random.default_rng(seed).normal(size=DIM) / np.sqrt(DIM)
    return unit(TOPICS[topic] + spread * noise)


def stable_seed(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def random_vector(seed: int) -> np.ndarray:
    return unit(np.random.default_rng(seed).normal(size=DIM))


def at(day: int, minute: int = 0) -> float:
    return T0 - 22 * 3600 + day * DAY + 3600 + minute * 60


class Planted:
    """Messages with planted vectors, for the pure function and for the store."""

    def __init__(self) -> None:
        self.items: list[ClusterItem] = []
        self.vectors: dict[str, np.ndarray] = {}
        self.next_id = 1000

    def add(self, author: int, day: int, text: str, vector: np.ndarray, minute: int = 0) -> int:
        self.next_id += 1
        self.items.append(ClusterItem(self.next_id, author, at(day, minute), text, vector))
        self.vectors[text] = vector
        return self.next_id

    def topic(self, topic: int, authors: list[int], days: list[int], tag: str = "") -> set[int]:
        ids = set()
        for i, (author, day) in enumerate(zip(authors, days)):
            text = f"topic {topic}{tag} phrasing {i}: people keep making this same point again"
            ids.add(self.add(author, day, text, near(topic, stable_seed(f"{topic}{tag}/{i}")), minute=i))
        return ids

    def noise(self, count: int, seed: int = 0) -> set[int]:
        return {
            self.add(
                500 + i % 9,
                i % 5,
                f"unrelated remark number {seed}-{i} about something else entirely",
                random_vector(seed * 1000 + i),
                minute=i,
            )
            for i in range(count)
        }


def member_ids(cluster) -> set[int]:
    return {m.message_id for m in cluster.members}


# --- the pure clustering ---------------------------------------------------------------------------


def test_recurring_topics_are_found_and_noise_is_not():
    p = Planted()
    a = p.topic(0, authors=[1, 2, 3, 4, 1, 2, 3, 4], days=[0, 0, 1, 1, 2, 2, 3, 3])
    b = p.topic(1, authors=[5, 6, 7, 5, 6, 7], days=[3, 3, 5, 5, 5, 5])
    p.noise(40)

    clusters = find_recurring_clusters(p.items, min_messages=5, min_authors=3, min_days=2, similarity=0.55)

    assert [member_ids(c) for c in clusters] == [a, b]
    first = clusters[0]
    assert (first.messages, first.distinct_texts, first.authors, first.days) == (8, 8, 4, 4)
    assert first.first_seen == min(i.created_at for i in p.items if i.message_id in a)
    assert first.last_seen == max(i.created_at for i in p.items if i.message_id in a)
    assert first.central.message_id in a
    assert 0.8 < first.cohesion <= 1.0


def test_one_author_or_one_day_is_not_recurring():
    p = Planted()
    one_author = p.topic(2, authors=[1] * 7, days=[0, 1, 2, 3, 4, 5, 6])
    one_day = p.topic(3, authors=[1, 2, 3, 4, 5, 6], days=[2] * 6)
    p.noise(20)

    assert find_recurring_clusters(p.items) == []
    # The rule is configurable: relax it and each comes back.
    assert [member_ids(c) for c in find_recurring_clusters(p.items, min_authors=1)] == [one_author]
    assert [member_ids(c) for c in find_recurring_clusters(p.items, min_days=1)] == [one_day]


def test_the_same_text_posted_again_and_again_is_not_recurring():
    p = Planted()
    spam = near(4, 1)
    for i in range(6):  # 1-2 authors over 3 days, with the noise spammers add to dodge filters
        text = [
            "FREE nitro for active members, claim it now!!",
            "free nitro for active members claim it now",
            "Free Nitro for active members, claim it now https://dlscord.gift/x?u=1",
        ][i % 3]
        p.items.append(ClusterItem(2000 + i, 1 + i % 2, at(i // 2, i), text, spam))
    # Copypasta from five authors is still one text.
    for i in range(5):
        text = "this is the copypasta everyone pastes here"
        p.items.append(ClusterItem(3000 + i, 10 + i, at(i, i), text, near(5, 9)))
    p.noise(20)

    assert find_recurring_clusters(p.items) == []
    assert find_recurring_clusters(p.items, min_messages=2, min_authors=1) == []


def test_short_chatter_is_ignored():
    p = Planted()
    for i, text in enumerate(["lol", "agreed", "this ^", "lmao true", "so true tbh", "+1", "ok but why"] * 2):
        p.add(1 + i % 4, i % 3, f"{text} <@{i}>", near(0, i))
    assert find_recurring_clusters(p.items) == []
    assert words("read this https://example.com/a-b <@123> <:pog:42> now ok") == ["read", "this", "now", "ok"]


def test_central_message_is_the_suggested_claim_and_examples_are_diverse():
    p = Planted()
    ids = p.topic(0, authors=[1, 2, 3, 4, 5, 6, 7, 8, 9], days=[0, 1, 2, 3, 4, 5, 6, 7, 8])
    centre = p.add(3, 4, "the clearest statement of topic zero, right in the middle", unit(TOPICS[0]))
    p.noise(10)

    [cluster] = find_recurring_clusters(p.items)
    assert member_ids(cluster) == ids | {centre}
    assert cluster.central.message_id == centre
    examples = [e.message_id for e in cluster.examples]
    assert examples[0] == centre and len(examples) == 5 and len(set(examples)) == 5
    assert set(examples) <= member_ids(cluster)


def test_ties_and_input_order_do_not_change_the_result():
    p = Planted()
    same = unit(TOPICS[2])  # identical vectors: every member is equally central
    for i in range(6):
        p.add(1 + i % 3, i % 2, f"word for word the same idea, phrased differently {i}", same)
    p.topic(0, authors=[1, 2, 3, 4, 5], days=[0, 1, 2, 3, 4])
    p.noise(30)

    def summary(items):
        return [
            (c.message_ids, c.central.message_id, [e.message_id for e in c.examples])
            for c in find_recurring_clusters(items)
        ]

    expected = summary(p.items)
    assert len(expected) == 2
    tied = next(s for s in expected if len(s[0]) == 6)
    assert tied[1] == min(tied[0])  # the earliest message wins a tie
    shuffled = list(p.items)
    random.Random(3).shuffle(shuffled)
    assert summary(shuffled) == expected


def test_ten_thousand_messages():
    p = Planted()
    planted = [p.topic(t, authors=list(range(1, 9)), days=list(range(8)), tag=f"-{t}") for t in range(4)]
    p.noise(10_000 - 32, seed=7)
    found = find_recurring_clusters(p.items)
    assert sorted(map(sorted, map(member_ids, found))) == sorted(map(sorted, planted))


def test_helpers():
    assert text_key("Hello,  WORLD!! <@42> https://x.y/z") == text_key("hello world")
    long = "word " * 100
    assert len(trim(long, 30)) <= 30 and trim(long, 30).endswith("word…")
    assert trim("  short\n text ") == "short text"


# --- discovery over a store ----------------------------------------------------------------------


class FakeEmbedder:
    model_id = "planted"

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    async def embed(self, texts):
        def vector(text: str) -> np.ndarray:
            if text in self.table:
                return self.table[text]
            return random_vector(stable_seed(text))

        return np.stack([vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)


class FakeTagging:
    """What discovery needs of TaggingService, with planted vectors and a record of the calls.

    Tests cast it to TaggingService where a signature asks for one."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.inputs = MatcherInputs()
        self.retagged: list[int] = []

    async def ensure_guild(self, guild_id: int) -> None:
        pass

    async def retag_guild(self, guild_id: int) -> int:
        self.retagged.append(guild_id)
        return 0

    async def vectors(self, guild_id: int, texts_by_id: dict[int, str]) -> dict[int, np.ndarray]:
        return dict(zip(texts_by_id, await self.embedder.embed(list(texts_by_id.values()))))

    async def argument_vectors(self, texts: list[str]) -> np.ndarray:
        return await self.embedder.embed(texts)

    async def matcher_for(self, guild_id: int) -> Matcher:
        return Matcher(self.embedder, Calibration(1.0, 0.0, 0.5))  # indexes no argument: explains nothing


# _env_file is a BaseSettings.__init__ argument that pyright's synthesized pydantic signature leaves out.
SETTINGS = Settings(
    _env_file=None,  # pyright: ignore[reportCallIssue]
    discovery_min_messages=5,
    discovery_min_authors=3,
    discovery_min_days=2,
    discovery_similarity=0.55,
)


@pytest.fixture
async def store(database_url):
    store = await Store.open(database_url)
    yield store
    await store.close()


async def save(store: Store, p: Planted, guild_id: int = GUILD, bots: frozenset[int] = frozenset()) -> None:
    await store.messages.upsert(
        [
            IncomingMessage(
                id=i.message_id,
                guild_id=guild_id,
                channel_id=CHANNEL + guild_id,
                author_id=i.author_id,
                created_at=i.created_at,
                content=i.text,
                author_name=f"user{i.author_id}",
                author_is_bot=i.author_id in bots,
            )
            for i in p.items
        ]
    )


@pytest.fixture
async def world(store):
    """Guild 1 with two recurring topics among noise."""
    p = Planted()
    a = p.topic(0, authors=[1, 2, 3, 4, 1, 2, 3, 4], days=[0, 0, 1, 1, 2, 2, 3, 3])
    b = p.topic(1, authors=[5, 6, 7, 5, 6, 7], days=[3, 3, 5, 5, 5, 5])
    p.noise(30)
    await save(store, p)
    return p, a, b, FakeTagging(FakeEmbedder(p.vectors))


async def test_discover_creates_candidates_once(store, world):
    _p, a, b, tagging = world
    results = await discover(store, tagging, GUILD, settings=SETTINGS)

    assert [set(r.argument.evidence["message_ids"]) for r in results] == [a, b]
    assert all(r.created for r in results)
    first = results[0].argument
    assert (first.origin, first.status) == ("discovered", "candidate")
    assert first.slug.startswith("candidate-")
    assert first.claim == results[0].cluster.central.text
    assert first.claim not in first.examples and len(first.examples) == 4
    evidence = first.evidence
    assert (evidence["messages"], evidence["authors"], evidence["days"]) == (8, 4, 4)
    assert evidence["central_message_id"] == results[0].cluster.central.message_id
    assert evidence["example_links"][0] == (
        f"https://discord.com/channels/{GUILD}/{CHANNEL + GUILD}/{evidence['central_message_id']}"
    )

    again = await discover(store, tagging, GUILD, settings=SETTINGS)
    assert [r.argument.id for r in again] == [r.argument.id for r in results]
    assert not any(r.created for r in again)
    assert len(await store.arguments.list(GUILD, ("candidate",))) == 2


async def test_a_growing_cluster_refreshes_its_candidate(store, world):
    p, a, _b, tagging = world
    [first, _] = await discover(store, tagging, GUILD, settings=SETTINGS)
    more = p.topic(0, authors=[8, 9, 8], days=[6, 7, 7], tag="-later")
    await save(store, p)

    results = await discover(store, tagging, GUILD, settings=SETTINGS)
    assert results[0].argument.id == first.argument.id and not results[0].created
    assert set(results[0].argument.evidence["message_ids"]) == a | more
    assert results[0].argument.evidence["authors"] == 6
    assert len(await store.arguments.list(GUILD, ("candidate",))) == 2


async def test_a_candidate_is_known_by_its_members_not_only_its_wording(store, world):
    _p, _a, _b, tagging = world
    [first, _] = await discover(store, tagging, GUILD, settings=SETTINGS)
    await store.arguments.update(GUILD, first.argument.id, claim="reworded beyond recognition", examples=[])
    results = await discover(store, tagging, GUILD, settings=SETTINGS)
    assert results[0].argument.id == first.argument.id and not results[0].created
    assert len(await store.arguments.list(GUILD, ("candidate",))) == 2


async def test_a_dismissed_candidate_stays_dismissed(store, world):
    p, _a, _b, tagging = world
    [first, second] = await discover(store, tagging, GUILD, settings=SETTINGS)
    dismissed = await dismiss_candidate(store, GUILD, first.argument.id)
    assert dismissed.status == "dismissed"
    assert (await dismiss_candidate(store, GUILD, first.argument.id)).status == "dismissed"  # idempotent

    results = await discover(store, tagging, GUILD, settings=SETTINGS)
    assert [r.argument.id for r in results] == [second.argument.id]

    # The same argument made again later, by new messages only, is still the dismissed one.
    p.topic(0, authors=[8, 9, 10, 11, 8], days=[10, 10, 11, 11, 12], tag="-again")
    await save(store, p)
    assert await discover(store, tagging, GUILD, since=at(9), settings=SETTINGS) == []
    assert [r.argument.id for r in await discover(store, tagging, GUILD, settings=SETTINGS)] == [second.argument.id]
    assert (await store.arguments.get(GUILD, first.argument.id)).status == "dismissed"


async def test_explained_messages_bots_and_the_window_are_respected(store, world):
    _p, a, b, tagging = world
    known = await store.arguments.add(GUILD, "known", "an argument the guild already has")
    for message_id in b:
        await store.tags.set_by_moderator(GUILD, message_id, known, accepted=True, moderator_id=99)
    results = await discover(store, tagging, GUILD, settings=SETTINGS)
    assert [set(r.argument.evidence["message_ids"]) for r in results] == [a]

    # A rejected tag explains nothing.
    for message_id in b:
        await store.tags.set_by_moderator(GUILD, message_id, known, accepted=False, moderator_id=99)
    assert len(await discover(store, tagging, GUILD, settings=SETTINGS)) == 2

    # Topic 0's messages span days 0-3: a window from day 2 leaves too few.
    windowed = await discover(store, tagging, GUILD, since=at(2), until=at(9), settings=SETTINGS)
    assert [set(r.argument.evidence["message_ids"]) for r in windowed] == [b]


async def test_bots_are_left_out(store):
    p = Planted()
    p.topic(0, authors=[1, 2, 3, 4, 5, 6], days=[0, 1, 2, 3, 4, 5])
    await save(store, p, bots=frozenset({1, 2, 3, 4}))
    tagging = cast(TaggingService, FakeTagging(FakeEmbedder(p.vectors)))
    assert await discover(store, tagging, GUILD, settings=SETTINGS) == []


async def test_a_cluster_close_to_an_active_argument_is_already_explained(store, world):
    p, a, _b, tagging = world
    claim = "the catalogue already states topic one"
    p.vectors[claim] = unit(TOPICS[1])
    await store.arguments.add(GUILD, "topic-one", claim)
    results = await discover(store, tagging, GUILD, settings=SETTINGS)
    assert [set(r.argument.evidence["message_ids"]) for r in results] == [a]


async def test_approve(store, world):
    _p, _a, _b, tagging = world
    [first, second] = await discover(store, tagging, GUILD, settings=SETTINGS)

    approved = await approve_candidate(store, tagging, GUILD, second.argument.id, title="Topic one")
    assert (approved.status, approved.origin, approved.title) == ("active", "discovered", "Topic one")
    assert approved.examples == second.argument.examples and approved.claim == second.argument.claim
    assert tagging.inputs.version(GUILD) == 1 and tagging.retagged == [GUILD]
    # Approved, it explains its own cluster: no candidate comes back for it.
    assert [r.argument.id for r in await discover(store, tagging, GUILD, settings=SETTINGS)] == [first.argument.id]

    edited = await approve_candidate(store, tagging, GUILD, first.argument.id, claim="Topic zero, stated well.")
    assert edited.claim == "Topic zero, stated well."
    assert edited.examples[-1] == first.argument.claim  # the suggested claim stays a phrasing
    assert tagging.retagged == [GUILD, GUILD]
    assert await approve_candidate(store, tagging, GUILD, first.argument.id) == edited  # idempotent
    assert tagging.retagged == [GUILD, GUILD]


async def test_merge(store, world):
    _p, _a, _b, tagging = world
    target_id = await store.arguments.add(GUILD, "target", "an existing argument", examples=["one phrasing"])
    [first, second] = await discover(store, tagging, GUILD, settings=SETTINGS)

    with pytest.raises(ValueError):
        await merge_candidate(store, tagging, GUILD, first.argument.id, second.argument.id)  # not active
    with pytest.raises(ValueError):
        await merge_candidate(store, tagging, GUILD, first.argument.id, first.argument.id)

    target = await merge_candidate(store, tagging, GUILD, first.argument.id, target_id)
    assert target.id == target_id
    assert target.examples == ("one phrasing", first.argument.claim, *first.argument.examples)
    merged = await store.arguments.get(GUILD, first.argument.id)
    assert (merged.status, merged.merged_into) == ("merged", target_id)
    assert tagging.inputs.version(GUILD) == 1 and tagging.retagged == [GUILD]
    assert await merge_candidate(store, tagging, GUILD, first.argument.id, target_id) == target  # idempotent
    with pytest.raises(ValueError):
        await approve_candidate(store, tagging, GUILD, first.argument.id)

    assert [r.argument.id for r in await discover(store, tagging, GUILD, settings=SETTINGS)] == [second.argument.id]


async def test_merge_caps_examples_but_always_adds_something(store, world):
    _p, _a, _b, tagging = world
    full = [f"existing phrasing number {i}" for i in range(12)]
    target_id = await store.arguments.add(GUILD, "full", "a well-described argument", examples=full)
    [first, _] = await discover(store, tagging, GUILD, settings=SETTINGS)
    target = await merge_candidate(store, tagging, GUILD, first.argument.id, target_id, retag=False)
    assert target.examples == (*full, first.argument.claim)
    assert tagging.retagged == []


async def test_guilds_are_isolated(store, world):
    _p, _a, _b, tagging = world
    q = Planted()
    q.next_id = 50_000
    c = q.topic(2, authors=[1, 2, 3], days=[0, 1, 2]) | q.topic(2, authors=[4, 5], days=[3, 4], tag="b")
    await save(store, q, guild_id=OTHER_GUILD)
    other_tagging = cast(TaggingService, FakeTagging(FakeEmbedder(q.vectors)))

    mine = await discover(store, tagging, GUILD, settings=SETTINGS)
    theirs = await discover(store, other_tagging, OTHER_GUILD, settings=SETTINGS)
    assert [set(r.argument.evidence["message_ids"]) for r in theirs] == [c]
    foreign = theirs[0].argument.id
    target = await store.arguments.add(GUILD, "target", "an existing argument")

    for action in (
        approve_candidate(store, tagging, GUILD, foreign),
        merge_candidate(store, tagging, GUILD, foreign, target),
        merge_candidate(store, tagging, GUILD, mine[0].argument.id, foreign),
    ):
        with pytest.raises(LookupError):
            await action
    with pytest.raises(LookupError):
        await dismiss_candidate(store, GUILD, foreign)
    with pytest.raises(ValueError):  # a moderator's own argument is no candidate
        await dismiss_candidate(store, GUILD, target)
    assert (await store.arguments.get(OTHER_GUILD, foreign)).status == "candidate"


# --- the real model ------------------------------------------------------------------------------

WINTER_WAR = [
    (1, 0, "The Winter War exposed how weak the Red Army was, and Hitler took careful note of it."),
    (2, 0, "Finland humiliated the Soviets in 1939-40, which convinced Hitler the USSR would collapse quickly."),
    (3, 1, "After watching the Red Army struggle against tiny Finland, Hitler decided invading Russia would be easy."),
    (4, 1, "The Soviet performance in the Winter War was so bad that it encouraged Germany to attack in 1941."),
    (
        1,
        2,
        "Stalin's failure against the Finns showed everyone the Red Army was a paper tiger, and Hitler believed it.",
    ),
    (2, 2, "The Red Army's disaster in Finland made Hitler badly underestimate the Soviet Union."),
    (
        3,
        2,
        "Honestly the Winter War is why Hitler thought Barbarossa would be a quick win, "
        "the Soviets looked incompetent.",
    ),
]
CHATTER = [
    (5, 0, "Roman concrete lasted so long because of the volcanic ash they mixed into it."),
    (6, 0, "Does anyone have a good book recommendation on the Byzantine Empire?"),
    (7, 0, "The Treaty of Versailles was far too harsh on Germany and made another war likely."),
    (5, 1, "Napoleon lost in Russia mostly because of supply problems, not just the winter."),
    (6, 1, "I'm going to make some coffee before the lecture starts, brb."),
    (7, 1, "The printing press did more to spread the Reformation than Luther himself."),
    (8, 1, "Operation Barbarossa began on 22 June 1941 with over three million Axis troops."),
    (5, 2, "Finland later joined Germany in the Continuation War to win back its lost territory."),
    (6, 2, "The Black Death killed perhaps a third of Europe's population in a few years."),
    (7, 2, "My cat knocked the whole bookshelf over again this morning, unbelievable."),
    (8, 2, "Did the Mongols really use gunpowder weapons during their invasion of Europe?"),
    (5, 3, "The fall of Constantinople in 1453 is usually taken as the end of the Middle Ages."),
    (6, 3, "Can someone explain why the Soviets signed a pact with Nazi Germany in 1939?"),
    (7, 3, "lol"),
    (8, 3, "agreed"),
]


@pytest.mark.slow
async def test_the_real_model_finds_the_winter_war_argument(store):
    from bot.engine.embedding import ModelNotFound, shared_embedder

    settings = get_settings()
    try:
        embedder = shared_embedder(settings.model_dir)
    except ModelNotFound as exc:
        pytest.skip(str(exc))
    p = Planted()
    winter = {p.add(author, day, text, np.zeros(DIM), minute=i) for i, (author, day, text) in enumerate(WINTER_WAR)}
    for i, (author, day, text) in enumerate(CHATTER):
        p.add(author, day, text, np.zeros(DIM), minute=30 + i)
    await save(store, p)

    results = await discover(store, cast(TaggingService, FakeTagging(embedder)), GUILD, settings=settings)

    # One candidate, made only of the planted argument: with matcher-v2 two of the seven phrasings sit
    # below the join similarity (0.45), and nothing else may join them.
    [result] = results
    found = set(result.argument.evidence["message_ids"])
    assert found <= winter and len(found) >= 5
    evidence = result.argument.evidence
    assert evidence["authors"] >= 3 and evidence["days"] == 3


def test_cli_reads_dates_and_ages():
    import time

    import click

    from bot.cli.discover import When

    when = When()
    assert when.convert("2024-05-01", None, None) == 1714521600.0
    assert when.convert("2024-05-01T12:00:00+02:00", None, None) == 1714521600.0 + 10 * 3600
    assert abs(when.convert("2d", None, None) - (time.time() - 2 * DAY)) < 5
    with pytest.raises(click.BadParameter):
        when.convert("last tuesday", None, None)


async def test_member_markup_stays_inert_through_discovery_approval_and_a_context_note(store, world):
    _p, _a, _b, tagging = world
    [first, _] = await discover(store, tagging, GUILD, settings=SETTINGS)
    # What discovery copied from a member's message: a masked link and a mass ping.
    hostile = "see the [official archive](http://evil.example/phish) @everyone <@&42>"
    await store.arguments.update(GUILD, first.argument.id, claim=hostile, examples=[hostile + " again"])
    approved = await approve_candidate(
        store, tagging, GUILD, first.argument.id, title="Archive [link](http://x.example)"
    )
    note = note_embed(approved, [], Usage(messages=3, authors=2, total=3))
    shown = note["title"] + note["description"] + "".join(f["value"] for f in note["fields"])
    assert "](http" not in shown and "http://" not in shown  # no live or masked link
    assert "@everyone" not in shown and "<@&42>" not in shown  # no ping
    assert "official archive" in note["description"]  # still readable


async def test_past_the_cap_the_newest_long_enough_messages_are_read_in_pages(store):
    from bot.engine.discovery.service import _latest_unexplained

    messages = [
        IncomingMessage(
            id=5_000 + n,
            guild_id=GUILD,
            channel_id=10,
            author_id=100 + n % 4,
            created_at=1_000.0 + n,
            # Every third message is too short to cluster: pages hold fewer usable rows than asked for.
            content="ok" if n % 3 == 0 else f"message number {n} has enough words in it",
        )
        for n in range(60)
    ]
    await store.messages.upsert(messages)
    rows = await _latest_unexplained(store, GUILD, 0.0, 10_000.0, cap=10)
    newest_long = [m.id for m in messages if m.content != "ok"][-10:]
    assert [row[0] for row in rows] == newest_long
    everything = await _latest_unexplained(store, GUILD, 0.0, 10_000.0, cap=100)
    assert len(everything) == 40


def test_past_the_exact_limit_the_cell_search_finds_the_same_neighbours():
    from bot.engine.discovery import clustering

    p = Planted()
    planted = [p.topic(t, authors=list(range(1, 9)), days=list(range(8)), tag=f"-{t}") for t in range(6)]
    p.noise(clustering.EXACT_UP_TO + 1000, seed=9)
    vectors = clustering.unit_rows(np.stack([item.vector for item in p.items]))
    exact = clustering._all_pairs(vectors, 0.55)
    cells = clustering._within_cells(vectors, 0.55)
    assert len(cells) == len(exact) > clustering.EXACT_UP_TO
    # Every pair found is a true one; a rare true pair whose cells lie far apart is missed.
    assert all(set(found) <= set(expected) for found, expected in zip(cells, exact))
    assert sum(map(len, cells)) >= 0.99 * sum(map(len, exact))
    assert sorted(map(sorted, map(member_ids, find_recurring_clusters(p.items)))) == sorted(map(sorted, planted))
