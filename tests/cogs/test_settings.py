"""``/clio config``: moderators change the guild's settings; nobody else can."""

from __future__ import annotations

import pytest

from bot.tooling.fakediscord.state import make_role
from tests.cogs.conftest import eventually

pytestmark = pytest.mark.slow

EPHEMERAL = 1 << 6


async def _answer(clio, name: str, options=None, user: str = "mod") -> dict:
    record = await clio.slash(f"clio config {name}", options, user=user)
    original = await record.wait_original()
    assert original["flags"] & EPHEMERAL, "settings answers are private"
    return original


async def _config(clio):
    return await clio.store.settings.get(int(clio.guild_id))


async def test_show_lists_the_settings(clio):
    answer = await _answer(clio, "show")
    fields = {f["name"]: f["value"] for f in answer["embeds"][0]["fields"]}
    assert fields["Watched channels"] == f"<#{clio.channels['general']}>"
    assert fields["Digest channel"] == f"<#{clio.channels['digests']}>"


async def test_watch_backfills_and_then_ingests_live(clio):
    old = clio.fake.seed_history(clio.channels["random"], clio.users["bob"], "said before anyone watched", None)
    answer = await _answer(clio, "watch", {"channel": clio.channels["random"]})
    assert "Now watching" in answer["content"]
    assert int(clio.channels["random"]) in (await _config(clio)).watched_channels
    await clio.wait_stored(1, channel="random")
    live = await clio.say("alice", "and now it is watched", channel="random")
    assert await clio.wait_stored(2, channel="random") == [int(old["id"]), int(live["id"])]


async def test_unwatch_stops_ingest(clio):
    await _answer(clio, "unwatch", {"channel": clio.channels["general"]})
    assert (await _config(clio)).watched_channels == []
    await clio.say("alice", "nobody listens now")
    await clio.idle()
    assert await clio.stored_ids() == []
    again = await _answer(clio, "unwatch", {"channel": clio.channels["general"]})
    assert "is not watched" in again["content"]


async def test_channels_threshold_notes_and_retention(clio):
    await _answer(clio, "digest-channel", {"channel": clio.channels["random"]})
    await _answer(clio, "modlog-channel", {"channel": clio.channels["digests"]})
    await _answer(clio, "threshold", {"value": 0.6})
    await _answer(clio, "notes", {"channel": clio.channels["general"], "enabled": True})
    await _answer(clio, "retention", {"days": 30})
    config = await _config(clio)
    assert config.digest_channel == int(clio.channels["random"])
    assert config.modlog_channel == int(clio.channels["digests"])
    assert config.tag_threshold == 0.6
    assert config.note_channels == [int(clio.channels["general"])]
    assert config.retention_days == 30
    await _answer(clio, "notes", {"channel": clio.channels["general"], "enabled": False})
    await _answer(clio, "threshold")  # no value: back to the model's default
    config = await _config(clio)
    assert config.note_channels == [] and config.tag_threshold is None


async def test_note_threshold_and_cooldown_have_commands(clio):
    assert "0.90 sure" in (await _answer(clio, "note-threshold", {"value": 0.9}))["content"]
    assert "at most one every 6 hours" in (await _answer(clio, "note-cooldown", {"every": "6h"}))["content"]
    config = await _config(clio)
    assert (config.note_threshold, config.note_cooldown_hours) == (0.9, 6.0)
    assert "not a duration" in (await _answer(clio, "note-cooldown", {"every": "soon"}))["content"]
    shown = {f["name"]: f["value"] for f in (await _answer(clio, "show"))["embeds"][0]["fields"]}
    assert "0.90 sure" in shown["Context notes"] and "every 6 hours" in shown["Context notes"]
    await _answer(clio, "note-cooldown", {"every": "0"})
    assert (await _config(clio)).note_cooldown_hours == 0


async def test_out_of_range_value_is_refused_clearly(clio):
    # Discord enforces the option's range in its client; a forged request must still fail cleanly.
    answer = await _answer(clio, "threshold", {"value": 1.5})
    assert "not allowed" in answer["content"]
    assert (await _config(clio)).tag_threshold is None


async def test_members_without_manage_messages_are_refused(clio):
    answer = await _answer(clio, "watch", {"channel": clio.channels["random"]}, user="alice")
    assert "Manage Messages" in answer["content"]
    assert (await _config(clio)).watched_channels == [int(clio.channels["general"])]


async def test_commands_are_marked_moderator_only_for_discord(clio):
    synced = clio.fake.state.commands[None]
    assert str(synced[("clio", 1)]["default_member_permissions"]) == str(1 << 13)
    assert str(synced[("digest", 1)]["default_member_permissions"]) == str(1 << 13)
    assert synced[("summary", 1)]["default_member_permissions"] is None


async def test_every_synced_option_has_a_real_description(clio):
    """discord.py shows "…" for a parameter nobody described: a member reading it learns nothing."""

    def undescribed(options, path):
        for option in options or []:
            where = [*path, option["name"]]
            if option["type"] in (1, 2):  # a subcommand or a group: look inside
                yield from undescribed(option.get("options"), where)
            elif option.get("description", "").strip(" .…") == "":
                yield " ".join(where)

    commands = clio.fake.state.commands[None].values()
    assert [o for command in commands for o in undescribed(command.get("options"), [command["name"]])] == []


async def test_channel_the_bot_cannot_see_is_refused(clio):
    # A channel the bot was never told about, as with one whose permissions hide it from the bot.
    hidden = clio.fake.state.add_channel(clio.guild_id, "staff-only")
    answer = await _answer(clio, "digest-channel", {"channel": hidden["id"]})
    assert "can't see that channel" in answer["content"]
    assert (await _config(clio)).digest_channel == int(clio.channels["digests"])


async def test_deleting_a_configured_channel_clears_it(clio):
    await clio.fake.delete_channel(clio.channels["digests"])

    async def cleared():
        return (await _config(clio)).digest_channel is None

    await eventually(cleared, what="digest channel cleared")


async def test_moderation_settings_flaggers_thresholds_exemptions_and_escalation(clio):
    await _answer(clio, "flagger", {"name": "flood", "enabled": False})
    await _answer(clio, "flagging", {"abuse": 0.8, "bare_swearing": False, "flood": 10, "mass_mentions": 7})
    await _answer(clio, "exempt", {"exempt": True, "channel": clio.channels["random"]})
    await _answer(clio, "escalation", {"warnings": 2, "days": 7, "timeout_minutes": 120})
    config = await _config(clio)
    assert "flood" not in config.flaggers and "abuse" in config.flaggers
    assert (config.abuse_threshold, config.flood_messages, config.mass_mentions) == (0.8, 10, 7)
    assert not config.flag_bare_swearing
    assert config.exempt_channels == [int(clio.channels["random"])]
    assert (config.escalation_warnings, config.escalation_days, config.escalation_timeout_minutes) == (2, 7, 120)

    shown = {f["name"]: f["value"] for f in (await _answer(clio, "show"))["embeds"][0]["fields"]}
    assert "abuse 0.80, swearing at nobody not flagged" in shown["Flagging"] and "flood" not in shown["Flaggers"]

    await _answer(clio, "flagger", {"name": "flood", "enabled": True})
    await _answer(clio, "flagging", {"reset_abuse": True})
    await _answer(clio, "exempt", {"exempt": False, "channel": clio.channels["random"]})
    config = await _config(clio)
    assert "flood" in config.flaggers and config.abuse_threshold is None and config.exempt_channels == []
    both = await _answer(clio, "exempt", {"exempt": True})
    assert "exactly one channel or one role" in both["content"]


async def test_spam_allowlists(clio):
    await _answer(clio, "spam-allow", {"allowed": True, "domain": "https://www.JSTOR.org/stable/1234"})
    await _answer(clio, "spam-allow", {"allowed": True, "invite": "https://discord.gg/WW2History"})
    config = await _config(clio)
    assert (config.spam_allowed_domains, config.spam_allowed_invites) == (["jstor.org"], ["ww2history"])
    shown = {f["name"]: f["value"] for f in (await _answer(clio, "show"))["embeds"][0]["fields"]}
    assert shown["Spam allowlist"] == "jstor.org, invite ww2history"
    await _answer(clio, "spam-allow", {"allowed": False, "domain": "jstor.org"})
    assert (await _config(clio)).spam_allowed_domains == []
    bad = await _answer(clio, "spam-allow", {"allowed": True, "domain": "not a domain"})
    assert "is not a domain" in bad["content"]


async def test_quote_policy(clio):
    assert (await _config(clio)).quote_policy_arguments is False
    done = await _answer(clio, "quote-policy", {"enabled": True})
    assert "will quote" in done["content"]
    assert (await _config(clio)).quote_policy_arguments is True
    shown = {f["name"]: f["value"] for f in (await _answer(clio, "show"))["embeds"][0]["fields"]}
    assert shown["Rule-breaking arguments"] == "quoted"


async def test_a_moderator_role_opens_moderator_commands_to_its_members(clio_world):
    clio = clio_world
    guild = clio.fake.state.guild(clio.guild_id)
    helper = "424242424242424242"
    guild.roles[helper] = make_role(helper, "Helper", 0, 2)  # no Manage Messages
    guild.members[clio.users["alice"]]["roles"].append(helper)
    await clio.start()
    refused = await _answer(clio, "show", user="alice")
    assert "Manage Messages" in refused["content"]
    done = await _answer(clio, "moderator-role", {"role": helper})
    assert "<@&424242424242424242>" in done["content"]
    assert (await _config(clio)).moderator_role == int(helper)
    shown = await _answer(clio, "show", user="alice")
    assert shown["embeds"][0]["title"] == "Clio settings"
    assert "Manage Messages" in (await _answer(clio, "show", user="bob"))["content"]  # bob lacks the role
    await _answer(clio, "moderator-role")  # none: back to Manage Messages alone
    assert "Manage Messages" in (await _answer(clio, "show", user="alice"))["content"]


async def test_moderators_digest_time(clio):
    done = await _answer(clio, "modlog-digest", {"time": "08:30", "timezone": "Europe/Paris"})
    assert "08:30 (Europe/Paris)" in done["content"]
    config = await _config(clio)
    assert (config.modlog_digest_time, config.modlog_digest_timezone) == ("08:30", "Europe/Paris")
    bad = await _answer(clio, "modlog-digest", {"time": "25:00"})
    assert "not a time of day" in bad["content"]
    assert (await _config(clio)).modlog_digest_time == "08:30"
