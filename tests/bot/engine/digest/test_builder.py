"""build_digest over a real store, and the pure quote and reply-chain choices behind it."""

from datetime import UTC, datetime

import numpy as np
import pytest

from bot.core.records import StoredMessage
from bot.engine.digest import build_digest
from bot.engine.digest.builder import trend
from bot.engine.digest.selection import pick_quotes, reply_chains
from tests.bot.conftest import CHANNEL, GUILD, OTHER_GUILD
from tests.bot.engine.digest.conftest import DAY, SINCE, UNTIL, StoreVectors, seed, unit
from tests.conftest import required

OTHER_CHANNEL = 1002


async def _arguments(store, guild_id=GUILD):
    lipetsk = await store.arguments.add(
        guild_id,
        "lipetsk",
        "The USSR trained the Wehrmacht at Lipetsk.",
        title="The USSR trained the Wehrmacht",
        origin="catalogue",
        counters=["lipetsk-marginal", "not-tagged-counter"],
        sources=[{"author": "Manfred Zeidler", "title": "Reichswehr und Rote Armee", "year": 1993}],
    )
    marginal = await store.arguments.add(
        guild_id,
        "lipetsk-marginal",
        "Lipetsk trained a few hundred men at most.",
        title="Lipetsk was marginal",
        origin="catalogue",
    )
    unused = await store.arguments.add(guild_id, "not-tagged-counter", "Never mentioned.", origin="catalogue")
    both = await store.arguments.add(guild_id, "both-sides", "Stalin played both sides.", policy="flag")
    return lipetsk, marginal, unused, both


def _stored(message_id, author_id=1, reply_to_id=None, created_at=SINCE, content="text"):
    return StoredMessage(message_id, GUILD, CHANNEL, author_id, f"user{author_id}", created_at, content, reply_to_id)


# --- pure choices ---------------------------------------------------------------------------------


def test_trend_compares_with_the_previous_window():
    assert [trend(3, 0), trend(3, 1), trend(1, 3), trend(2, 2)] == ["new", "up", "down", "flat"]


def test_mmr_skips_near_duplicates_for_a_different_message():
    base = unit(1)
    near = [base + 0.01 * unit(i) for i in (2, 3, 4)]
    vectors = np.stack([*near, unit(5)])
    picked = pick_quotes(vectors, authors=[1, 2, 3, 4], k=3)
    assert 3 in picked
    assert len([i for i in picked if i < 3]) == 1


def test_mmr_prefers_another_author_when_texts_are_alike():
    vectors = np.array([[1, 0, 0], [1, 0.5, 0], [1, 0, 0.5]], dtype=np.float32)
    # Rows 1 and 2 are equally central and equally far from the first pick; only their authors differ.
    assert pick_quotes(vectors, authors=[7, 8, 8], k=2, author_penalty=0) == [0, 1]
    assert pick_quotes(vectors, authors=[7, 7, 8], k=2) == [0, 2]


def test_mmr_without_vectors_keeps_the_given_order_and_diversifies_authors():
    assert pick_quotes(np.zeros((4, 8)), authors=[1, 1, 2, 3], k=3) == [0, 2, 3]
    assert pick_quotes(np.zeros((0, 8)), authors=[], k=3) == []


def test_reply_chains_walk_to_the_root_and_rank_by_size():
    messages = [
        _stored(1, author_id=1),
        _stored(2, author_id=2, reply_to_id=1),
        _stored(3, author_id=1, reply_to_id=2, created_at=SINCE + 50),
        _stored(4, author_id=3, reply_to_id=2),
        _stored(5, author_id=4),
        _stored(6, author_id=4, reply_to_id=5),
        _stored(7, author_id=5, reply_to_id=999),  # its parent is outside the window: it starts a chain
        _stored(8, author_id=6, reply_to_id=7),
        _stored(9, author_id=6),
    ]
    chains = reply_chains(messages, limit=3)
    assert [(c.root.message_id, c.replies, c.participants) for c in chains] == [(1, 3, 3), (7, 1, 2), (5, 1, 1)]
    assert chains[0].last_at == SINCE + 50
    assert chains[0].root.jump_url.endswith(f"/{GUILD}/{CHANNEL}/1")


def test_reply_chains_survive_a_reply_cycle():
    chains = reply_chains([_stored(1, reply_to_id=2), _stored(2, reply_to_id=1, author_id=2)])
    assert [(c.replies, c.participants) for c in chains] == [(1, 2)]


# --- build_digest ----------------------------------------------------------------------------------


async def test_counts_authors_and_trend(store):
    lipetsk, _marginal, _, both = await _arguments(store)
    await seed(
        store,
        [
            ("the soviets trained the luftwaffe at lipetsk", [lipetsk], {"author_id": 1}),
            ("kazan tank school trained german tankers", [lipetsk], {"author_id": 2, "created_at": SINCE + DAY}),
            (
                "lipetsk was a german flying school in russia",
                [lipetsk],
                {"author_id": 2, "created_at": SINCE + 2 * DAY},
            ),
            ("the reichswehr rearmed in the ussr", [lipetsk], {"author_id": 3, "created_at": SINCE + 3 * DAY}),
            ("earlier lipetsk post", [lipetsk], {"author_id": 1, "created_at": SINCE - DAY}),
            ("stalin played both sides", [both], {"author_id": 4, "created_at": SINCE - 2 * DAY}),
            ("nice weather", [], {"author_id": 5, "created_at": SINCE + 10}),
            ("after the window", [lipetsk], {"author_id": 5, "created_at": UNTIL}),
        ],
    )
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)

    assert (digest.total_messages, digest.total_authors, digest.untagged_count) == (5, 4, 1)
    assert [a.slug for a in digest.arguments] == ["lipetsk"]
    shown = digest.arguments[0]
    assert (shown.count, shown.authors, shown.previous_count, shown.trend) == (4, 3, 1, "up")
    assert shown.title == "The USSR trained the Wehrmacht"
    assert [s.author for s in shown.sources] == ["Manfred Zeidler"]
    assert len(shown.quotes) == 3
    assert len({q.author_name for q in shown.quotes}) == 3
    assert digest.guild_name == f"guild{GUILD}"
    assert digest.channel_id is None and digest.channel_name is None


async def test_datetimes_and_floats_give_the_same_window(store):
    lipetsk, *_ = await _arguments(store)
    await seed(store, [("lipetsk", [lipetsk], {})])
    as_datetimes = await build_digest(
        store,
        StoreVectors(store),
        GUILD,
        datetime.fromtimestamp(SINCE, UTC),
        datetime.fromtimestamp(UNTIL, UTC).replace(tzinfo=None),
    )
    assert (as_datetimes.since, as_datetimes.until) == (SINCE, UNTIL)
    with pytest.raises(ValueError):
        await build_digest(store, StoreVectors(store), GUILD, UNTIL, SINCE)


async def test_quotes_are_diverse(store):
    lipetsk, *_ = await _arguments(store)
    base = unit(100)
    messages = await seed(
        store,
        [
            ("lipetsk trained the luftwaffe", [lipetsk], {"author_id": 1, "vector": base}),
            ("lipetsk trained the luftwaffe!", [lipetsk], {"author_id": 2, "vector": base + 0.01 * unit(1)}),
            ("Lipetsk trained the Luftwaffe.", [lipetsk], {"author_id": 3, "vector": base + 0.01 * unit(2)}),
            ("the tank school at kazan mattered more", [lipetsk], {"author_id": 4, "vector": unit(200)}),
        ],
    )
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    quoted = {q.message_id for q in digest.arguments[0].quotes}
    assert messages[3].id in quoted
    assert len(quoted & {m.id for m in messages[:3]}) == 1


async def test_identical_texts_are_quoted_once_and_empty_ones_never(store):
    lipetsk, *_ = await _arguments(store)
    await seed(
        store,
        [
            ("copy pasta", [lipetsk], {"author_id": 1}),
            ("Copy   pasta", [lipetsk], {"author_id": 2}),
            ("", [lipetsk], {"author_id": 3}),
        ],
    )
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    assert [q.text for q in digest.arguments[0].quotes] == ["copy pasta"]
    assert digest.arguments[0].count == 3


async def test_counter_arguments_raised_prefer_replies(store):
    lipetsk, marginal, *_ = await _arguments(store)
    claim = await seed(store, [("the ussr trained the wehrmacht", [lipetsk], {"author_id": 1})])
    counters = await seed(
        store,
        [
            ("a few hundred pilots is nothing", [marginal], {"author_id": 2, "vector": unit(1)}),
            (
                "lipetsk was tiny, it hardly mattered",
                [marginal],
                {"author_id": 3, "reply_to_id": claim[0].id, "vector": unit(2)},
            ),
            ("marginal at best", [marginal], {"author_id": 4, "vector": unit(1)}),
        ],
    )
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    by_slug = {a.slug: a for a in digest.arguments}
    [raised] = by_slug["lipetsk"].counters
    assert (raised.slug, raised.title, raised.count, raised.replies) == (
        "lipetsk-marginal",
        "Lipetsk was marginal",
        3,
        1,
    )
    assert required(raised.quote).message_id == counters[1].id
    assert by_slug["lipetsk-marginal"].counters == []  # counters are the catalogue's, one way


async def test_a_message_counts_for_one_side_of_a_debate_only(store):
    lipetsk, marginal, *_ = await _arguments(store)
    both = await seed(
        store,
        [
            ("lipetsk trained them, though only a few hundred", [(lipetsk, 0.8), (marginal, 0.7)], {}),
            ("a few hundred pilots, marginal at best", [(lipetsk, 0.6), (marginal, 0.9)], {}),
        ],
    )
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    by_slug = {a.slug: a for a in digest.arguments}
    assert [q.message_id for q in by_slug["lipetsk"].quotes] == [both[0].id]
    assert [q.message_id for q in by_slug["lipetsk-marginal"].quotes] == [both[1].id]
    assert by_slug["lipetsk"].count == by_slug["lipetsk-marginal"].count == 1
    assert digest.untagged_count == 0


async def test_counter_without_replies_quotes_its_most_central_message(store):
    lipetsk, marginal, *_ = await _arguments(store)
    await seed(store, [("the ussr trained the wehrmacht", [lipetsk], {})])
    counters = await seed(
        store,
        [
            ("central counter", [marginal], {"vector": unit(1)}),
            ("also central", [marginal], {"vector": unit(1) + 0.1 * unit(9)}),
            ("outlier", [marginal], {"vector": unit(50)}),
        ],
    )
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    [raised] = next(a for a in digest.arguments if a.slug == "lipetsk").counters
    assert raised.replies == 0
    assert required(raised.quote).message_id in {counters[0].id, counters[1].id}


async def test_candidates_are_counted_over_their_evidence_in_the_window(store):
    messages = await seed(
        store,
        [
            ("the treaty of versailles caused the depression", [], {"author_id": 1}),
            ("versailles reparations wrecked the economy", [], {"author_id": 2, "created_at": SINCE + 2 * DAY}),
            ("reparations, again", [], {"author_id": 2, "created_at": SINCE + 2 * DAY + 60}),
            ("old evidence", [], {"author_id": 3, "created_at": SINCE - 3 * DAY}),
        ],
    )
    foreign = await seed(store, [("other guild's evidence", [], {})], guild_id=OTHER_GUILD)
    candidate = await store.arguments.add(
        GUILD,
        "versailles-depression",
        "Versailles caused the Great Depression.",
        origin="discovered",
        status="candidate",
        evidence={"message_ids": [m.id for m in messages] + [foreign[0].id], "messages": 40, "authors": 9},
    )
    await store.arguments.add(
        GUILD,
        "stale",
        "Only old evidence.",
        origin="discovered",
        status="candidate",
        evidence={"message_ids": [messages[3].id]},
    )
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    [shown] = digest.candidates
    assert (shown.argument_id, shown.slug, shown.messages, shown.authors, shown.days) == (
        candidate,
        "versailles-depression",
        3,
        2,
        2,
    )
    assert {q.message_id for q in shown.quotes} <= {m.id for m in messages[:3]}
    assert len(shown.quotes) == 3
    assert digest.untagged_count == 3


async def test_reply_chains_in_the_digest(store):
    root = await seed(store, [("who trained whom?", [], {"author_id": 1})])
    reply = await seed(store, [("the soviets did", [], {"author_id": 2, "reply_to_id": root[0].id})])
    await seed(store, [("no they did not", [], {"author_id": 1, "reply_to_id": reply[0].id})])
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    [chain] = digest.chains
    assert (chain.root.message_id, chain.replies, chain.participants) == (root[0].id, 2, 2)


async def test_guild_isolation(store):
    lipetsk, *_ = await _arguments(store)
    other_lipetsk, *_ = await _arguments(store, OTHER_GUILD)
    mine = await seed(store, [("lipetsk here", [lipetsk], {"author_id": 1})])
    theirs = await seed(
        store,
        [
            ("lipetsk over there", [other_lipetsk], {"author_id": 2, "channel_id": 2001}),
            ("a reply over there", [other_lipetsk], {"author_id": 3, "channel_id": 2001}),
        ],
        guild_id=OTHER_GUILD,
    )
    await store.arguments.add(
        GUILD,
        "sneaky",
        "Evidence from elsewhere.",
        origin="discovered",
        status="candidate",
        evidence={"message_ids": [m.id for m in theirs]},
    )
    vectors = StoreVectors(store)
    digest = await build_digest(store, vectors, GUILD, SINCE, UNTIL)

    assert digest.total_messages == 1
    assert [(a.slug, a.count) for a in digest.arguments] == [("lipetsk", 1)]
    assert [q.message_id for q in digest.arguments[0].quotes] == [mine[0].id]
    assert digest.candidates == [] and digest.chains == []
    assert not set(vectors.requested) & {m.id for m in theirs}


async def test_a_channel_digest_counts_only_that_channel(store):
    lipetsk, *_ = await _arguments(store)
    await seed(
        store,
        [
            ("lipetsk in general", [lipetsk], {"author_id": 1}),
            ("lipetsk elsewhere", [lipetsk], {"author_id": 2, "channel_id": OTHER_CHANNEL}),
            (
                "lipetsk elsewhere, last week",
                [lipetsk],
                {"author_id": 2, "channel_id": OTHER_CHANNEL, "created_at": SINCE - DAY},
            ),
        ],
    )
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL, channel_id=CHANNEL)
    assert (digest.channel_id, digest.channel_name, digest.total_messages) == (CHANNEL, f"channel{CHANNEL}", 1)
    assert [(a.count, a.previous_count, a.trend) for a in digest.arguments] == [(1, 0, "new")]


async def test_argument_limit_keeps_the_busiest(store):
    ids = [await store.arguments.add(GUILD, f"arg-{i}", f"claim {i}") for i in range(4)]
    await seed(store, [(f"message {i} {j}", [ids[i]], {"author_id": j}) for i in range(4) for j in range(i + 1)])
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL, max_arguments=2, max_quotes=1)
    assert [(a.slug, a.count, len(a.quotes)) for a in digest.arguments] == [("arg-3", 4, 1), ("arg-2", 3, 1)]
    assert digest.more_arguments == 2  # arg-1 and arg-0, counted so the digest can say they were cut


async def test_missing_embeddings_still_give_quotes(store):
    class NoVectors:
        async def vectors(self, guild_id, texts_by_id):
            return {}

    lipetsk, *_ = await _arguments(store)
    await seed(store, [("first", [lipetsk], {"author_id": 1}), ("second", [lipetsk], {"author_id": 2})])
    digest = await build_digest(store, NoVectors(), GUILD, SINCE, UNTIL)
    assert len(digest.arguments[0].quotes) == 2


async def test_rejected_and_inactive_tags_do_not_count(store):
    lipetsk, marginal, *_ = await _arguments(store)
    messages = await seed(store, [("lipetsk", [lipetsk], {}), ("marginal", [marginal], {})])
    await store.tags.set_by_moderator(GUILD, messages[0].id, lipetsk, False, moderator_id=9)
    await store.arguments.update(GUILD, marginal, status="dismissed")
    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    assert digest.arguments == []
    assert digest.untagged_count == 2


async def test_open_flags_and_rule_breaking_arguments_are_counted_but_not_quoted(store):
    lipetsk, _marginal, _, both = await _arguments(store)
    messages = await seed(
        store,
        [
            ("the soviets trained the luftwaffe at lipetsk", [lipetsk], {"author_id": 1}),
            ("lipetsk, you absolute clown", [lipetsk], {"author_id": 2, "created_at": SINCE + 10}),
            ("stalin played both sides", [both], {"author_id": 3, "created_at": SINCE + 20}),
            ("he played london against berlin", [both], {"author_id": 4, "created_at": SINCE + 30}),
        ],
    )
    insult = messages[1]
    await store.flags.record(GUILD, insult.id, CHANNEL, 2, "abuse", 0.9, "abusive", quote=insult.content)

    digest = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    by_slug = {a.slug: a for a in digest.arguments}
    assert (by_slug["lipetsk"].count, by_slug["both-sides"].count) == (2, 2)
    assert [q.message_id for q in by_slug["lipetsk"].quotes] == [messages[0].id]
    assert by_slug["both-sides"].quotes == []

    await store.settings.set(GUILD, quote_policy_arguments=True)
    opted_in = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    assert len({a.slug: a for a in opted_in.arguments}["both-sides"].quotes) == 2
    flag = required(await store.flags.for_message(GUILD, insult.id))[0]
    await store.flags.decide(GUILD, flag.id, "dismissed", 1)  # a moderator found it fine after all
    decided = await build_digest(store, StoreVectors(store), GUILD, SINCE, UNTIL)
    assert len({a.slug: a for a in decided.arguments}["lipetsk"].quotes) == 2
