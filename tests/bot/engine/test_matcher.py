"""The runtime matcher: thresholds, top-k, rejected corrections, calibration; one check on the real model."""

import json
import re
import zlib

import numpy as np
import pytest

from bot.engine.matcher import ArgumentProfile, Calibration, Matcher, fit_platt, precision_threshold


class BagOfWords:
    """A deterministic toy embedder: hashed word counts, L2-normalised."""

    dim = 256

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


# probability = sigmoid(10 * (similarity - 0.5)): 0.5 at cosine 0.5
CAL = Calibration(slope=10.0, intercept=-5.0, default_threshold=0.5)

PROFILES = [
    ArgumentProfile(1, "stalin played both sides in 1939", ("moscow negotiated with london and berlin",)),
    ArgumentProfile(2, "the soviets trained german pilots at lipetsk"),
    ArgumentProfile(3, "the treaty of versailles caused the war"),
]


@pytest.fixture
def matcher():
    m = Matcher(BagOfWords(), CAL, top_k=3)
    m.index(PROFILES)
    return m


def vec(m, text):
    return m.embedder.encode([text])


def test_index_embeds_everything_in_one_call():
    embedder = BagOfWords()
    m = Matcher(embedder, CAL)
    m.index(PROFILES + [ArgumentProfile(4, "x", ("y",), rejected=("z",))])
    assert embedder.calls == 1


def test_similarity_is_max_over_claim_and_examples(matcher):
    v = vec(matcher, "moscow negotiated with london and berlin")
    sim = matcher.similarity(v)
    assert sim.shape == (1, 3)
    assert sim[0, 0] == pytest.approx(1.0)  # equals the example, not the claim
    assert sim[0, 1] < 0.3
    probs = matcher.probabilities(v)
    assert probs.shape == (1, 3) and np.all((probs >= 0) & (probs <= 1))


def test_default_threshold_and_per_argument_override():
    text = "stalin played both sides"  # cosine 0.76 to argument 1's claim
    m = Matcher(BagOfWords(), CAL)
    m.index(PROFILES)
    tags = m.tag(vec(m, text))[0]
    assert [a for a, _ in tags] == [1]
    assert tags[0][1] == pytest.approx(float(CAL.probability(m.similarity(vec(m, text))[0, 0])))

    strict = [ArgumentProfile(1, PROFILES[0].claim, PROFILES[0].examples, threshold=0.99)] + PROFILES[1:]
    m.index(strict)
    assert m.tag(vec(m, text)) == [[]]

    lenient = [ArgumentProfile(2, PROFILES[1].claim, threshold=0.0)]
    m.index(lenient)
    assert [a for a, _ in m.tag(vec(m, "chess tonight"))[0]] == [2]


def test_top_k_keeps_the_most_probable_first():
    profiles = [
        ArgumentProfile(i, claim)
        for i, claim in enumerate(
            ["red army trained pilots", "red army trained tankers", "red army purged officers", "red pilots"]
        )
    ]
    m = Matcher(BagOfWords(), Calibration(10.0, -5.0, 0.0), top_k=2)
    m.index(profiles)
    tags = m.tag(vec(m, "red army trained pilots"))[0]
    assert [a for a, _ in tags] == [0, 1]
    assert tags[0][1] > tags[1][1]
    m.top_k = 4
    assert len(m.tag(vec(m, "red army trained pilots"))[0]) == 4


def test_rejected_text_closer_than_the_argument_blocks_the_tag():
    claim = "the soviets trained german pilots at lipetsk"
    rejected = "german pilots trained at lipetsk flew in spain"
    m = Matcher(BagOfWords(), Calibration(10.0, -5.0, 0.3))
    m.index([ArgumentProfile(2, claim, rejected=(rejected,))])
    near_rejected = vec(m, "german pilots from lipetsk flew in spain")
    near_claim = vec(m, "the soviets trained german pilots")
    assert m.tag(near_claim) == [[(2, pytest.approx(float(m.probabilities(near_claim)[0, 0])))]]
    assert m.probabilities(near_rejected)[0, 0] >= 0.3  # above threshold, but closer to the mistake
    assert m.tag(near_rejected) == [[]]
    why = m.explain(near_rejected[0])
    assert why[0]["blocked_by_rejected"] is True and why[0]["tagged"] is False
    assert why[0]["rejected"][0]["text"] == rejected


def test_a_rejection_blocks_only_the_argument_it_was_made_against():
    claim = "the soviets trained german pilots at lipetsk"
    rejected = "german pilots trained at lipetsk flew in spain"
    m = Matcher(BagOfWords(), Calibration(10.0, -5.0, 0.3))
    # The rejection belongs to the first of two arguments, not to the last one indexed.
    m.index(
        [ArgumentProfile(2, claim, rejected=(rejected,)), ArgumentProfile(3, "the treaty of versailles caused the war")]
    )
    near_rejected = vec(m, "german pilots from lipetsk flew in spain")
    assert m.tag(near_rejected) == [[]]
    why = {w["argument_id"]: w for w in m.explain(near_rejected[0])}
    assert why[2]["blocked_by_rejected"] is True
    assert why[3]["blocked_by_rejected"] is False


def test_explain_lists_every_argument_with_its_evidence(matcher):
    v = vec(matcher, "moscow negotiated with london and berlin")[0]
    why = matcher.explain(v)
    assert next(w["argument_id"] for w in why) == 1
    assert {w["argument_id"] for w in why} == {1, 2, 3}
    first = why[0]
    assert first["tagged"] and first["examples"][0]["similarity"] == pytest.approx(1.0)
    assert first["similarity"] == pytest.approx(max(first["claim_similarity"], 1.0))
    assert first["threshold"] == CAL.default_threshold and first["own_threshold"] is False
    json.dumps(why)  # plain types only


def test_empty_index_and_empty_batch():
    m = Matcher(BagOfWords(), CAL)
    assert m.tag(np.zeros((2, BagOfWords.dim), dtype=np.float32)) == [[], []]
    assert m.similarity(np.zeros((2, BagOfWords.dim))).shape == (2, 0)
    assert m.explain(np.zeros(BagOfWords.dim)) == []
    m.index(PROFILES)
    assert m.tag(np.zeros((0, BagOfWords.dim), dtype=np.float32)) == []


def test_calibration_is_monotonic_and_round_trips(tmp_path):
    sims = np.linspace(-1, 1, 101)
    probs = CAL.probability(sims)
    assert np.all(np.diff(probs) > 0) and probs[0] >= 0 and probs[-1] <= 1
    assert CAL.similarity_at(0.5) == pytest.approx(0.5)
    (tmp_path / "calibration.json").write_text(json.dumps({**CAL.to_dict(), "note": "extra keys ok"}))
    assert Calibration.load(tmp_path / "calibration.json") == CAL
    m = Matcher.from_model_dir(BagOfWords(), tmp_path, top_k=2)
    assert m.calibration == CAL and m.top_k == 2
    with pytest.raises(FileNotFoundError, match=r"calibration\.json"):
        Matcher.from_model_dir(BagOfWords(), tmp_path / "nowhere")


def test_platt_fit_and_precision_first_threshold():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    x = rng.normal(0.3 + 0.3 * y, 0.1)
    slope, intercept = fit_platt(x, y)
    assert slope > 0
    # the fitted probability matches the observed rate in the middle of the range
    p = 1 / (1 + np.exp(-(slope * x + intercept)))
    middle = (p > 0.4) & (p < 0.6)
    assert abs(y[middle].mean() - 0.5) < 0.1
    cal = Calibration.fit(x, y, target_precision=0.9)
    tagged = cal.probability(x) >= cal.default_threshold
    assert y[tagged].mean() >= 0.9
    # any lower threshold misses the target
    lower = cal.probability(x) >= cal.default_threshold - 0.05
    assert y[lower].mean() < 0.9 + 0.02
    with pytest.raises(ValueError):
        fit_platt(np.array([0.1, 0.2]), np.array([1, 1]))


def test_precision_threshold_picks_the_lowest_that_reaches_the_target():
    probs = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    labels = np.array([1, 1, 1, 0, 1, 0])
    assert precision_threshold(probs, labels, target=0.8, min_tagged=1) == 0.5  # 4/5
    assert precision_threshold(probs, labels, target=1.0, min_tagged=1) == 0.7
    assert precision_threshold(probs, labels, target=1.0, min_tagged=4) == 0.5  # best precision left


@pytest.mark.slow
def test_shipped_model_scores_a_paraphrase_above_an_unrelated_sentence():
    from bot.core.config import DEFAULT_MODEL_DIR
    from bot.engine.embedding import Embedder

    embedder = Embedder(DEFAULT_MODEL_DIR)
    m = Matcher.from_model_dir(embedder, DEFAULT_MODEL_DIR)
    m.index([ArgumentProfile(7, "School uniforms reduce bullying between students")])
    vectors = embedder.encode(
        [
            "kids get picked on less when everyone wears the same clothes",
            "the weather in paris was lovely last spring",
        ]
    )
    sim = m.similarity(vectors)[:, 0]
    assert sim[0] > sim[1] + 0.2
    probs = m.probabilities(vectors)[:, 0]
    assert probs[0] > probs[1]


# --- v2 scoring: titles, counters, examples that count less, sentences ---------------------------------

SIDES = [
    ArgumentProfile(
        10, "the ussr was as guilty as germany for the war", title="USSR as guilty as Germany", counters=(11,)
    ),
    ArgumentProfile(11, "hitler bears primary responsibility for the war", title="Hitler to blame"),
]


def test_the_title_is_a_reference_text():
    m = Matcher(BagOfWords(), CAL)
    m.index(SIDES)
    assert m.similarity(vec(m, "USSR as guilty as Germany"))[0, 0] == pytest.approx(1.0)
    assert SIDES[0].reference_texts() == [SIDES[0].claim, SIDES[0].title]
    assert ArgumentProfile(1, "Same text", title="same text").reference_texts() == ["Same text"]


def test_an_argument_and_its_counter_are_never_both_tagged():
    m = Matcher(BagOfWords(), Calibration(10.0, -5.0, 0.3, counter_margin=0.1))
    m.index(SIDES)
    # Close to both sides: neither wins by the margin, so neither is tagged.
    both = vec(m, "the ussr was as guilty as germany for the war but hitler bears primary responsibility")
    probabilities = m.probabilities(both)[0]
    assert min(probabilities) >= 0.3 and abs(probabilities[0] - probabilities[1]) < 0.1
    assert m.tag(both) == [[]]
    # Clearly one side: it wins, and only it is tagged. The relation holds both ways though one side declares it.
    assert [a for a, _ in m.tag(vec(m, "hitler bears primary responsibility for the war"))[0]] == [11]
    assert [a for a, _ in m.tag(vec(m, "the ussr was as guilty as germany for the war"))[0]] == [10]
    [explained] = [e for e in m.explain(both) if e["argument_id"] == 10]
    assert explained["blocked_by_counter"] and not explained["tagged"]


def test_examples_count_less_than_the_claim_by_the_offset():
    profile = ArgumentProfile(1, "stalin played both sides in 1939", ("moscow negotiated with london and berlin",))
    plain, offset = Matcher(BagOfWords(), CAL), Matcher(BagOfWords(), Calibration(10.0, -5.0, 0.5, example_offset=0.2))
    plain.index([profile])
    offset.index([profile])
    v = vec(plain, "moscow negotiated with london and berlin")
    assert offset.similarity(v)[0, 0] == pytest.approx(plain.similarity(v)[0, 0] - 0.2)
    claim = vec(plain, "stalin played both sides in 1939")
    assert offset.similarity(claim)[0, 0] == pytest.approx(1.0)


def test_a_long_post_is_scored_sentence_by_sentence():
    from bot.engine.matcher import split_sentences

    post = (
        "Honestly the treaty of versailles caused the war, everyone knows that. "
        "And on top of that the soviets trained german pilots at lipetsk for years."
    )
    assert len(split_sentences(post)) == 2
    assert split_sentences("too short. also short") == []
    m = Matcher(BagOfWords(), Calibration(10.0, -5.0, 0.9, sentence_offset=0.0), top_k=3)
    m.index(PROFILES)
    whole = m.tag(m.embedder.encode([post]))[0]
    by_sentence = m.tag_texts([post])[0]
    assert {a for a, _ in by_sentence} == {2, 3}
    assert whole == []  # the blurred whole post reaches neither
