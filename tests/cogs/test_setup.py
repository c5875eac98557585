"""``/clio setup`` and the welcome on joining a server, end to end: a moderator sets a fresh server up
with selects and buttons, and every pick is saved."""

from __future__ import annotations

import pytest

from tests.cogs.conftest import eventually

pytestmark = pytest.mark.slow

EPHEMERAL = 1 << 6
REFUSED = "You need the Manage Messages permission"


def _components(message: dict) -> list[dict]:
    return [component for row in message.get("components") or [] for component in row["components"]]


def _custom_id(message: dict, placeholder_or_label: str) -> str:
    for component in _components(message):
        if placeholder_or_label in (component.get("placeholder", ""), component.get("label", "")):
            return component["custom_id"]
    raise AssertionError(f"no component {placeholder_or_label!r} in {_components(message)}")


async def _pick(clio, setup: dict, placeholder: str, values: list[str], user: str) -> dict:
    record = await clio.fake.choose(setup["id"], _custom_id(setup, placeholder), values, user)
    await record.response()
    return clio.fake.state.find_message(setup["id"])


async def test_setup_configures_a_fresh_guild(clio):
    fake = clio.fake
    guild = fake.add_guild("Byzantium Society", channels=["chat", "digests", "mods"])
    channels = {c["name"]: c["id"] for c in fake.state.channels.values() if c.get("guild_id") == guild.id}
    owner = guild.owner_id
    member = fake.add_member(guild.id, "newcomer")["user"]["id"]

    async def welcomed():
        return next((m for m in fake.messages_in(channels["chat"]) if m["embeds"]), None)

    welcome = await eventually(welcomed, what="the welcome message")
    assert "/clio setup" in welcome["embeds"][0]["description"]

    refused = await fake.click_button(welcome["id"], "clio:setup", member)
    assert REFUSED in (await refused.wait_original())["content"]

    opened = await fake.click_button(welcome["id"], "clio:setup", owner)
    setup = await opened.wait_followup()
    assert setup["flags"] & EPHEMERAL
    assert "⬜ **Watched channels**" in setup["embeds"][0]["description"]

    await _pick(clio, setup, "Channels to watch (their threads too)", [channels["chat"]], owner)
    early = await fake.click_button(setup["id"], _custom_id(setup, "Daily digest (09:00 UTC)"), owner)
    assert "Pick the digest channel first" in (await early.wait_original())["content"]
    await _pick(clio, setup, "Where digests are posted", [channels["digests"]], owner)
    await _pick(clio, setup, "Where flags and cases go (moderators only)", [channels["mods"]], owner)
    (pack_select,) = [c for c in _components(setup) if c.get("placeholder") == "Topic packs to tag"]
    first = pack_select["options"][0]
    await _pick(clio, setup, "Topic packs to tag", [first["value"]], owner)

    def packs_shown():  # the pack select defers, switches the packs, then edits the message
        shown = fake.state.find_message(setup["id"])["embeds"][0]["description"]
        return f"✅ **Topic packs**: {first['label']}\n" in shown

    await eventually(packs_shown, what="the picked pack shown")
    clicked = await fake.click_button(setup["id"], _custom_id(setup, "Weekly digest (Mondays 09:00 UTC)"), owner)
    await clicked.response()

    guild_id = int(guild.id)
    config = await clio.store.settings.get(guild_id)
    assert config.watched_channels == [int(channels["chat"])]
    assert (config.digest_channel, config.modlog_channel) == (int(channels["digests"]), int(channels["mods"]))
    assert await clio.bot.engine.tagging.packs.enabled(guild_id) == {first["value"]}
    (schedule,) = await clio.store.schedules.list(guild_id)
    assert (schedule.target_channel_id, schedule.cron) == (int(channels["digests"]), "0 9 * * 1")
    done = fake.state.find_message(setup["id"])["embeds"][0]["description"]
    assert "⬜" not in done, done
    assert (await clio.store.settings.get(int(clio.guild_id))).watched_channels == [int(clio.channels["general"])]


async def test_setup_command_is_for_moderators(clio):
    refused = await clio.slash("clio setup", user="alice")
    assert REFUSED in (await refused.wait_original())["content"]
    setup = await (await clio.slash("clio setup", user="mod")).wait_followup()
    description = setup["embeds"][0]["description"]
    assert f"✅ **Watched channels**: <#{clio.channels['general']}>" in description
    assert "⬜ **Mod-log channel**" in description
