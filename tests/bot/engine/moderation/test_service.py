"""ModerationService: which flaggers run per guild, exemptions, thresholds and time order."""

import numpy as np

from bot.core.guild_config import GuildConfig
from bot.engine.moderation import AbuseModel, ModerationService, PolicyArgument, flagged_only
from bot.engine.moderation.abuse import FEATURE_CUES

from .conftest import ctx

DIM = 4


def toy_model(threshold: float = 0.5) -> AbuseModel:
    """Scores sigmoid(10 * first vector component - 5): a vector [1, 0, ...] is abuse, [0, ...] is not."""
    weights = np.zeros((DIM + len(FEATURE_CUES), 1), np.float32)
    weights[0, 0] = 10.0
    return AbuseModel("toy", threshold, ((weights, np.array([-5.0], np.float32)),))


ABUSIVE, FINE = np.eye(DIM, dtype=np.float32)[0], np.zeros(DIM, np.float32)
POLICIES = {7: PolicyArgument("katyn-was-german", "flag"), 8: PolicyArgument("pact-was-defensive", None)}


def names(flags):
    return [f.flagger for f in flags]


def test_every_default_flagger_runs_and_reports():
    service = ModerationService(toy_model())
    message = ctx("you are awful discord.gg/x https://bit.ly/y", vector=ABUSIVE, tags=[(7, 0.91)])  # two spam signals
    results = service.evaluate([message], GuildConfig(), POLICIES)
    flags = results[message.message_id]
    assert names(flags) == ["abuse", "spam", "flood", "policy"]
    assert [f.flagged for f in flags] == [True, True, False, True]
    assert "katyn-was-german" in flags[3].reason and flags[3].score == 0.91


def test_per_guild_enabled_flaggers():
    service = ModerationService(toy_model())
    message = ctx("discord.gg/x", vector=ABUSIVE, tags=[(7, 0.9)])
    results = service.evaluate([message], GuildConfig(flaggers=["spam"]), POLICIES)
    assert names(results[message.message_id]) == ["spam"]


def test_unknown_flagger_names_are_ignored_with_a_warning(caplog):
    message = ctx("hello")
    results = ModerationService(None).evaluate([message], GuildConfig(flaggers=["spam", "nonsense"]))
    assert names(results[message.message_id]) == ["spam"]
    assert "nonsense" in caplog.text


def test_exempt_channels_and_roles_are_skipped_entirely():
    service = ModerationService(toy_model())
    config = GuildConfig(exempt_channels=[555], exempt_roles=[42])
    in_exempt_channel = ctx("discord.gg/x", channel_id=555, vector=ABUSIVE)
    mod = ctx("discord.gg/x", author_role_ids=(1, 42), vector=ABUSIVE)
    member = ctx("discord.gg/x", author_role_ids=(1,), vector=ABUSIVE)
    results = service.evaluate([in_exempt_channel, mod, member], config)
    assert results[in_exempt_channel.message_id] == [] and results[mod.message_id] == []
    assert set(flagged_only(results)) == {member.message_id}


def test_guild_abuse_threshold_overrides_the_model():
    service = ModerationService(toy_model(threshold=0.5))
    mild = ctx("meh", vector=np.array([0.45, 0, 0, 0], np.float32))  # scores sigmoid(-0.5) ~ 0.38
    assert not flagged_only(service.evaluate([mild], GuildConfig()))
    assert flagged_only(service.evaluate([mild], GuildConfig(abuse_threshold=0.3)))


def test_disabled_abuse_flagger_drops_out_quietly():
    service = ModerationService.for_embedder("not-the-shipped-embedder")
    assert not service.abuse_enabled
    message = ctx("you idiot", vector=ABUSIVE)
    assert "abuse" not in names(service.evaluate([message], GuildConfig())[message.message_id])


def test_messages_are_checked_in_time_order_whatever_the_input_order():
    service = ModerationService(None)
    burst = [ctx(f"message {i}", created_at=100.0 + i) for i in range(6)]
    results = service.evaluate(list(reversed(burst)), GuildConfig(flaggers=["flood"]))
    assert list(results) == [m.message_id for m in reversed(burst)]  # output keeps the caller's order
    assert [m.message_id for m in burst if results[m.message_id][0].flagged] == [burst[-1].message_id]


def test_policy_flagger_ignores_unflagged_arguments():
    message = ctx("the pact was defensive", tags=[(8, 0.95)])
    flag = ModerationService(None).evaluate([message], GuildConfig(flaggers=["policy"]), POLICIES)[message.message_id][
        0
    ]
    assert not flag.flagged and "unflagged argument" in flag.reason
    # The (slug, policy) tuple form works too.
    message = ctx("it was the Germans", tags=[(9, 0.8)])
    flags = ModerationService(None).evaluate([message], GuildConfig(flaggers=["policy"]), {9: ("katyn", "flag")})
    assert flags[message.message_id][0].flagged


def test_flagging_state_is_per_guild():
    service = ModerationService(None)
    config = GuildConfig(flaggers=["flood"])
    for i in range(5):
        service.evaluate([ctx("x", guild_id=1, created_at=100.0 + i)], config)
    other = ctx("x", guild_id=2, created_at=105.0)
    assert not service.evaluate([other], config)[other.message_id][0].flagged
    same = ctx("x", guild_id=1, created_at=105.0)
    assert service.evaluate([same], config)[same.message_id][0].flagged


def test_median_flag_cost_is_measured_per_message():
    from bot.engine.moderation import median_flag_ms

    contexts = [ctx(f"message {i}", vector=FINE) for i in range(21)]
    assert 0.0 < median_flag_ms(ModerationService(toy_model()), contexts, GuildConfig()) < 50.0
