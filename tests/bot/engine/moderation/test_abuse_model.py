"""The abuse classifier scores a text the same alone and inside any batch."""

from __future__ import annotations

import numpy as np
import pytest

from bot.engine.moderation.abuse_model import AbuseModel

TEXTS = [
    "you are a pathetic idiot and everyone here hates you",
    "The Treaty of Versailles imposed reparations that many historians think were too harsh.",
    "lol",
    "Stalin's purges killed hundreds of thousands; the archives opened in the 1990s confirm it.",
    "shut up",
    "I think you're wrong about the causes of the First World War, but it's a fair point about alliances "
    "and the naval race between Britain and Germany in the decade before 1914.",
    "damn, that battle was brutal",
]


@pytest.fixture(scope="module")
def model() -> AbuseModel:
    return AbuseModel(threads=1, batch_size=4)


def test_score_does_not_depend_on_batch(model: AbuseModel) -> None:
    together = model.score(TEXTS)
    alone = np.array([model.score([text])[0] for text in TEXTS])
    assert together.shape == (len(TEXTS),) and together.dtype == np.float32
    np.testing.assert_allclose(together, alone, atol=1e-5, rtol=0)
    reordered = model.score(TEXTS[::-1] + TEXTS[:2])
    np.testing.assert_allclose(reordered[: len(TEXTS)][::-1], together, atol=1e-5, rtol=0)


def test_scores_are_probabilities(model: AbuseModel) -> None:
    scores = model.score(TEXTS)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert model.score([]).shape == (0,)
    assert 0 < model.threshold < 1
