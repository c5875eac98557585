import numpy as np
import pytest

from bot.tooling.evaluation.catalogue_eval import by_length
from bot.tooling.evaluation.corpus import CorpusText


def text(words: int, *arguments: str) -> CorpusText:
    return CorpusText("pack", "paraphrase", " ".join(["word"] * words), frozenset(arguments))


def test_by_length_splits_tags_and_wrong_scores_by_word_count():
    texts = [text(5, "a"), text(20, "b"), text(40), text(50, "a")]
    tags = [[(0, 0.9)], [(0, 0.95)], [], [(0, 0.9), (1, 0.86)]]
    probabilities = np.array([[0.9, 0.1], [0.95, 0.5], [0.2, 0.4], [0.9, 0.86]])
    report = by_length(texts, ["a", "b"], tags, probabilities)
    assert list(report) == ["1-12", "13-30", "31-"]
    assert report["1-12"] == {
        "texts": 1,
        "precision": 1.0,
        "recall": 1.0,
        "wrong_tags": 0,
        "mean_best_wrong_probability": 0.1,
    }
    assert report["13-30"]["precision"] == 0.0 and report["13-30"]["recall"] == 0.0
    assert report["13-30"]["mean_best_wrong_probability"] == 0.95
    long = report["31-"]
    assert (long["texts"], long["precision"], long["recall"], long["wrong_tags"]) == (2, 0.5, 1.0, 1)
    assert long["mean_best_wrong_probability"] == pytest.approx((0.4 + 0.86) / 2)
