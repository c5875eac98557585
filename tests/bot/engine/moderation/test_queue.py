"""The review queue without Discord: recording, entries and their rendering, decisions as a
compare-and-set, report limits and escalation."""

import asyncio

import pytest

from bot.core.guild_config import GuildConfig
from bot.engine.moderation import Flag, queue
from bot.store.moderation import ACTIONED, DISMISSED, OPEN
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message
from tests.conftest import required

DAY = 86400.0
NOW = 1_760_000_000.0
ABUSE = Flag("abuse", 0.93, True, "abusive language (model score 0.93 >= 0.62): second-person insult")
SPAM = Flag("spam", 0.9, True, "invite link")
FLOOD = Flag("flood", 1.0, True, "6 messages in 10 s (limit 6)")


async def flagged(store, text="you idiot <@42>", flags=(ABUSE,), now=NOW, **kwargs):
    message = make_message(text, created_at=now, **kwargs)
    await store.messages.upsert([message])
    return message, await queue.record_flags(store, message, flags, now=now)


async def posted(store, message, queue_message_id=900):
    pending = await queue.unposted(store, message.guild_id, message.id)
    for flag in pending:
        await store.flags.set_queue_message(message.guild_id, flag.id, queue_message_id)
    return pending[0].id


async def test_flags_are_recorded_once_and_new_ones_join_the_open_entry(store):
    message, created = await flagged(store, flags=(ABUSE, SPAM))
    assert len(created) == 2
    assert await queue.record_flags(store, message, [ABUSE], now=NOW) == []  # re-ingested: nothing new
    assert await queue.open_entry_of(store, GUILD, message.id) is None
    anchor = await posted(store, message)
    assert required(await queue.open_entry_of(store, GUILD, message.id)).id == anchor

    [late] = await queue.record_flags(store, message, [FLOOD], now=NOW)
    assert [f.id for f in await queue.unposted(store, GUILD, message.id)] == [late]
    assert required(await queue.open_entry_of(store, GUILD, message.id)).id == anchor
    await store.flags.decide(GUILD, anchor, DISMISSED, 1)
    await store.flags.decide(GUILD, anchor + 1, DISMISSED, 1)
    assert await queue.open_entry_of(store, GUILD, message.id) is None  # decided: a new entry is due


async def test_one_flood_entry_per_author_and_burst(store):
    _, first = await flagged(store, "a", flags=(FLOOD,), author_id=7)
    _, again = await flagged(store, "b", flags=(FLOOD, SPAM), author_id=7, now=NOW + 60)
    _, other = await flagged(store, "c", flags=(FLOOD,), author_id=8, now=NOW + 60)
    _, later = await flagged(store, "d", flags=(FLOOD,), author_id=7, now=NOW + queue.FLOOD_BURST + 1)
    assert len(first) == len(other) == len(later) == 1
    assert [(await store.flags.get(GUILD, i)).flagger for i in again] == ["spam"]


async def test_an_entry_shows_quote_link_author_scores_edit_and_earlier_cases(store):
    await store.cases.add_case(GUILD, 7, "warn", "was rude", moderator_id=1, now=NOW - DAY)
    await store.cases.add_case(OTHER_GUILD, 7, "warn", "elsewhere", moderator_id=1, now=NOW - DAY)
    message, _ = await flagged(store, flags=(ABUSE, SPAM))
    anchor = await posted(store, message)
    await queue.FlaggedEdits(store.db).put(GUILD, message.id, 7, "sorry @everyone", NOW + 60)

    entry = required(await queue.load_entry(store, GUILD, anchor))
    assert entry.is_open and entry.flag_ids == [anchor, anchor + 1]
    embed = queue.entry_embed(entry)
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "Flagged: abuse, spam"
    assert embed["description"] == "> you idiot <\u200b@42\\>"  # a quoted mention cannot ping
    assert fields["Author"] == "<@7> (user7)"
    assert fields["Message"] == f"[Jump to message](https://discord.com/channels/{GUILD}/1001/{message.id}) in <#1001>"
    assert fields["Scores and reasons"].splitlines() == [
        "**abuse** 0.93: abusive language \\(model score 0.93 \\>= 0.62\\): second-person insult",
        "**spam** 0.90: invite link",
    ]
    assert fields["Edited after flagging"].endswith("sorry @\u200beveryone")
    assert fields["Earlier cases"].startswith("**#1** warn") and "elsewhere" not in fields["Earlier cases"]
    assert fields["Decision"].startswith("Open")
    assert embed["footer"]["text"] == f"Flag #{anchor}" and embed["color"] == queue.OPEN_COLOUR
    assert await queue.load_entry(store, OTHER_GUILD, anchor) is None


async def test_a_report_entry(store):
    message = make_message("you all know nothing")
    flag_id, _ = await store.flags.record(
        GUILD,
        message.id,
        message.channel_id,
        message.author_id,
        queue.REPORT,
        1.0,
        "baiting [again](http://x)",
        quote=message.content,
        reporter_id=55,
    )
    embed = queue.entry_embed(required(await queue.load_entry(store, GUILD, flag_id)))
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "Reported by a member"
    assert fields["Reports"] == "**report** from <@55>: baiting \\[again\\]\\(http:\u200b//x\\)"
    assert fields["Author"] == "<@7>"  # not stored (an unwatched channel): no name


async def test_two_moderators_at_once_one_decision(store):
    message, _ = await flagged(store, flags=(ABUSE, SPAM))
    entry = required(await queue.load_entry(store, GUILD, await posted(store, message)))
    outcomes = await asyncio.gather(
        *(
            queue.decide_entry(store, entry, action, moderator)
            for moderator, action in enumerate([queue.WARN, queue.DISMISS] * 3, 1)
        )
    )
    winners = [o for o in outcomes if o is not None]
    assert len(winners) == 1 and winners[0] == entry.flag_ids
    after = required(await queue.load_entry(store, GUILD, entry.anchor.id))
    warned = next(i for i, o in enumerate(outcomes) if o) % 2 == 0
    assert {f.status for f in after.flags} == {ACTIONED if warned else DISMISSED}
    assert queue.already_decided(after).startswith("Already decided: ")

    await queue.reopen(store, GUILD, winners[0], after.anchor.status)
    reopened = required(await queue.load_entry(store, GUILD, entry.anchor.id))
    assert all(f.status == OPEN and f.decided_by is None for f in reopened.flags) and reopened.decision is None


@pytest.mark.parametrize("how, label", [("case", "Warned (case #1)"), ("fp", "False positive"), ("plain", "Dismissed")])
async def test_the_decision_shown(store, how, label):
    message, _ = await flagged(store)
    entry = required(await queue.load_entry(store, GUILD, await posted(store, message)))
    action = {"case": queue.WARN, "fp": queue.FALSE_POSITIVE, "plain": queue.DISMISS}[how]
    await queue.decide_entry(store, entry, action, 3, now=NOW)
    if how == "case":
        await store.cases.add_case(GUILD, 7, "warn", "x", 3, flag_id=entry.anchor.id, content=entry.quote)
    elif how == "fp":
        await store.false_positives.add(GUILD, entry.flags, 3)
    decided = required(await queue.load_entry(store, GUILD, entry.anchor.id))
    assert required(decided.decision).text() == f"{label} by <@3> <t:{int(NOW)}:f>"
    assert not decided.earlier_cases  # the case this entry opened is not an "earlier" one
    assert queue.entry_embed(decided)["color"] == queue.DECIDED_COLOUR


async def test_entries_found_by_message_or_author(store):
    one, _ = await flagged(store, flags=(ABUSE, SPAM))
    two, _ = await flagged(store)
    three, _ = await flagged(store, author_id=8)
    anchors = [await posted(store, m, 900 + i) for i, m in enumerate((one, two, three))]
    assert await queue.entry_anchors(store, GUILD, "message_id", one.id) == [anchors[0]]
    assert await queue.entry_anchors(store, GUILD, "author_id", 7) == anchors[:2]
    assert await queue.entry_anchors(store, OTHER_GUILD, "author_id", 7) == []
    with pytest.raises(ValueError):
        await queue.entry_anchors(store, GUILD, "quote", 1)


async def test_reports_are_limited_per_member_and_guild(store):
    async def report(message_id, user=55, guild=GUILD, at=NOW):
        await store.flags.record(guild, message_id, 1, 7, queue.REPORT, 1.0, "why", reporter_id=user, now=at)

    for n in range(3):
        await report(n, at=NOW + n * 60)
    assert await queue.report_retry_after(store, GUILD, 55, now=NOW + 180) == pytest.approx(420)
    assert await queue.report_retry_after(store, GUILD, 56, now=NOW + 180) is None
    assert await queue.report_retry_after(store, OTHER_GUILD, 55, now=NOW + 180) is None
    assert await queue.report_retry_after(store, GUILD, 55, now=NOW + 601) is None


async def test_escalation_is_proposed_once_and_counts_from_the_last_confirmed(store):
    config = GuildConfig(escalation_warnings=3, escalation_days=30, escalation_timeout_minutes=60)
    escalations = queue.EscalationStore(store.db)
    for days_ago in (40, 10, 5):
        await store.cases.add_case(GUILD, 7, "warn", now=NOW - days_ago * DAY)
    assert await queue.propose_escalation(store, config, GUILD, 7, now=NOW) is None  # 2 within 30 days
    await store.cases.add_case(GUILD, 7, "warn", now=NOW - DAY)
    proposal = required(await queue.propose_escalation(store, config, GUILD, 7, now=NOW))
    assert (proposal.warnings, proposal.minutes, proposal.status) == (3, 60, queue.PROPOSED)
    assert await queue.propose_escalation(store, config, GUILD, 7, now=NOW) is None  # one waits already
    assert [c.created_at for c in await queue.escalation_warnings(store, proposal)] == [
        NOW - DAY,
        NOW - 5 * DAY,
        NOW - 10 * DAY,
    ]

    assert await escalations.decide(GUILD, proposal.id, queue.CONFIRMED, 1, now=NOW)
    assert not await escalations.decide(GUILD, proposal.id, queue.REJECTED, 2)
    await store.cases.add_case(GUILD, 7, "warn", now=NOW + DAY)
    assert await queue.propose_escalation(store, config, GUILD, 7, now=NOW + DAY) is None  # 1 since confirmed
    assert await escalations.get(OTHER_GUILD, proposal.id) is None

    await escalations.set_fields(GUILD, proposal.id, case_number=12, message_id=34)
    shown = queue.escalation_embed(required(await escalations.get(GUILD, proposal.id)), [])
    assert shown["title"] == "Escalation confirmed"
    assert shown["fields"][1]["value"] == f"Timed out for 1 hour (case #12) by <@1> <t:{int(NOW)}:f>"


def test_timeout_choices():
    assert queue.TIMEOUT_SECONDS == {"10m": 600, "1h": 3600, "1d": 86400, "1w": 604800}
