"""The review queue, reports, cases, escalation, forgetting and the moderators' digest, end to end
against the fake Discord. Teardown (see conftest) fails a test on any logged error or any post that
could ping."""

from __future__ import annotations

import asyncio
import copy
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.records import IncomingMessage
from bot.store import Store
from tests.cogs.conftest import eventually
from tests.conftest import required

pytestmark = pytest.mark.slow

EPHEMERAL = 1 << 6
REFUSED = "You need the Manage Messages permission"
ABUSE = "you are a fucking idiot"
SPAM = "free nitro here discord.gg/freenitro"
DENIAL = "katyn was done by the nazis and blamed on the soviets"
HISTORY = "The Holodomor killed millions of Ukrainians, and Stalin knew exactly what the famine was doing."
BUTTONS = ("dismiss", "delete", "warn", "fp")


@pytest.fixture
def world(clio_world):
    """The world of the conftest plus #modlog (set as the mod-log channel) and a second moderator; the
    bot is not started yet."""
    return with_modlog(clio_world)


def with_modlog(world):
    world.channels["modlog"] = world.fake.add_channel(world.guild_id, "modlog")["id"]
    world.users["mod2"] = world.fake.add_member(world.guild_id, "mod2", moderator=True)["user"]["id"]
    return world


async def started(world, **settings):
    await world.configure(modlog_channel=int(world.channels["modlog"]), **settings)
    await world.start()
    return world


@pytest.fixture
async def clio(world):
    return await started(world)


# discord.py's names for the tasks that run listeners, components, modals and commands.
_HANDLERS = ("discord.py: on_", "discord-ui-dynamic-item-", "discord-ui-modal-dispatch", "CommandTree-invoker")


async def settled(clio) -> None:
    """Every message ingested; every listener, click, form and command handled. The fake returns once
    it has written an event, maybe before the bot read it: quiet means nothing ran three rounds in a row."""
    quiet = 0
    while quiet < 3:
        await asyncio.sleep(0.02)
        await clio.idle()
        running = [t for t in asyncio.all_tasks() if t.get_name().startswith(_HANDLERS) and not t.done()]
        quiet = 0 if running else quiet + 1
        await asyncio.gather(*running)


async def stale_click(clio, shown: dict, custom_id: str, user: str):
    """A click from a moderator whose client still shows ``shown`` as it was, buttons and all."""
    data = clio.fake.interactions.component_data(shown, custom_id, None)
    return await clio.fake._interact(3, shown["channel_id"], clio.users[user], data, message=shown)


def modlog_posts(clio) -> list[dict]:
    """Copies of the bot's posts in #modlog as they stand now (after edits), oldest first."""
    bot_id = clio.fake.bot_user["id"]
    return [copy.deepcopy(m) for m in clio.fake.messages_in(clio.channels["modlog"]) if m["author"]["id"] == bot_id]


def entries(clio) -> list[dict]:
    return [
        m
        for m in modlog_posts(clio)
        if m["embeds"] and m["embeds"][0].get("footer", {}).get("text", "").startswith("Flag #")
    ]


async def entry_about(clio, message_id: str) -> dict:
    def find():
        return next((m for m in entries(clio) if f"/{message_id})" in fields(m)["Message"]), None)

    await eventually(find, what=f"an entry about message {message_id}")
    return required(find())


def current(clio, post: dict) -> dict:
    return copy.deepcopy(clio.fake.state.find_message(post["id"]))


def fields(message: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]


def anchor_of(entry: dict) -> int:
    return int(entry["embeds"][0]["footer"]["text"].removeprefix("Flag #"))


async def click(clio, entry: dict, action: str, user: str = "mod"):
    return await clio.fake.click_button(entry["id"], f"clio:flag:{action}:{anchor_of(entry)}", clio.users[user])


async def told(record) -> str:
    """What an interaction's user was told: the direct answer, or the first follow-up after a defer."""
    await record.events.wait_for(lambda e: e[0] == "followup" or (e[0] == "callback" and e[1]["type"] == 4))
    return (record.followups[0] if record.followups else record.original)["content"]


async def answer(clio, name: str, options=None, user: str = "mod") -> dict:
    return await (await clio.slash(name, options, user=user)).wait_original()


async def flagged(clio, user: str, text: str, **kwargs) -> tuple[dict, dict]:
    said = await clio.say(user, text, **kwargs)
    await settled(clio)
    return said, await entry_about(clio, said["id"])


def timeout_of(clio, user: str) -> str | None:
    return clio.fake.state.guild(clio.guild_id).members[clio.users[user]].get("communication_disabled_until")


def dms_to(clio, user: str) -> list:
    dm = clio.fake.open_dm(clio.users[user])["id"]
    return [s for s in clio.fake.sent if s.channel_id == dm]


# --- flagging --------------------------------------------------------------------------------------


async def test_abuse_flag_posts_a_full_entry_and_history_talk_is_not_flagged(clio):
    guild_id, alice = int(clio.guild_id), int(clio.users["alice"])
    await clio.store.cases.add_case(guild_id, alice, "warn", "rude to bob", int(clio.users["mod"]))
    calm = await clio.say("bob", HISTORY)
    said, entry = await flagged(clio, "alice", ABUSE)

    embed = entry["embeds"][0]
    info = fields(entry)
    assert embed["title"] == "Flagged: abuse"
    assert embed["description"] == f"> {ABUSE}"
    assert info["Author"] == f"<@{alice}> (Alice)"
    jump = f"https://discord.com/channels/{clio.guild_id}/{clio.channels['general']}/{said['id']}"
    assert info["Message"] == f"[Jump to message]({jump}) in <#{clio.channels['general']}>"
    assert info["Scores and reasons"].startswith("**abuse** 0.")
    assert "abusive language" in info["Scores and reasons"] and "second-person insult" in info["Scores and reasons"]
    assert info["Earlier cases"].startswith("**#1** warn") and "rude to bob" in info["Earlier cases"]
    assert info["Decision"].startswith("Open")
    anchor = anchor_of(entry)
    assert custom_ids(entry) == [f"clio:flag:{a}:{anchor}" for a in BUTTONS] + [f"clio:flag:timeout:{anchor}"]

    assert len(entries(clio)) == 1  # the history message was stored but not flagged
    assert not await clio.store.flags.for_message(guild_id, int(calm["id"]))
    assert int(calm["id"]) in await clio.stored_ids()


async def test_spam_policy_and_flood_flags(clio):
    _, spam = await flagged(clio, "bob", SPAM)
    assert spam["embeds"][0]["title"] == "Flagged: spam"
    assert "**spam**" in fields(spam)["Scores and reasons"]
    assert "discord:\u200b" not in spam["embeds"][0]["description"]  # quoted inert, not a clickable link

    _, denial = await flagged(clio, "alice", DENIAL)
    assert denial["embeds"][0]["title"] == "Flagged: policy"
    assert "katyn-was-german" in fields(denial)["Scores and reasons"]

    burst = [await clio.say("bob", f"ok number {n} of my little burst") for n in range(8)]
    await settled(clio)
    floods = [e for e in entries(clio) if e["embeds"][0]["title"] == "Flagged: flood"]
    assert len(floods) == 1, "one entry per burst, not one per message past the limit"
    assert any(f"/{m['id']})" in fields(floods[0])["Message"] for m in burst)
    assert "messages in 10 s" in fields(floods[0])["Scores and reasons"]


# --- the buttons -----------------------------------------------------------------------------------


async def test_dismiss_by_two_moderators_at_once_acts_once_and_members_are_refused(clio):
    _, entry = await flagged(clio, "alice", ABUSE)
    refused = await click(clio, entry, "dismiss", user="alice")
    assert REFUSED in await told(refused)
    assert current(clio, entry)["components"]

    first, second = await asyncio.gather(click(clio, entry, "warn"), click(clio, entry, "dismiss", user="mod2"))
    await settled(clio)
    answers = [r for r in (first, second) if r.followups]
    assert len(answers) == 1 and answers[0].followups[0]["content"].startswith("Already decided: ")
    assert answers[0].followups[0]["flags"] & EPHEMERAL
    winner = second if answers[0] is first else first
    decision = fields(current(clio, entry))["Decision"]
    if winner is first:
        assert decision.startswith(f"Warned (case #1) by <@{clio.users['mod']}>")
        assert len(await clio.store.cases.recent(int(clio.guild_id))) == 1 and len(dms_to(clio, "alice")) == 1
    else:
        assert decision.startswith(f"Dismissed by <@{clio.users['mod2']}>")
        assert not await clio.store.cases.recent(int(clio.guild_id)) and not dms_to(clio, "alice")
    assert current(clio, entry)["components"] == []

    late = await stale_click(clio, entry, f"clio:flag:delete:{anchor_of(entry)}", "mod2")
    assert (await told(late)).startswith("Already decided: ")
    assert clio.fake.state.find_message(entry["id"])


async def test_false_positive_is_stored_for_feedback(clio):
    said, entry = await flagged(clio, "alice", ABUSE)
    await (await click(clio, entry, "fp")).wait_original()
    assert fields(current(clio, entry))["Decision"].startswith(f"False positive by <@{clio.users['mod']}>")
    store = clio.store.false_positives
    assert await store.has(int(clio.guild_id), anchor_of(entry))
    assert await store.texts(int(clio.guild_id)) == [ABUSE]
    assert clio.fake.state.find_message(said["id"]) and not timeout_of(clio, "alice")


async def test_delete_and_timeout_buttons_work_after_a_restart(clio):
    guild_id = int(clio.guild_id)
    deleted, first = await flagged(clio, "alice", ABUSE)
    _, second = await flagged(clio, "bob", SPAM)
    await clio.restart()

    await (await click(clio, first, "delete")).wait_original()
    await settled(clio)
    assert clio.fake.state.find_message(deleted["id"]) is None
    assert int(deleted["id"]) not in await clio.stored_ids()
    [case] = await clio.store.cases.for_user(guild_id, int(clio.users["alice"]))
    assert (case.action, case.content, case.flag_id) == ("delete", ABUSE, anchor_of(first))
    shown = current(clio, first)
    assert fields(shown)["Decision"].startswith("Message deleted (case #1)")
    assert "text is gone" in shown["embeds"][0]["description"]

    before = time.time()
    chosen = await clio.fake.choose(second["id"], f"clio:flag:timeout:{anchor_of(second)}", ["1h"], clio.users["mod"])
    await chosen.wait_original()
    until = datetime.fromisoformat(required(timeout_of(clio, "bob"))).timestamp()
    assert before + 3600 - 5 < until < time.time() + 3600 + 5
    [case] = await clio.store.cases.for_user(guild_id, int(clio.users["bob"]))
    assert case.action == "timeout" and case.reason.startswith("1 hour. spam:")
    assert fields(current(clio, second))["Decision"].startswith("Timed out (case #2)")


async def test_warn_dms_opens_a_case_and_escalation_needs_a_confirmation(world):
    clio = await started(world, escalation_warnings=2, escalation_days=30, escalation_timeout_minutes=120)
    guild_id, alice = int(clio.guild_id), int(clio.users["alice"])

    said, entry = await flagged(clio, "alice", ABUSE)
    await (await click(clio, entry, "warn")).wait_original()
    [dm] = dms_to(clio, "alice")
    assert "warned you" in dm.content and f"/{said['id']})" in dm.content and "Case #1" in dm.content
    [case] = await clio.store.cases.for_user(guild_id, alice)
    assert (case.number, case.action, case.content) == (1, "warn", ABUSE)
    assert not [p for p in modlog_posts(clio) if p["embeds"][0]["title"].startswith("Escalation")]

    dm = clio.fake.open_dm(clio.users["alice"])["id"]
    clio.fake.fail_next("POST", rf"/channels/{dm}/messages", status=403)  # alice closes her DMs
    _, again = await flagged(clio, "alice", ABUSE + " and a coward")
    warned = await click(clio, again, "warn")
    assert "could not DM them" in await told(warned)
    await settled(clio)
    [proposal] = [p for p in modlog_posts(clio) if p["embeds"][0]["title"] == "Escalation proposed"]
    assert f"<@{alice}> has 2 warnings in the last 30 days" in proposal["embeds"][0]["description"]
    assert "timeout of 2 hours" in proposal["embeds"][0]["description"]
    assert timeout_of(clio, "alice") is None  # proposed, not done

    await clio.restart()
    confirm = custom_ids(proposal)[0]
    assert confirm.startswith("clio:escalation:confirm:")
    refused = await clio.fake.click_button(proposal["id"], confirm, clio.users["alice"])
    assert REFUSED in await told(refused)
    before = time.time()
    await (await clio.fake.click_button(proposal["id"], confirm, clio.users["mod"])).wait_original()
    until = datetime.fromisoformat(required(timeout_of(clio, "alice"))).timestamp()
    assert before + 7200 - 5 < until < time.time() + 7200 + 5
    shown = current(clio, proposal)
    assert shown["embeds"][0]["title"] == "Escalation confirmed" and shown["components"] == []
    assert fields(shown)["Decision"].startswith("Timed out for 2 hours (case #3)")
    twice = await stale_click(clio, proposal, confirm, "mod2")
    assert "Already confirmed" in await told(twice)
    assert [c.action for c in await clio.store.cases.for_user(guild_id, alice)] == ["timeout", "warn", "warn"]


async def test_an_edit_and_a_deletion_update_the_entry(clio):
    said, entry = await flagged(clio, "alice", ABUSE)
    await clio.fake.edit_user_message(clio.channels["general"], said["id"], "sorry, that was uncalled for")
    await settled(clio)
    edited = current(clio, entry)
    assert edited["embeds"][0]["description"] == f"> {ABUSE}"
    assert "sorry, that was uncalled for" in fields(edited)["Edited after flagging"]
    assert len(entries(clio)) == 1

    await clio.fake.delete_user_message(clio.channels["general"], said["id"])
    await settled(clio)
    gone = current(clio, entry)
    assert "text is gone" in gone["embeds"][0]["description"] and "Edited after flagging" not in fields(gone)
    assert gone["components"]  # still open: a moderator may still warn
    [flag] = await clio.store.flags.for_message(int(clio.guild_id), int(said["id"]))
    assert flag.quote is None


# --- reports ---------------------------------------------------------------------------------------


async def report(clio, message_id: str, user: str, reason: str):
    menu = await clio.fake.invoke_message_command("Report to moderators", message_id, clio.users[user])
    if (await menu.response())["type"] != 9:
        return (await menu.wait_original())["content"]
    submitted = await clio.fake.submit_modal(menu, {"reason": reason})
    return (await submitted.wait_followup())["content"]


async def test_reports_join_the_queue_and_are_rate_limited(clio):
    targets = [await clio.say("bob", f"an unwatched remark number {n}", channel="random") for n in range(4)]
    assert "went to the moderators" in await report(clio, targets[0]["id"], "alice", "he keeps baiting people")
    entry = await entry_about(clio, targets[0]["id"])
    assert entry["embeds"][0]["title"] == "Reported by a member"
    assert entry["embeds"][0]["description"] == "> an unwatched remark number 0"
    assert fields(entry)["Reports"] == f"**report** from <@{clio.users['alice']}>: he keeps baiting people"
    assert "already have a report" in await report(clio, targets[0]["id"], "mod2", "again")

    for target in targets[1:3]:
        assert "went to the moderators" in await report(clio, target["id"], "alice", "same")
    limited = await report(clio, targets[3]["id"], "alice", "and this")
    assert "You can send 3 reports every 10 minutes" in limited
    assert len(entries(clio)) == 3
    assert "went to the moderators" in await report(clio, targets[3]["id"], "mod2", "members are limited, per member")

    await (await click(clio, entry, "dismiss")).wait_original()
    assert fields(current(clio, entry))["Decision"].startswith("Dismissed by")


# --- cases -----------------------------------------------------------------------------------------


async def test_case_commands(clio):
    guild_id, alice, bob, mod = (
        int(clio.guild_id),
        int(clio.users["alice"]),
        int(clio.users["bob"]),
        int(clio.users["mod"]),
    )
    await clio.store.cases.add_case(guild_id, alice, "warn", None, mod, content="first words")
    await clio.store.cases.add_case(guild_id, bob, "timeout", "1 hour. flood", mod)
    await clio.store.cases.add_case(guild_id + 1, alice, "warn", "another server's case", mod)

    shown = await answer(clio, "case show", {"number": 1})
    embed = shown["embeds"][0]
    assert shown["flags"] & EPHEMERAL and embed["title"] == "Case #1: warn"
    assert embed["description"] == "> first words"
    assert fields(shown)["Reason"].startswith("None yet")
    updated = await answer(clio, "case reason", {"number": 1, "reason": "insulted bob"})
    assert updated["content"] == "Case #1: reason updated."
    assert (await clio.store.cases.get(guild_id, 1)).reason == "insulted bob"
    assert "There is no case #9" in (await answer(clio, "case show", {"number": 9}))["content"]

    async def offered(typed: str, user: str = "mod") -> list[dict]:
        record = await clio.fake.autocomplete(
            clio.guild_id, clio.channels["general"], clio.users[user], "case show", {"number": typed}, focused="number"
        )
        return (await record.response())["data"]["choices"]

    assert await offered("") == [
        {"name": "#2 timeout: 1 hour. flood", "value": 2},
        {"name": "#1 warn: insulted bob", "value": 1},
    ]
    assert [c["value"] for c in await offered("#2")] == [2]
    assert await offered("", user="alice") == []  # a member learns nothing of the cases

    listed = await answer(clio, "cases user", {"user": clio.users["alice"]})
    description = listed["embeds"][0]["description"]
    assert "**#1** warn" in description and "insulted bob" in description and "another server" not in description
    recent = (await answer(clio, "cases recent"))["embeds"][0]["description"]
    assert recent.index("**#2** timeout") < recent.index("**#1** warn") and f"<@{bob}>" in recent

    for name, options in [
        ("case show", {"number": 1}),
        ("cases recent", None),
        ("modlog digest", None),
        ("case reason", {"number": 1, "reason": "mine"}),
    ]:
        assert REFUSED in (await answer(clio, name, options, user="alice"))["content"], name
    commands = {c["name"]: c for c in clio.fake.state.commands[None].values()}
    for name in ("case", "cases", "modlog"):
        assert str(commands[name]["default_member_permissions"]) == "8192"


# --- privacy ---------------------------------------------------------------------------------------


async def counts(clio, table: str, user: str) -> int:
    row = await clio.store.db.fetchone(
        f"SELECT COUNT(*) FROM {table} t JOIN messages m ON m.id = t.message_id WHERE m.author_id = ?",
        (int(clio.users[user]),),
    )
    return row[0]


async def test_forget_and_forget_me(clio):
    guild_id, alice = int(clio.guild_id), int(clio.users["alice"])
    said, entry = await flagged(clio, "alice", ABUSE)
    await clio.say("alice", "stalin was literally talking to london and berlin at the same time")
    await clio.say("bob", HISTORY)
    await settled(clio)
    await (await click(clio, entry, "warn")).wait_original()
    assert await counts(clio, "message_embeddings", "alice") == 2 and await counts(clio, "tags", "alice") >= 1

    refused = await answer(clio, "clio forget", {"user": clio.users["bob"]}, user="alice")
    assert REFUSED in refused["content"]
    done = await (await clio.slash("clio forget", {"user": clio.users["alice"]})).wait_followup()
    assert "deleted 2 of <@" in done["content"] and done["flags"] & EPHEMERAL
    assert await clio.store.messages.count(guild_id) == 1
    assert await counts(clio, "message_embeddings", "alice") == 0 and await counts(clio, "tags", "alice") == 0
    [case] = await clio.store.cases.for_user(guild_id, alice)
    assert case.action == "warn" and case.content is None  # the case stays, without the text
    assert (await clio.store.flags.for_message(guild_id, int(said["id"])))[0].quote is None
    assert "text is gone" in current(clio, entry)["embeds"][0]["description"]

    mine = await (await clio.slash("forget-me", user="bob")).wait_followup()
    assert "deleted 1 of your stored messages" in mine["content"]
    assert await clio.store.messages.count(guild_id) == 0

    # Red-DiscordBot's hook, for a user who asks the bot's owner: every guild, the same rules.
    await clio.say("alice", "one more thing about the pact")
    await settled(clio)
    await clio.bot.get_cog("Moderation").red_delete_data_for_user(requester="user", user_id=alice)
    assert await clio.store.messages.count(guild_id) == 0


async def test_a_forgotten_member_stays_forgotten_after_a_restart(clio):
    secret = "quokkaphrase-2291"
    await clio.say("bob", HISTORY)
    for n in range(2):
        await clio.say("alice", f"my {secret} take on the pact, number {n}")
    await settled(clio)
    mine = await (await clio.slash("forget-me", user="alice")).wait_followup()
    assert "deleted 2 of your stored messages" in mine["content"]

    await clio.restart()  # the start-up backfill re-reads the channel, where her messages still are
    await clio.idle()
    assert await clio.store.messages.count(int(clio.guild_id)) == 1
    if clio.store.db.dialect == "sqlite":
        database = Path(clio.database)
        files = [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
        assert files and all(secret.encode() not in p.read_bytes() for p in files)


async def test_the_moderators_digest_follows_the_servers_time_and_zone(world):
    clio = await started(world, modlog_digest_time="23:50", modlog_digest_timezone="Europe/Paris")
    cog = clio.bot.get_cog("Moderation")
    paris = ZoneInfo("Europe/Paris")

    def posts() -> int:
        return len([p for p in modlog_posts(clio) if p["embeds"][0]["title"] == "Moderators' digest"])

    async def at(*local) -> int:
        await cog.daily(datetime(*local, tzinfo=paris).timestamp())
        return posts()

    assert await at(2026, 12, 1, 23, 40) == 1  # the 30 November digest, owed since last night
    assert await at(2026, 12, 1, 23, 45) == 1  # once per slot
    assert await at(2026, 12, 1, 23, 55) == 2  # 1 December's, at 23:50 Paris time
    assert await at(2026, 12, 2, 0, 30) == 2  # already 2 December in UTC too; still 1 December's slot in Paris


async def test_retention_at_start_up_and_the_daily_digest(world):
    clio = world
    # In an unwatched channel: in #general the start-up backfill would find these made-up messages
    # missing from Discord's history, and rightly delete them as deleted while the bot was down.
    guild_id, channel = int(clio.guild_id), int(clio.channels["random"])
    now = time.time()
    async with await Store.open(clio.database) as store:
        await store.messages.upsert(
            [
                IncomingMessage(
                    id=9_000 + i,
                    guild_id=guild_id,
                    channel_id=channel,
                    author_id=int(clio.users["bob"]),
                    created_at=now - age * 86400,
                    content=f"said {age} days ago",
                    author_name="bob",
                )
                for i, age in enumerate((30, 8, 6, 1))
            ]
        )
    await started(clio, retention_days=7)
    await eventually(lambda: _count_is(clio, 2), what="start-up retention")

    await flagged(clio, "alice", ABUSE)
    _, spam = await flagged(clio, "bob", SPAM)
    await (await click(clio, spam, "fp")).wait_original()
    cog = clio.bot.get_cog("Moderation")
    today = time.time()
    await cog.daily(today)
    await cog.daily(today)  # the same day: not twice
    digests = [p for p in modlog_posts(clio) if p["embeds"][0]["title"] == "Moderators' digest"]
    assert len(digests) == 1
    info = fields(digests[0])
    assert info["Flags by kind"] == "abuse 1, spam 1"
    assert info["Open items"] == "1"
    assert info["Decisions"] == "1 (false positive 1)" and info["False-positive rate"] == "100%"
    assert info["Heated threads"] == "none"

    posted = await clio.slash("modlog digest", {"since": "1h"})
    assert "posted in" in (await posted.wait_followup())["content"]
    assert len([p for p in modlog_posts(clio) if p["embeds"][0]["title"] == "Moderators' digest"]) == 2


async def _count_is(clio, n: int) -> bool:
    return await clio.store.messages.count(int(clio.guild_id)) == n


async def test_threshold_advice_is_applied_by_a_moderator(clio):
    guild_id, mod = int(clio.guild_id), int(clio.users["mod"])
    flags = clio.store.flags
    for n in range(10):
        flag_id, _ = await flags.record(guild_id, 50_000 + n, 1, 2, "abuse", 0.97, "abusive", quote=f"fine {n}")
        await flags.decide(guild_id, flag_id, "dismissed", mod)
        if n < 7:
            await clio.store.false_positives.add(guild_id, [await flags.get(guild_id, flag_id)], mod)
    await (await clio.slash("modlog digest")).wait_followup()
    [digest] = [p for p in modlog_posts(clio) if p["embeds"][0]["title"] == "Moderators' digest"]
    threshold = clio.bot.get_cog("Moderation").service.abuse.model.threshold
    assert "7 of the last 10 abuse flags" in fields(digest)["Abuse threshold"]
    proposed = round(threshold + 0.05, 2)
    [button] = custom_ids(digest)
    assert button == f"clio:threshold:abuse:{round(proposed * 100)}"
    refused = await clio.fake.click_button(digest["id"], button, clio.users["alice"])
    assert REFUSED in await told(refused)
    await clio.restart()
    await (await clio.fake.click_button(digest["id"], button, clio.users["mod"])).wait_original()
    assert (await clio.store.settings.get(guild_id)).abuse_threshold == proposed
    assert fields(current(clio, digest))["Applied"].startswith(f"Abuse threshold set to {proposed:.2f}")


async def test_warn_and_timeout_by_hand_open_cases(clio):
    guild_id, bob = int(clio.guild_id), int(clio.users["bob"])
    refused = await answer(clio, "warn", {"member": clio.users["alice"], "reason": "x"}, user="bob")
    assert REFUSED in refused["content"]

    warned = await answer(clio, "warn", {"member": clio.users["bob"], "reason": "no personal attacks, please"})
    assert "Warned <@" in warned["content"] and "case #1" in warned["content"] and warned["flags"] & EPHEMERAL
    [dm] = dms_to(clio, "bob")
    assert "no personal attacks, please" in dm.payload["content"] and "case #1" in dm.payload["content"]

    before = time.time()
    timed = await answer(clio, "timeout", {"member": clio.users["bob"], "duration": "2h", "reason": "cool off"})
    assert "for 2 hours (case #2)" in timed["content"]
    until = datetime.fromisoformat(required(timeout_of(clio, "bob"))).timestamp()
    assert before + 7200 - 5 < until < time.time() + 7200 + 5
    cases = await clio.store.cases.for_user(guild_id, bob)
    assert [(c.action, c.reason) for c in cases] == [
        ("timeout", "2 hours. cool off"),
        ("warn", "no personal attacks, please"),
    ]

    too_long = await answer(clio, "timeout", {"member": clio.users["bob"], "duration": "30d", "reason": "x"})
    assert "at most 28 days" in too_long["content"]
    bot_member = await answer(clio, "warn", {"member": clio.users["otherbot"], "reason": "x"})
    assert "Bots are not warned" in bot_member["content"]


async def test_a_429_storm_on_the_mod_log_posts_every_flag_once(clio):
    modlog = clio.channels["modlog"]
    # 30 rate-limited posts: discord.py gives up on a request after five 429s, so some posts fail.
    clio.fake.fail_next("POST", rf"^/channels/{modlog}/messages$", status=429, retry_after=0.01, count=30)
    said = [await clio.say("alice" if n % 2 else "bob", f"{ABUSE} number {n}") for n in range(40)]
    await settled(clio)
    posted_first = len(entries(clio))
    await clio.bot.get_cog("Moderation").repost_unposted()  # what the outbox job does every 30 s
    await settled(clio)
    shown = [fields(e)["Message"] for e in entries(clio)]
    per_message = [sum(f"/{m['id']})" in text for text in shown) for m in said]
    print(f"429 storm: {len(said)} flags, {posted_first} posted at first, {len(shown)} after the outbox ran")
    assert per_message == [1] * len(said)
    assert await clio.store.flags.unposted_messages(int(clio.guild_id)) == []


async def test_a_rate_limited_dm_does_not_delay_the_warn_acknowledgement(clio):
    dm = clio.fake.open_dm(clio.users["bob"])["id"]
    clio.fake.fail_next("POST", rf"^/channels/{dm}/messages$", status=429, retry_after=1.0, count=3)
    record = await clio.slash("warn", {"member": clio.users["bob"], "reason": "calm down"})
    acknowledged = await record.response(timeout=2)
    assert acknowledged["type"] == 5, "deferred at once, before the DM"
    warned = await record.wait_original(timeout=30)
    assert "Warned <@" in warned["content"] and "They were told by DM." in warned["content"]
