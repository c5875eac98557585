"""The KPA-2021 Track 1 scorer, checked on hand-computed examples."""

import csv

import numpy as np
import pytest

from bot.tooling.evaluation import kpa
from tests.conftest import required


@pytest.mark.parametrize(
    ("y_true", "y_score", "expected"),
    [
        ([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.6], (1 / 1 + 2 / 3) / 2),
        ([0, 1, 1], [0.9, 0.8, 0.7], (1 / 2 + 2 / 3) / 2),
        ([1, 1, 0], [0.3, 0.2, 0.1], 1.0),
        ([1, 0], [0.5, 0.5], 0.5),  # a tie is one threshold: precision 1/2 at recall 1
        ([0, 1, 0, 1], [0.9, 0.5, 0.5, 0.1], 0.5 * (1 / 3) + 0.5 * (2 / 4)),
        ([0, 0], [0.4, 0.2], 0.0),  # no positive
        ([], [], 0.0),
    ],
)
def test_average_precision_matches_hand_computation(y_true, y_score, expected):
    assert kpa.average_precision(y_true, y_score) == pytest.approx(expected)


def test_average_precision_ignores_input_order():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    s = rng.random(50).round(1)  # many ties
    perm = rng.permutation(50)
    assert kpa.average_precision(y, s) == pytest.approx(kpa.average_precision(y[perm], s[perm]))


def _split():
    """Group (T, 1): four arguments, key points k1/k2. Group (T, -1): two arguments, one key point.
    a4 has no labelled pair with k1 (unlabelled), b2 matches nothing."""
    A = kpa.Argument
    K = kpa.KeyPoint
    arguments = [
        A("a1", "", "T", 1),
        A("a2", "", "T", 1),
        A("a3", "", "T", 1),
        A("a4", "", "T", 1),
        A("b1", "", "T", -1),
        A("b2", "", "T", -1),
    ]
    key_points = [K("k1", "", "T", 1), K("k2", "", "T", 1), K("k3", "", "T", -1)]
    labels = {
        ("a1", "k1"): 1,
        ("a1", "k2"): 0,
        ("a2", "k1"): 0,
        ("a2", "k2"): 1,
        ("a3", "k1"): 0,
        ("a3", "k2"): 0,
        ("a4", "k2"): 0,
        ("b1", "k3"): 1,
        ("b2", "k3"): 0,
    }
    return kpa.KpaSplit(arguments, key_points, labels)


def test_candidate_pairs_are_same_topic_and_stance():
    split = _split()
    pairs = {(split.arguments[a].arg_id, split.key_points[k].key_point_id) for a, k in split.candidate_pairs()}
    assert len(pairs) == 10
    assert ("b1", "k1") not in pairs and ("a1", "k3") not in pairs
    labels = dict(zip(map(tuple, split.candidate_pairs().tolist()), split.pair_labels()))
    assert labels[(3, 0)] == -1  # a4-k1 unlabelled


def test_map_takes_best_key_point_top_half_and_means_groups():
    split = _split()
    # order of candidate pairs: a1-k1, a1-k2, a2-k1, a2-k2, a3-k1, a3-k2, a4-k1, a4-k2, b1-k3, b2-k3
    scores = np.array([0.6, 0.1, 0.2, 0.3, 0.7, 0.0, 0.9, 0.8, 0.2, 0.4])
    # group (T, 1): best = a1->k1 0.6 (1), a2->k2 0.3 (1), a3->k1 0.7 (0), a4->k1 0.9 (unlabelled)
    # top 2 by score: a4 (0.9), a3 (0.7): strict labels [0, 0] -> AP 0; relaxed [1, 0] -> AP 1
    # group (T, -1): b2 0.4 (0), b1 0.2 (1); top 1: b2 -> AP 0 either way
    result = kpa.mean_average_precision(split, scores)
    assert result.groups[("T", 1)] == (0.0, 1.0)
    assert result.groups[("T", -1)] == (0.0, 0.0)
    assert result.strict == pytest.approx(0.0) and result.relaxed == pytest.approx(0.5)

    # The September 2021 scorer weighs each group's AP by the share of positives in its top half:
    # (T, 1) strict 0 x 0/2, relaxed 1 x 1/2; (T, -1) 0 -> strict 0, relaxed (0.5 + 0) / 2.
    assert result.strict_weighted == pytest.approx(0.0) and result.relaxed_weighted == pytest.approx(0.25)

    scores = np.array([0.9, 0.1, 0.2, 0.8, 0.7, 0.0, 0.1, 0.05, 0.5, 0.4])
    # group (T, 1): a1 0.9 (1), a2 0.8 (1) kept -> AP 1; group (T, -1): b1 0.5 (1) kept -> AP 1
    result = kpa.mean_average_precision(split, scores)
    assert (result.strict, result.relaxed) == (1.0, 1.0)
    assert (result.strict_weighted, result.relaxed_weighted) == (1.0, 1.0)


def test_argument_without_candidate_is_a_dummy_scoring_099_in_the_top_half():
    A, K = kpa.Argument, kpa.KeyPoint
    split = kpa.KpaSplit(
        [A("a1", "", "T", 1), A("a2", "", "T", 1), A("lonely", "", "U", 1), A("a3", "", "U", 1)],
        [K("k1", "", "T", 1)],
        {("a1", "k1"): 1, ("a2", "k1"): 0},
    )
    result = kpa.mean_average_precision(split, np.array([0.8, 0.3]))
    assert result.groups[("T", 1)] == (1.0, 1.0)
    assert result.groups[("U", 1)] == (0.0, 0.0)  # one kept row, the dummy: label 0


def test_precision_recall_f1_skips_unlabelled_pairs():
    labels = np.array([1, 0, 1, -1, 0])
    probs = np.array([0.9, 0.8, 0.2, 0.99, 0.1])
    r = kpa.precision_recall_f1(labels, probs, 0.5)
    assert (r.tagged, r.positives) == (2, 2)
    assert r.precision == pytest.approx(0.5) and r.recall == pytest.approx(0.5) and r.f1 == pytest.approx(0.5)


def test_reliability_bins():
    bins = kpa.reliability_bins(np.array([1, 0, 1, 1, -1]), np.array([0.95, 0.05, 0.91, 0.15, 0.5]), bins=10)
    assert bins == [
        (0.0, 0.05, 0.0, 1),
        (pytest.approx(0.1), pytest.approx(0.15), 1.0, 1),
        (pytest.approx(0.9), pytest.approx(0.93), 1.0, 2),
    ]


def _write(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_load_split_and_evaluate_with_an_encoder(tmp_path):
    _write(
        tmp_path / "arguments_dev.csv",
        ["arg_id", "argument", "topic", "stance"],
        [
            ["a1", "cats are great", "Pets", "1"],
            ["a2", "dogs are loyal", "Pets", "1"],
            ["a3", "fish are boring", "Pets", "-1"],
        ],
    )
    _write(
        tmp_path / "key_points_dev.csv",
        ["key_point_id", "key_point", "topic", "stance"],
        [["k1", "cats", "Pets", "1"], ["k2", "dogs", "Pets", "1"], ["k3", "fish", "Pets", "-1"]],
    )
    _write(
        tmp_path / "labels_dev.csv",
        ["arg_id", "key_point_id", "label"],
        [["a1", "k1", "1"], ["a1", "k2", "0"], ["a2", "k2", "1"], ["a3", "k3", "1"]],
    )
    split = kpa.load_split(tmp_path, "dev")
    assert [a.arg_id for a in split.arguments] == ["a1", "a2", "a3"]
    assert split.arguments[2].stance == -1 and split.labels[("a2", "k2")] == 1
    assert len(split.candidate_pairs()) == 5
    assert sorted(split.pair_labels().tolist()) == [-1, 0, 1, 1, 1]

    vocab = ["cats", "dogs", "fish"]

    def encode(texts):
        vecs = np.array([[1.0 if w in t else 0.01 for w in vocab] for t in texts])
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    sims = kpa.pair_similarities(split, encode)
    report = kpa.evaluate(split, sims, "dev", probability=lambda s: s, threshold=0.5)
    # group (Pets, 1): a1 and a2 matched, top 1 kept -> AP 1; group (Pets, -1) has one argument and
    # keeps int(1 * 0.5) = 0 rows -> AP 0, as the official scorer
    assert report.groups[("Pets", 1)] == (1.0, 1.0) and report.groups[("Pets", -1)] == (0.0, 0.0)
    assert report.strict == pytest.approx(0.5) and report.relaxed == pytest.approx(0.5)
    prf = required(report.prf)
    assert prf.precision == pytest.approx(1.0) and prf.recall == pytest.approx(1.0)
    assert report.as_dict()["map_strict"] == 0.5
    with_topic = kpa.pair_similarities(
        split, lambda texts: encode([t.split(". ", 1)[1] for t in texts]), with_topic=True
    )
    assert np.allclose(with_topic, sims)


def test_load_split_names_the_bad_file_and_row(tmp_path):
    _write(tmp_path / "arguments_dev.csv", ["arg_id", "argument", "topic"], [["a1", "x", "T"]])
    with pytest.raises(kpa.KpaDataError, match=r"arguments_dev\.csv: missing column"):
        kpa.load_split(tmp_path, "dev")
    _write(tmp_path / "arguments_dev.csv", ["arg_id", "argument", "topic", "stance"], [["a1", "x", "T", "pro"]])
    with pytest.raises(kpa.KpaDataError, match="row 2: stance 'pro'"):
        kpa.load_split(tmp_path, "dev")
    with pytest.raises(kpa.KpaDataError, match="not found"):
        kpa.load_split(tmp_path, "train")


def test_eval_kpa_command_on_a_tiny_split(tmp_path):
    import json

    from click.testing import CliRunner

    from bot.cli import main

    _write(
        tmp_path / "arguments_dev.csv",
        ["arg_id", "argument", "topic", "stance"],
        [
            ["a1", "uniforms stop kids being bullied for their clothes", "School uniform", "1"],
            ["a2", "uniforms cost parents a lot of money", "School uniform", "1"],
        ],
    )
    _write(
        tmp_path / "key_points_dev.csv",
        ["key_point_id", "key_point", "topic", "stance"],
        [
            ["k1", "School uniform reduces bullying", "School uniform", "1"],
            ["k2", "School uniforms are expensive", "School uniform", "1"],
        ],
    )
    _write(
        tmp_path / "labels_dev.csv",
        ["arg_id", "key_point_id", "label"],
        [["a1", "k1", "1"], ["a1", "k2", "0"], ["a2", "k1", "0"], ["a2", "k2", "1"]],
    )
    plot = tmp_path / "reliability.png"
    result = CliRunner().invoke(main, ["eval", "kpa", str(tmp_path), "--split", "dev", "--json", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["map_strict"] == 1.0 and payload["labelled_pairs"] == 4
    assert payload["map_strict_weighted"] == 1.0 and payload["map_relaxed_weighted"] == 1.0
    assert 0 <= payload["precision"] <= 1 and plot.stat().st_size > 0
    refused = CliRunner().invoke(main, ["eval", "kpa", str(tmp_path), "--split", "test"])
    assert refused.exit_code != 0 and "test split" in refused.output
