"""False positives: stored per guild, turned into threshold advice and into training negatives."""

import pytest

from bot.engine.moderation import feedback
from bot.engine.moderation.feedback import ThresholdAdvice, threshold_advice
from bot.training.abuse_training_data import TrainConfig
from tests.bot.conftest import GUILD, OTHER_GUILD
from tests.conftest import required

NOW = 1_760_000_000.0


def decided(false_positives: int, true_positives: int, score: float = 0.9) -> list[tuple[float, bool]]:
    return [(score, True)] * false_positives + [(score, False)] * true_positives


def test_advice_needs_enough_decisions_and_mostly_false_positives():
    assert threshold_advice(decided(9, 0), 0.6) is None  # too few to say
    assert threshold_advice(decided(5, 5), 0.6) is None  # half and half is not "mostly"
    assert threshold_advice(decided(6, 4), 0.6) == ThresholdAdvice(0.6, 0.65, 10, 6)
    assert required(threshold_advice(decided(6, 4, score=0.97), 0.93)).proposed == 0.95  # capped
    assert threshold_advice(decided(6, 4, score=0.97), 0.95) is None
    # Flags the current threshold no longer raises are not evidence against it.
    assert threshold_advice(decided(8, 4, score=0.61) + decided(0, 4, score=0.7), 0.65) is None


async def record_decided(store, guild_id: int, n: int, score: float, fp: bool, text: str = "fine"):
    flag_id, _ = await store.flags.record(
        guild_id, 5_000 + n, 1, 7 + n % 2, "abuse", score, "abusive", quote=f"{text} {n}", now=NOW
    )
    await store.flags.decide(guild_id, flag_id, "dismissed" if fp else "actioned", 1, now=NOW)
    if fp:
        await store.false_positives.add(guild_id, [await store.flags.get(guild_id, flag_id)], 1, now=NOW)


async def test_false_positives_are_stored_per_guild_and_redacted(store):
    fps = store.false_positives
    for n in range(4):
        await record_decided(store, GUILD, n, 0.9, fp=n < 3)
    await record_decided(store, OTHER_GUILD, 10, 0.9, fp=True, text="elsewhere")
    assert await fps.texts(GUILD) == ["fine 0", "fine 1", "fine 2"]
    assert await fps.texts() == ["fine 0", "fine 1", "fine 2", "elsewhere 10"]
    assert await fps.has(GUILD, 1) and not await fps.has(OTHER_GUILD, 1)
    assert await fps.redact_author(GUILD, 7) == 2  # flags 0 and 2 came from author 7
    assert await fps.texts(GUILD) == ["fine 1"]
    assert await fps.redact_before(GUILD, NOW + 1) == 1
    assert await fps.texts() == ["elsewhere 10"]


async def test_advice_from_the_store_counts_recent_decided_abuse_flags(store):
    for n in range(10):
        await record_decided(store, GUILD, n, 0.9, fp=n < 7)
    advice = required(await feedback.abuse_threshold_advice(store, GUILD, 0.6, now=NOW))
    assert (advice.decided, advice.false_positives, advice.proposed) == (10, 7, 0.65)
    assert await feedback.abuse_threshold_advice(store, OTHER_GUILD, 0.6, now=NOW) is None
    later = NOW + (feedback.ADVICE_DAYS + 1) * 86400
    assert await feedback.abuse_threshold_advice(store, GUILD, 0.6, now=later) is None


async def test_export_for_training_round_trips(store, tmp_path):
    for n in range(3):
        await record_decided(store, GUILD, n, 0.9, fp=True, text='he said "fine", then left\nfor good')
    path = tmp_path / "fp" / "false_positives.csv"
    assert await feedback.export_false_positives(store, path) == 3
    texts = feedback.read_false_positives(path)
    assert texts == [f'he said "fine", then left\nfor good {n}' for n in range(3)]

    other = tmp_path / "other.csv"
    other.write_text("message,label\nx,1\n", encoding="utf-8")
    with pytest.raises(ValueError):
        feedback.read_false_positives(other)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("text,label\nkeep me,0\nnot a negative,1\n,0\n", encoding="utf-8")
    assert feedback.read_false_positives(mixed) == ["keep me"]
    assert TrainConfig(extra_negatives=path).extra_negatives == path
