"""The moderators' digest: heated threads, the counts, the embed and posting once per slot."""

from bot.engine.moderation import queue
from bot.engine.moderation.feedback import ThresholdAdvice
from bot.engine.moderation.report import (
    ModerationReport,
    build_report,
    heated_threads,
    report_embed,
)
from tests.bot.conftest import CHANNEL, GUILD, OTHER_GUILD, make_message

NOW = 1_760_000_000.0
HOUR = 3600.0


def chain(first_id: int, scores, parent=None, channel=CHANNEL) -> dict:
    nodes = {}
    for offset, score in enumerate(scores):
        nodes[first_id + offset] = (parent, channel, score)
        parent = first_id + offset
    return nodes


def test_heated_threads_are_reply_chains_whose_abuse_rises():
    nodes = {
        **chain(1, [0.05, 0.2, 0.35, 0.7]),  # rises all the way
        **chain(10, [0.1, 0.6, 0.1, 0.2]),  # falls back: at most a short tail rises
        **chain(20, [0.1, 0.5]),  # too short
        **chain(30, [0.1, 0.15, 0.2]),  # rises too little
        **chain(40, [0.0, 0.3, 0.28, 0.6], channel=5),  # a small dip within the tolerance
        **chain(50, [0.9], parent=3),  # a second branch from message 3
    }
    heated = heated_threads(nodes)
    # One chain per first message (the branch that ends highest), steepest rise first.
    assert [t.message_ids for t in heated] == [(1, 2, 3, 50), (40, 41, 42, 43)]
    assert heated[0].scores == (0.05, 0.2, 0.35, 0.9) and heated[1].channel_id == 5
    assert heated_threads(nodes, limit=1) == heated[:1]
    assert heated_threads({1: (2, CHANNEL, 0.1), 2: (1, CHANNEL, 0.9)}) == []  # a cycle ends, unheated


async def test_the_report_counts_flags_open_items_decisions_and_heated_threads(store):
    root = make_message("I think the pact bought time", created_at=NOW - HOUR)
    reply = make_message("that is a naive take", created_at=NOW - HOUR + 60, reply_to_id=root.id, author_id=8)
    angry = make_message("you are an idiot", created_at=NOW - HOUR + 120, reply_to_id=reply.id)
    await store.messages.upsert([root, reply, angry])
    await store.moderation_reports.record_abuse_scores(
        GUILD, {root.id: 0.02, reply.id: 0.3, angry.id: 0.95, 999_999: 0.5}
    )

    flags = store.flags
    abuse, _ = await flags.record(GUILD, angry.id, CHANNEL, 7, "abuse", 0.95, "abusive", now=NOW - HOUR)
    spam, _ = await flags.record(GUILD, 5, CHANNEL, 9, "spam", 0.9, "invite", now=NOW - HOUR)
    same_entry, _ = await flags.record(GUILD, 5, CHANNEL, 9, "flood", 1.0, "burst", now=NOW - HOUR)
    for flag_id in (spam, same_entry):
        await flags.set_queue_message(GUILD, flag_id, 777)
    old, _ = await flags.record(GUILD, 6, CHANNEL, 9, "abuse", 0.8, "abusive", now=NOW - 3 * 86400)
    await flags.record(OTHER_GUILD, 6, CHANNEL, 9, "abuse", 0.8, "abusive", now=NOW - HOUR)
    await flags.decide(GUILD, abuse, "dismissed", 1, now=NOW - 60)
    await store.false_positives.add(GUILD, [await flags.get(GUILD, abuse)], 1)
    await flags.decide(GUILD, old, "actioned", 1, now=NOW - 30)
    await store.cases.add_case(GUILD, 9, "warn", now=NOW - 30)
    await store.cases.add_case(GUILD, 9, "timeout", now=NOW - 3 * 86400)

    report = await build_report(store, GUILD, NOW - 86400, NOW)
    assert report.flags_by_kind == {"abuse": 1, "flood": 1, "spam": 1}
    assert report.open_items == 1  # spam and flood share one entry
    assert report.decisions == {"false positive": 1, "acted on": 1}
    assert report.false_positive_rate == 0.5
    assert report.cases_by_action == {"warn": 1}
    [thread] = report.heated
    assert thread.message_ids == (root.id, reply.id, angry.id) and thread.scores == (0.02, 0.3, 0.95)

    fields = {f["name"]: f["value"] for f in report_embed(report)["fields"]}
    assert fields["Flags by kind"] == "abuse 1, flood 1, spam 1"
    assert fields["Decisions"] == "2 (false positive 1, acted on 1)" and fields["False-positive rate"] == "50%"
    assert fields["Heated threads"] == (
        f"[3 replies](https://discord.com/channels/{GUILD}/{CHANNEL}/{angry.id}) in "
        f"<#{CHANNEL}>: abuse 0.02 → 0.30 → 0.95"
    )
    assert "Abuse threshold" not in fields


def test_an_empty_report_and_one_with_advice():
    empty = {f["name"]: f["value"] for f in report_embed(ModerationReport(GUILD, NOW - 86400, NOW))["fields"]}
    assert empty["False-positive rate"] == "n/a (nothing decided)" and empty["Decisions"] == "none"
    advised = ModerationReport(GUILD, NOW - 86400, NOW, advice=ThresholdAdvice(0.6, 0.65, 12, 9))
    fields = {f["name"]: f["value"] for f in report_embed(advised)["fields"]}
    assert fields["Abuse threshold"].startswith("9 of the last 12 abuse flags decided were false positives (75%)")
    assert "from 0.60 to 0.65" in fields["Abuse threshold"]


async def test_a_digest_slot_is_posted_once(store):
    slots = store.digest_slots
    assert await slots.claim(GUILD, "daily:2026-11-24")
    assert not await slots.claim(GUILD, "daily:2026-11-24")
    assert await slots.claim(OTHER_GUILD, "daily:2026-11-24")
    await slots.release(GUILD, "daily:2026-11-24")  # posting failed: the next run tries again
    assert await slots.claim(GUILD, "daily:2026-11-24")
    await slots.posted(GUILD, "daily:2026-11-24", 1234)
    row = await store.db.fetchone("SELECT message_id FROM moderation_digests WHERE guild_id = ?", (GUILD,))
    assert row[0] == 1234
    assert queue.REPORT == "report"
