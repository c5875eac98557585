"""ModerationService: which flaggers run per guild, exemptions, thresholds and time order."""

import pytest

from bot.core.guild_config import GuildConfig
from bot.engine.moderation import AbuseModel, ModerationService, PolicyArgument, flagged_only
from bot.engine.moderation.abuse_model import shared_abuse_model
from tests.conftest import required

from .conftest import ctx

# Scores set by hand keep these tests about the service; test_abuse covers what the model scores.
ABUSIVE = 0.99
POLICIES = {7: PolicyArgument("katyn-was-german", "flag"), 8: PolicyArgument("pact-was-defensive", None)}


@pytest.fixture(scope="module")
def model() -> AbuseModel:
    return required(shared_abuse_model())


def names(flags):
    return [f.flagger for f in flags]


def test_every_default_flagger_runs_and_reports(model):
    service = ModerationService(model)
    message = ctx(
        "you are awful discord.gg/x https://bit.ly/y", abuse_score=ABUSIVE, tags=[(7, 0.91)]
    )  # two spam signals
    results = service.evaluate([message], GuildConfig(), POLICIES)
    flags = results[message.message_id]
    assert names(flags) == ["abuse", "spam", "flood", "policy"]
    assert [f.flagged for f in flags] == [True, True, False, True]
    assert "katyn-was-german" in flags[3].reason and flags[3].score == 0.91


def test_per_guild_enabled_flaggers(model):
    service = ModerationService(model)
    message = ctx("discord.gg/x", abuse_score=ABUSIVE, tags=[(7, 0.9)])
    results = service.evaluate([message], GuildConfig(flaggers=["spam"]), POLICIES)
    assert names(results[message.message_id]) == ["spam"]


def test_unknown_flagger_names_are_ignored_with_a_warning(caplog):
    message = ctx("hello")
    results = ModerationService(None).evaluate([message], GuildConfig(flaggers=["spam", "nonsense"]))
    assert names(results[message.message_id]) == ["spam"]
    assert "nonsense" in caplog.text


def test_exempt_channels_and_roles_are_skipped_entirely(model):
    service = ModerationService(model)
    config = GuildConfig(exempt_channels=[555], exempt_roles=[42])
    in_exempt_channel = ctx("discord.gg/x", channel_id=555, abuse_score=ABUSIVE)
    mod = ctx("discord.gg/x", author_role_ids=(1, 42), abuse_score=ABUSIVE)
    member = ctx("discord.gg/x", author_role_ids=(1,), abuse_score=ABUSIVE)
    results = service.evaluate([in_exempt_channel, mod, member], config)
    assert results[in_exempt_channel.message_id] == [] and results[mod.message_id] == []
    assert set(flagged_only(results)) == {member.message_id}


def test_guild_abuse_threshold_overrides_the_model(model):
    service = ModerationService(model)
    mild = ctx("meh", abuse_score=model.threshold - 0.1)
    assert not flagged_only(service.evaluate([mild], GuildConfig()))
    assert flagged_only(service.evaluate([mild], GuildConfig(abuse_threshold=model.threshold - 0.2)))


def test_abuse_scores_are_computed_only_where_the_flagger_will_read_them(model):
    service = ModerationService(model)
    config = GuildConfig(exempt_channels=[555])
    insult, exempt, empty = ctx("you are a worthless idiot"), ctx("you idiot", channel_id=555), ctx("  ")
    already = ctx("you idiot", abuse_score=0.123)
    service.score_abuse([insult, exempt, empty, already], config)
    assert required(insult.abuse_score) >= model.threshold
    assert exempt.abuse_score is None and empty.abuse_score is None and already.abuse_score == 0.123
    untouched = ctx("you are a worthless idiot")
    service.score_abuse([untouched], GuildConfig(flaggers=["spam"]))
    assert untouched.abuse_score is None


def test_disabled_abuse_flagger_drops_out_quietly(tmp_path):
    service = ModerationService.load(tmp_path / "no-model-here")
    assert not service.abuse_enabled
    message = ctx("you idiot", abuse_score=ABUSIVE)
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


def test_median_flag_cost_is_measured_per_message(model):
    from bot.engine.moderation import median_flag_ms

    contexts = [ctx(f"message {i}") for i in range(21)]
    assert median_flag_ms(ModerationService(model), contexts, GuildConfig()) > 0.0
    assert all(c.abuse_score is not None for c in contexts)  # the abuse model's cost is part of it
