"""The abuse flagger with the shipped model, plus its cues, loading and metrics."""

import logging

import numpy as np
import pytest

from bot.core.guild_config import GuildConfig
from bot.engine.moderation import Flag, ModerationService
from bot.engine.moderation.abuse import AbuseFlagger, cues_in, explain, flag_decisions
from bot.engine.moderation.abuse_model import AbuseModel, shared_abuse_model
from bot.tooling.evaluation import abuse_data
from tests.conftest import required

from .conftest import ctx

INSULTS = [
    "you are a fucking idiot",
    "You're a pathetic moron and nobody here wants you",
    "shut up you stupid bitch",
    "I'm going to find you and kill you",
    "kill yourself",
    "fuck you, you worthless piece of shit",
]
# Written for this test (not in the training lines): violent subject matter, civil tone.
ATROCITIES = [
    "The Nazis gassed over a million people at Auschwitz-Birkenau alone.",
    "Stalin's NKVD shot roughly 680,000 people during the Great Terror of 1937-38.",
    "The Khmer Rouge bludgeoned prisoners to death at Choeung Ek to save bullets.",
    "Hitler deserved to hang, and it is a pity he escaped justice by suicide.",
    "Goebbels' propaganda called Jews rats and vermin, and historians quote it to show how genocide was prepared.",
    "The Japanese army raped and murdered tens of thousands of civilians in Nanjing.",
    "Mao's policies starved tens of millions of peasants to death between 1959 and 1961.",
    "Idi Amin's soldiers murdered opponents and dumped their bodies in the Nile.",
]


@pytest.fixture(scope="module")
def model() -> AbuseModel:
    return required(shared_abuse_model())


def flag(model: AbuseModel, text: str, config: GuildConfig | None = None) -> Flag:
    message = ctx(text)
    ModerationService(model).score_abuse([message], config or GuildConfig())
    return required(AbuseFlagger(model).check(message, config or GuildConfig()))


def test_clear_insults_and_threats_are_flagged(model):
    got = model.score(INSULTS)
    assert (got >= model.threshold).all(), dict(zip(INSULTS, got.round(3)))


def test_talk_about_atrocities_is_not_flagged(model):
    got = model.score(ATROCITIES)
    assert (got < model.threshold).all(), dict(zip(ATROCITIES, got.round(3)))


@pytest.mark.parametrize(
    "path, most_flagged",
    [(abuse_data.BENIGN_HISTORY_FILE, 0.01), (abuse_data.IDIOMS_HELDOUT_FILE, 0.05)],
    ids=["benign-history", "violent-idioms"],
)
def test_evaluation_sets_of_harmless_messages_are_rarely_flagged(model, path, most_flagged):
    lines = abuse_data.read_lines(path)
    assert len(lines) >= 80
    flagged = flag_decisions(lines, model.score(lines), model.threshold)
    assert flagged.mean() <= most_flagged, [line for line, hit in zip(lines, flagged) if hit]


def test_threats_and_incitement_are_flagged_by_meaning(model):
    """Held-out threats written apart from the training lines, nearly all without a lexical cue. abuse-v2
    catches 60% (the first fine-tuned model, which never saw a threat line, caught 1 of 80); this
    guards against falling back."""
    lines = abuse_data.read_lines(abuse_data.THREATS_HELDOUT_FILE)
    assert len(lines) >= 80
    flagged = flag_decisions(lines, model.score(lines), model.threshold)
    without_a_cue = [hit for line, hit in zip(lines, flagged) if not cues_in(line)]
    assert len(without_a_cue) >= 60
    assert flagged.mean() >= 0.55 and np.mean(without_a_cue) >= 0.55, [
        line for line, hit in zip(lines, flagged) if not hit
    ]


def test_servers_may_leave_swearing_aimed_at_nobody_unflagged(model):
    undirected = ["this fucking traffic", "oh shit, I missed the bus again", "holy shit, that is a lot of tanks"]
    directed = ["fuck off, nobody asked you", "oh shit, you are an idiot", "holy shit you are a moron"]
    assert all(flag(model, text).flagged for text in undirected)  # as the datasets count it
    quiet = GuildConfig(flag_bare_swearing=False)
    for text in undirected:
        verdict = flag(model, text, quiet)
        assert not verdict.flagged and verdict.reason == "swearing aimed at nobody, which this server does not flag"
    assert all(flag(model, text, quiet).flagged for text in directed)


def test_flagger_reason_names_score_threshold_and_cue(model):
    verdict = flag(model, "you are a fucking idiot")
    assert verdict.flagged and verdict.flagger == "abuse"
    assert verdict.reason.startswith(f"abusive language (model score {verdict.score:.2f} >= {model.threshold:.2f})")
    assert "second-person insult" in verdict.reason


def test_guild_threshold_overrides_the_shipped_one(model):
    text = "this traffic is driving me mad"
    shipped = flag(model, text)
    assert not shipped.flagged
    assert flag(model, text, GuildConfig(abuse_threshold=shipped.score / 2)).flagged
    assert flag(model, text, GuildConfig(abuse_threshold=0.0)).score == shipped.score


def test_flagger_needs_a_score_and_a_model(model):
    assert AbuseFlagger(model).check(ctx("you idiot"), GuildConfig()) is None  # never scored
    assert AbuseFlagger(None).check(ctx("you idiot", abuse_score=0.99), GuildConfig()) is None


def test_missing_or_broken_model_disables_the_flagger_without_crashing(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.engine.moderation.abuse_model"):
        assert shared_abuse_model(tmp_path / "absent") is None
        (tmp_path / "model.json").write_text("{not json", "utf-8")
        assert shared_abuse_model(tmp_path) is None
        damaged = tmp_path / "damaged"
        damaged.mkdir()
        (damaged / "model.json").write_text('{"model_id": "x", "threshold": 0.5, "max_length": 64}', "utf-8")
        (damaged / "model.onnx").write_bytes(b"not a model")
        assert shared_abuse_model(damaged) is None
    assert caplog.text.count("abuse flagger disabled") == 3
    service = ModerationService.load(tmp_path)
    message = ctx("you idiot")
    service.score_abuse([message], GuildConfig())
    assert not service.abuse_enabled and message.abuse_score is None


@pytest.mark.parametrize(
    "text, cues",
    [
        ("you're such a stuuupid moron", ["second-person insult"]),
        ("i will find you and hurt you", ["threat"]),
        ("I know where you live", ["threat"]),
        ("fuck off", ["directed profanity", "profanity"]),
        ("send me nudes", ["sexual harassment"]),
        ("this fucking weather", ["profanity"]),
        ("Do you think the generals were stupid?", []),
        ("Hitler deserved to be hanged", []),
        ("William the Bastard crossed the Channel in 1066", []),
    ],
)
def test_cues(text, cues):
    assert cues_in(text) == cues


def test_explain_is_honest_about_evidence():
    assert explain(0.9, 0.6, []).endswith("model score only, no lexical cue")
    assert explain(0.9, 0.6, ["profanity"]).endswith("profanity only, aimed at nobody")
    assert explain(0.2, 0.6, ["profanity"]) == "below the abuse threshold (model score 0.20 < 0.60)"


def test_roc_auc_and_binary_scores():
    labels = np.array([0, 0, 1, 1])
    assert abuse_data.roc_auc(labels, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert abuse_data.roc_auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.5)
    scores = abuse_data.binary_scores(labels, np.array([0, 1, 1, 1]))
    assert scores["precision"] == pytest.approx(2 / 3) and scores["recall"] == 1.0


def test_convabuse_test_split_is_never_read():
    with pytest.raises(ValueError, match="reserved"):
        abuse_data.load_convabuse(abuse_data.DEFAULT_DATA_DIR, "test")


@pytest.mark.skipif(not (abuse_data.DEFAULT_DATA_DIR / "davidson").is_dir(), reason="shared data not present")
def test_davidson_split_is_fixed_and_disjoint():
    train, held_out = abuse_data.davidson_split(abuse_data.DEFAULT_DATA_DIR)
    again, _ = abuse_data.davidson_split(abuse_data.DEFAULT_DATA_DIR)
    assert train.texts == again.texts
    assert len(held_out.texts) == pytest.approx(0.2 * (len(train.texts) + len(held_out.texts)), abs=3)
    assert set(np.unique(required(held_out.classes))) == {0, 1, 2}


class CountingEmbedder:
    def __init__(self, model_id: str, scale: float = 1.0) -> None:
        self.model_id, self.scale, self.texts_encoded = model_id, scale, 0

    def encode(self, texts):
        self.texts_encoded += len(texts)
        return np.array([[len(t) * self.scale, 1.0] for t in texts], np.float32)


def test_embedding_cache_is_keyed_by_model_and_weights(tmp_path):
    lines = abuse_data.Labelled("lines", ["a", "bb"], np.zeros(2, np.int8))
    first = CountingEmbedder("m1")
    vectors = abuse_data.embed_cached(first, lines, tmp_path)
    assert first.texts_encoded == 3  # two texts and the probe
    assert np.array_equal(abuse_data.embed_cached(first, lines, tmp_path), vectors) and first.texts_encoded == 4
    # Same id, different weights: the probe differs, so the cache misses.
    swapped = CountingEmbedder("m1", scale=2.0)
    assert abuse_data.embed_cached(swapped, lines, tmp_path)[1, 0] == 4.0


def test_olid_is_read_from_a_file_like_the_shared_one(tmp_path):
    folder = tmp_path / "olid"
    folder.mkdir()
    rows = [
        ("1", "@USER you are an idiot URL", "OFF", "TIN", "IND"),
        ("2", "@USER what a damn day", "OFF", "UNT", "NULL"),
        ("3", "@USER @USER lovely weather", "NOT", "NULL", "NULL"),
    ] * 5
    lines = ["id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c", *("\t".join(row) for row in rows)]
    (folder / "olid-training-v1.0.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    olid = abuse_data.load_olid(tmp_path)
    assert olid.texts[:3] == ["you are an idiot", "what a damn day", "lovely weather"]
    assert olid.labels.tolist()[:3] == [1, 1, 0]
    assert required(olid.classes).tolist()[:3] == [abuse_data.OLID_TARGETED, abuse_data.OLID_UNTARGETED, 0]
    folds = abuse_data.olid_folds(olid)
    assert (folds == abuse_data.olid_folds(olid)).all()  # fixed by seed
    for cls in range(3):  # stratified: every fold holds one tweet of each class
        assert sorted(folds[required(olid.classes) == cls].tolist()) == list(range(abuse_data.OLID_FOLDS))
