"""``/arguments``, candidate review, context notes and the two message menus, end to end against the
fake Discord. Teardown (see conftest) fails a test on any logged error or any post that could ping."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from bot.core.config import Settings
from bot.core.records import IncomingMessage, MessageScope
from bot.engine.matcher import Calibration
from bot.store.arguments import Argument
from tests.cogs.conftest import eventually

pytestmark = pytest.mark.slow

EPHEMERAL = 1 << 6
REFUSED = "You need the Manage Messages permission"
# Verbatim catalogue examples: as close to their argument as a message gets.
BOTH_SIDES = "stalin was literally talking to london and berlin at the same time and just took the best offer"
BOTH_SIDES_AGAIN = "He played both sides. Talks with the Allies by day, Ribbentrop by night."
BOTH_SIDES_SLUG = "stalin-played-both-sides"
# A recurring argument far from every catalogue argument: (author, day, text).
ROMAN_CONCRETE = [
    (0, 0, "Roman concrete lasted two thousand years because they mixed volcanic ash into it."),
    (1, 0, "The secret of Roman concrete was the volcanic ash from Pozzuoli, that's why the harbours still stand."),
    (2, 1, "Modern concrete cracks in fifty years while Roman concrete made with volcanic ash is still standing."),
    (3, 1, "Roman builders used volcanic ash in their concrete and it actually gets stronger in seawater."),
    (0, 2, "Honestly Roman concrete beats ours, the volcanic ash mix is why the Pantheon dome survived."),
    (1, 2, "Pozzolana ash is the reason Roman concrete structures outlasted everything we build today."),
    (2, 2, "The Romans figured out volcanic ash concrete that heals its own cracks, we only rediscovered it recently."),
]


def model_threshold() -> str:
    return f"{Calibration.load(Settings().model_dir / 'calibration.json').default_threshold:.2f}"


async def answer(clio, name: str, options=None, user: str = "mod") -> dict:
    record = await clio.slash(name, options, user=user)
    return await record.wait_original()


def fields(message: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]


def select_values(message: dict, custom_id: str) -> list[str]:
    select = next(c for row in message["components"] for c in row["components"] if c["custom_id"] == custom_id)
    return [option["value"] for option in select["options"]]


def modal_defaults(modal: dict) -> dict[str, str]:
    inputs = [c.get("component") or c["components"][0] for c in modal["components"]]
    return {i["custom_id"]: i.get("value") or "" for i in inputs}


async def argument(clio, slug: str) -> Argument:
    return await clio.store.arguments.by_slug(int(clio.guild_id), slug)


async def settled(clio, *messages: dict) -> None:
    """The given messages stored and tagged, and every context-note listener run finished."""

    async def stored():
        found = await clio.store.messages.get(int(clio.guild_id), [int(m["id"]) for m in messages])
        return len(found) == len(messages)

    await eventually(stored, what="messages stored")
    await clio.idle()
    listeners = [t for t in asyncio.all_tasks() if t.get_name() == "discord.py: on_clio_ingested"]
    await asyncio.gather(*listeners)


# --- reading -------------------------------------------------------------------------------------


async def test_everyone_can_list_and_show(clio):
    await settled(clio, await clio.say("alice", BOTH_SIDES))

    listed = await answer(clio, "arguments list", user="alice")
    assert listed["flags"] & EPHEMERAL
    assert listed["embeds"][0]["title"] == "28 arguments"
    assert f"**Stalin played both sides** `{BOTH_SIDES_SLUG}`: 1 in 30 days" in listed["embeds"][0]["description"]

    shown = await answer(clio, "arguments show", {"argument": BOTH_SIDES_SLUG}, user="alice")
    embed = shown["embeds"][0]
    assert embed["title"] == "Stalin played both sides"
    assert embed["description"].startswith("In the summer of 1939 Stalin negotiated")
    info = fields(shown)
    assert BOTH_SIDES in info["How people put it"]
    assert "Roger Moorhouse, *The Devils' Alliance" in info["Further reading"]
    assert "The West kept the USSR at arm's length" in info["Counter-arguments"]
    assert info["How often it comes up"] == "1 time from 1 person in the last 30 days (1 in all)."
    assert info["Threshold"] == f"{model_threshold()} (model default)"
    assert (info["Policy"], info["Context notes"]) == ("none", "on")

    missing = await answer(clio, "arguments show", {"argument": "no-such-thing"}, user="alice")
    assert "There is no argument called `no-such-thing`" in missing["content"]


async def test_autocomplete_offers_this_servers_arguments(clio):
    record = await clio.fake.autocomplete(
        clio.guild_id,
        clio.channels["general"],
        clio.users["alice"],
        "arguments show",
        {"argument": "both sid"},
        focused="argument",
    )
    choices = (await record.response())["data"]["choices"]
    assert choices == [{"name": f"Stalin played both sides ({BOTH_SIDES_SLUG})", "value": BOTH_SIDES_SLUG}]
    record = await clio.fake.autocomplete(
        clio.guild_id,
        clio.channels["general"],
        clio.users["mod"],
        "clio arguments edit",
        {"argument": "katyn"},
        focused="argument",
    )
    assert [c["value"] for c in (await record.response())["data"]["choices"]] == ["katyn-was-german", "katyn-was-nkvd"]


# --- upkeep --------------------------------------------------------------------------------------


async def test_moderators_add_edit_remove_and_switch_notes(clio):
    guild_id = int(clio.guild_id)
    opened = await clio.slash("clio arguments add", {"name": "appeasement-bought-time", "threshold": 0.3})
    assert modal_defaults(await opened.wait_modal())["claim"] == ""
    submitted = await clio.fake.submit_modal(
        opened,
        {
            "title": "Appeasement bought time",
            "claim": "Munich gave Britain a year to rearm.",
            "examples": "munich bought time for the RAF\nchamberlain needed a year of spitfires",
            "counters": "pact-bought-time",
            "sources": "Robert Self - Neville Chamberlain (2006)",
        },
    )
    assert "Added **Appeasement bought time**" in (await submitted.wait_original())["content"]
    added = await argument(clio, "appeasement-bought-time")
    assert (added.origin, added.threshold, added.counters) == ("moderator", 0.3, ("pact-bought-time",))
    assert added.id in {p.argument_id for p in (await clio.bot.engine.tagging.matcher_for(guild_id)).profiles}

    taken = await answer(clio, "clio arguments add", {"name": BOTH_SIDES_SLUG})
    assert "already has an argument" in taken["content"]

    opened = await clio.slash("clio arguments edit", {"argument": "appeasement-bought-time", "flag": True})
    defaults = modal_defaults(await opened.wait_modal())
    assert defaults == {
        "title": "Appeasement bought time",
        "claim": "Munich gave Britain a year to rearm.",
        "examples": "munich bought time for the RAF\nchamberlain needed a year of spitfires",
        "counters": "pact-bought-time",
        "sources": "Robert Self - Neville Chamberlain (2006)",
    }
    bad = await clio.fake.submit_modal(opened, {"counters": "nonsense"})
    assert "unknown: nonsense" in (await bad.wait_original())["content"]
    opened = await clio.slash("clio arguments edit", {"argument": "appeasement-bought-time", "flag": True})
    submitted = await clio.fake.submit_modal(opened, {"claim": "Munich bought Britain a year."})
    assert "Updated **Appeasement bought time**" in (await submitted.wait_original())["content"]
    edited = await argument(clio, "appeasement-bought-time")
    assert (edited.claim, edited.policy, edited.threshold) == ("Munich bought Britain a year.", "flag", 0.3)
    assert edited.examples == added.examples

    off = await answer(clio, "clio arguments notes", {"argument": "appeasement-bought-time", "enabled": False})
    assert "off" in off["content"]
    assert not (await argument(clio, "appeasement-bought-time")).notes_enabled

    removed = await answer(clio, "clio arguments remove", {"argument": "appeasement-bought-time"})
    assert "Removed **Appeasement bought time**" in removed["content"]
    assert (await argument(clio, "appeasement-bought-time")).status == "removed"
    assert edited.id not in {p.argument_id for p in (await clio.bot.engine.tagging.matcher_for(guild_id)).profiles}
    gone = await answer(clio, "arguments show", {"argument": "appeasement-bought-time"}, user="alice")
    assert "There is no argument called" in gone["content"]


async def test_members_cannot_change_anything(clio):
    for name, options in [
        ("clio arguments add", {"name": "mine"}),
        ("clio arguments edit", {"argument": BOTH_SIDES_SLUG}),
        ("clio arguments remove", {"argument": BOTH_SIDES_SLUG}),
        ("clio arguments notes", {"argument": BOTH_SIDES_SLUG, "enabled": False}),
        ("clio arguments candidates", None),
        ("clio arguments discover", None),
    ]:
        refused = await answer(clio, name, options, user="alice")
        assert REFUSED in refused["content"] and refused["flags"] & EPHEMERAL, name
    said = await clio.say("bob", BOTH_SIDES)
    await settled(clio, said)
    menu = await clio.fake.invoke_message_command("Tag argument", said["id"], clio.users["alice"])
    assert REFUSED in (await menu.wait_original())["content"]
    both_sides = await argument(clio, BOTH_SIDES_SLUG)
    assert both_sides.status == "active" and both_sides.notes_enabled
    assert await clio.store.arguments.by_slug(int(clio.guild_id), "mine") is None
    commands = {c["name"]: c for c in clio.fake.state.commands[None].values()}
    assert str(commands["Tag argument"]["default_member_permissions"]) == "8192"  # Manage Messages
    assert commands["Why this tag?"]["default_member_permissions"] is None


# --- the message menus ---------------------------------------------------------------------------


async def test_tag_argument_menu_corrects_tags(clio):
    guild_id = int(clio.guild_id)
    said = await clio.say("alice", "the soviets basically held an auction between the allies and hitler in 1939")
    await settled(clio, said)
    both_sides = await argument(clio, BOTH_SIDES_SLUG)

    menu = await clio.fake.invoke_message_command("Tag argument", said["id"], clio.users["mod"])
    picker = await menu.wait_followup()
    assert picker["flags"] & EPHEMERAL
    is_id, not_id = f"clio:tag:is:{said['id']}", f"clio:tag:not:{said['id']}"
    assert custom_ids(picker) == [is_id, not_id]
    assert select_values(picker, is_id)[0] == str(both_sides.id)  # most likely first
    assert len(select_values(picker, is_id)) == 25

    refused = await clio.fake.choose(picker["id"], is_id, [str(both_sides.id)], clio.users["alice"])
    assert REFUSED in (await refused.wait_original())["content"]

    rejected = await clio.fake.choose(picker["id"], not_id, [str(both_sides.id)], clio.users["mod"])
    assert "does not make **Stalin played both sides**" in (await rejected.wait_original())["content"]
    [tag] = [
        t
        for t in (await clio.store.tags.for_messages(guild_id, [int(said["id"])]))[int(said["id"])]
        if t.argument_id == both_sides.id
    ]
    assert (tag.source, tag.accepted) == ("moderator", False)
    profile = next(
        p for p in (await clio.bot.engine.tagging.matcher_for(guild_id)).profiles if p.argument_id == both_sides.id
    )
    assert said["content"] in profile.rejected  # the matcher was rebuilt with the correction

    confirmed = await clio.fake.choose(picker["id"], is_id, [str(both_sides.id)], clio.users["mod"])
    assert "the message makes" in (await confirmed.wait_original())["content"]
    assert [c.accepted for c in await clio.store.tags.corrections(guild_id)] == [True]

    unwatched = await clio.say("alice", "something in a channel nobody watches", channel="random")
    menu = await clio.fake.invoke_message_command("Tag argument", unwatched["id"], clio.users["mod"])
    assert "only learn from messages in watched channels" in (await menu.wait_original())["content"]


async def test_why_this_tag(clio):
    said = await clio.say("alice", BOTH_SIDES)
    await settled(clio, said)
    why = await clio.fake.invoke_message_command("Why this tag?", said["id"], clio.users["alice"])
    embed = (await why.wait_followup())["embeds"][0]
    assert embed["title"] == "Why these tags?"
    first = embed["description"].split("\n\n")[0]
    assert first.startswith("**Stalin played both sides** (tagged)")
    assert f"threshold {model_threshold()}" in first
    # The same text embedded alone or inside a padded batch differs in the last digit under int8.
    assert re.search(f"the example “{re.escape(BOTH_SIDES)}”, similarity (0.99|1.00)", first)

    chatter = await clio.say("bob", "what time is the match tonight", channel="random")
    why = await clio.fake.invoke_message_command("Why this tag?", chatter["id"], clio.users["bob"])
    embed = (await why.wait_followup())["embeds"][0]
    assert embed["title"] == "Why no tag?"
    assert embed["description"].startswith("This message has no tags. The closest arguments:")


# --- candidates ----------------------------------------------------------------------------------


async def add_candidate(clio, slug: str, claim: str, messages: int) -> int:
    link = f"https://discord.com/channels/{clio.guild_id}/{clio.channels['general']}/1"
    evidence = {
        "messages": messages,
        "distinct_texts": messages,
        "authors": 3,
        "days": 2,
        "first_seen": time.time() - 86400,
        "last_seen": time.time(),
        "example_links": [link],
    }
    return await clio.store.arguments.add(
        int(clio.guild_id),
        slug,
        claim,
        origin="discovered",
        status="candidate",
        examples=[f"{claim} (again)"],
        evidence=evidence,
    )


async def test_candidates_approve_dismiss_merge_even_after_a_restart(clio):
    guild_id = int(clio.guild_id)
    await clio.bot.engine.tagging.ensure_guild(guild_id)
    winter = await add_candidate(clio, "c-winter", "The Winter War showed Hitler the Red Army was weak.", 7)
    molotov = await add_candidate(clio, "c-molotov", "Molotov was just following orders from Stalin.", 6)
    auction = await add_candidate(clio, "c-auction", "Stalin auctioned the USSR to the highest bidder in 1939.", 5)
    said = await clio.say("alice", "The Winter War showed Hitler the Red Army was weak.")
    await settled(clio, said)

    copies = []
    for _ in range(2):
        review = await clio.slash("clio arguments candidates")
        summary = await review.wait_followup(0)
        assert summary["content"] == "3 candidate argument(s)." and summary["flags"] & EPHEMERAL
        copies.append([await review.wait_followup(i) for i in (1, 2, 3)])
    posts, stale = copies
    assert [p["embeds"][0]["title"] for p in posts] == [f"Candidate argument #{i}" for i in (winter, molotov, auction)]
    link = f"https://discord.com/channels/{clio.guild_id}/{clio.channels['general']}/1"
    assert fields(posts[0])["Examples"] == f"[1]({link})"
    assert "7 messages (7 distinct) from 3 people on 2 days" in fields(posts[0])["Evidence"]
    assert custom_ids(posts[0]) == [
        f"clio:candidate:approve:{winter}",
        f"clio:candidate:dismiss:{winter}",
        f"clio:candidate:merge:{winter}",
    ]
    both_sides = await argument(clio, BOTH_SIDES_SLUG)
    assert select_values(posts[2], f"clio:candidate:merge:{auction}")[0] == str(both_sides.id)  # most alike first

    refused = await clio.fake.click_button(posts[0]["id"], f"clio:candidate:approve:{winter}", clio.users["alice"])
    assert REFUSED in (await refused.wait_original())["content"]
    assert (await clio.store.arguments.get(guild_id, winter)).status == "candidate"

    approved = await clio.fake.click_button(posts[0]["id"], f"clio:candidate:approve:{winter}", clio.users["mod"])
    decided = await approved.wait_original()
    assert fields(decided)["Decision"].startswith(f"Approved by <@{clio.users['mod']}>")
    assert decided["components"] == []
    assert (await clio.store.arguments.get(guild_id, winter)).status == "active"
    cog = clio.bot.get_cog("Arguments")
    await eventually(lambda: not cog._tasks, what="the re-tag after approval")
    tags = (await clio.store.tags.for_messages(guild_id, [int(said["id"])]))[int(said["id"])]
    assert tags[0].argument_id == winter  # stored messages were re-tagged with the new argument

    await clio.restart()  # the buttons and selects carry what they need in their custom ids

    dismissed = await clio.fake.click_button(posts[1]["id"], f"clio:candidate:dismiss:{molotov}", clio.users["mod"])
    assert fields(await dismissed.wait_original())["Decision"].startswith("Dismissed by")
    assert (await clio.store.arguments.get(guild_id, molotov)).status == "dismissed"

    merged = await clio.fake.choose(
        posts[2]["id"], f"clio:candidate:merge:{auction}", [str(both_sides.id)], clio.users["mod"]
    )
    assert fields(await merged.wait_original())["Decision"].startswith("Merged into **Stalin played both sides** by")
    candidate = await clio.store.arguments.get(guild_id, auction)
    assert (candidate.status, candidate.merged_into) == ("merged", both_sides.id)
    grown = await argument(clio, BOTH_SIDES_SLUG)
    assert "Stalin auctioned the USSR to the highest bidder in 1939." in grown.examples
    await eventually(lambda: not clio.bot.get_cog("Arguments")._tasks, what="the re-tag after merging")

    # Another copy of the review is stale now: it says what became of the candidate.
    other_target = select_values(stale[2], f"clio:candidate:merge:{auction}")[1]
    late = await clio.fake.choose(stale[2]["id"], f"clio:candidate:merge:{auction}", [other_target], clio.users["mod"])
    assert (await late.wait_followup())["content"] == f"Candidate #{auction} is already merged."

    none_left = await answer(clio, "clio arguments candidates")
    assert "No candidate arguments are waiting" in none_left["content"]


async def test_discover_finds_a_recurring_argument(clio):
    guild_id, channel = int(clio.guild_id), int(clio.channels["general"])
    start = time.time() - 5 * 86400
    await clio.store.messages.upsert(
        [
            IncomingMessage(
                id=9_000 + i,
                guild_id=guild_id,
                channel_id=channel,
                author_id=100 + author,
                created_at=start + day * 86400 + i * 60,
                content=text,
                author_name=f"user{author}",
            )
            for i, (author, day, text) in enumerate(ROMAN_CONCRETE)
        ]
    )
    found = await answer(clio, "clio arguments discover", {"days": 30})
    assert "Found 1 recurring argument(s) that no argument explains (1 new)" in found["content"]
    [candidate] = await clio.store.arguments.list(guild_id, ("candidate",))
    assert candidate.evidence["authors"] == 4
    again = await answer(clio, "clio arguments discover")
    assert "(0 new)" in again["content"]

    review = await clio.slash("clio arguments candidates", {"public": True})
    assert not (await review.wait_followup(1))["flags"] & EPHEMERAL  # for the other moderators to see


# --- context notes -------------------------------------------------------------------------------


async def notes(clio) -> list:
    return [
        s
        for s in clio.fake.sent
        if s.route == "channel.create" and s.embeds and s.embeds[0].get("title", "").startswith("Context:")
    ]


async def test_a_context_note_once_then_the_cooldown(clio_world):
    clio = clio_world
    general, random_ = int(clio.channels["general"]), int(clio.channels["random"])
    await clio.configure(note_channels=[general], watched_channels=[general, random_])
    await clio.start()

    said = await clio.say("alice", BOTH_SIDES)
    note = await clio.fake.wait_for_sent(lambda s: s.route == "channel.create" and s.embeds)
    assert note.channel_id == clio.channels["general"]
    assert str(note.payload["message_reference"]["message_id"]) == said["id"]
    assert note.allowed_mentions == {"parse": []}
    embed = note.embeds[0]
    assert embed["title"] == "Context: Stalin played both sides"
    assert embed["description"].startswith("In the summer of 1939")
    info = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Roger Moorhouse" in info["Further reading"]
    assert "The West kept the USSR at arm's length" in info["Counter-arguments"]
    assert info["How often it comes up"] == "1 time from 1 person in the last 30 days (1 in all)."

    # The same argument again in that channel: no second note within the cooldown, even after a restart.
    await settled(clio, await clio.say("bob", BOTH_SIDES_AGAIN))
    await clio.restart()
    await settled(
        clio,
        await clio.say("alice", BOTH_SIDES_AGAIN + " Classic."),
        await clio.say("bob", BOTH_SIDES, channel="random"),
    )  # notes are off in #random
    assert len(await notes(clio)) == 1
    tagged = await clio.store.tags.accepted_in_window(MessageScope(int(clio.guild_id), 0, time.time() + 1))
    assert len([t for t in tagged if t.argument_id == (await argument(clio, BOTH_SIDES_SLUG)).id]) == 4

    # Another argument still gets its note; one with notes switched off does not.
    await answer(clio, "clio arguments notes", {"argument": "ussr-trained-the-wehrmacht", "enabled": False})
    await settled(
        clio,
        await clio.say("bob", "the soviets literally trained the luftwaffe at lipetsk, cant make this up"),
        await clio.say("alice", "Chamberlain would rather eat his umbrella than ally with the soviets lol"),
    )
    titles = [n.embeds[0]["title"] for n in await notes(clio)]
    assert titles == ["Context: Stalin played both sides", "Context: The West kept the USSR at arm's length"]
