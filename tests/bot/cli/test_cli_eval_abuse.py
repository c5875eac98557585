"""``clio eval abuse`` with the shipped model on a small data folder laid out like ../shared/data."""

import csv
import json

from click.testing import CliRunner

from bot.cli import main

# Written for this test.
ABUSIVE = ["you are a worthless idiot", "shut up you pathetic moron", "I will find you and hurt you"]
CIVIL = ["what year did the war end?", "I liked the book on Byzantium", "thanks, that source helps"]


def write_data(folder):
    convabuse = folder / "convabuse"
    convabuse.mkdir(parents=True)
    levels = ("1", "0", "-1", "-2", "-3")
    with (convabuse / "ConvAbuseEMNLPvalid.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user", *(f"Annotator1_is_abuse.{level}" for level in levels)])
        for text in ABUSIVE:
            writer.writerow([text, "0", "0", "0", "1", "0"])
        for text in CIVIL:
            writer.writerow([text, "1", "0", "0", "0", "0"])
    davidson = folder / "davidson"
    davidson.mkdir()
    with (davidson / "labeled_data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"])
        for n in range(30):  # hate, offensive, neither in turn: enough of each for the held-out fifth
            text = [ABUSIVE[n % 3], f"this {n} is fucking stupid", CIVIL[n % 3]][n % 3] + f" #{n}"
            writer.writerow([n, 3, 0, 0, 3, n % 3, text])


def test_reports_every_set_and_the_bars(tmp_path):
    write_data(tmp_path)
    result = CliRunner().invoke(main, ["eval", "abuse", "--data", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["convabuse_valid"]["n"] == 6 and report["convabuse_valid"]["positives"] == 3
    assert report["convabuse_valid"]["roc_auc"] == 1.0
    for key in ("davidson_heldout", "benign_history", "violent_idioms", "threats"):
        assert report[key]["n"] > 0
    assert report["olid_train_cv"]["folds"] == 3  # recorded by the training recipe
    assert set(report["bars"]) == {"roc_auc", "f1", "olid_cv_macro_f1", "benign_false_flag_rate"}


def test_a_missing_model_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["eval", "abuse", "--weights", str(tmp_path / "nowhere")])
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1].startswith("Error: cannot load the abuse model from")
