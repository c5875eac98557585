"""`clio demo` end to end on the bundled sample export, through the real CLI."""

import json
import re

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.tooling.evaluation.sample_eval import labelled_sample

ABUSIVE_IDS = {"1556331864975736915", "1556332200771715156", "1557811115709169806", "1559553732805394648"}
SPAM_IDS = {"1556720338178408542", "1557037676635357300", "1557037301199011955", "1557417421025837179"}


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    result = CliRunner().invoke(main, ["demo", "--json"], env={"CLIO_DATABASE": str(database)})
    assert result.exit_code == 0, result.output
    return json.loads(result.output), database


def test_demo_imports_the_whole_sample_and_skips_the_bot(demo_output):
    report, database = demo_output
    assert report["messages"] == 357 and report["skipped_bots"] == 4
    assert database.exists()  # CLIO_DATABASE is honoured


def test_demo_tags_catalogued_arguments_and_discovers_the_winter_war(demo_output):
    report, _ = demo_output
    assert report["tagged_messages"] >= 15
    assert len(report["top_arguments"]) >= 5
    claims = " ".join(c["claim"].lower() for c in report["candidates"])
    assert "finland" in claims or "winter war" in claims


def test_demo_digest_links_every_quote(demo_output):
    report, _ = demo_output
    digest = report["digest"]
    assert digest["arguments"], "the digest lists arguments"
    for argument in digest["arguments"]:
        assert argument["count"] >= 1
        # A rule-breaking (policy: flag) argument is counted, never quoted, in a digest.
        assert bool(argument["quotes"]) == (argument["policy"] != "flag")
        for quote in argument["quotes"]:
            assert re.fullmatch(r"https://discord.com/channels/900000000000000001/\d+/\d+", quote["jump_url"])


def test_demo_flags_the_planted_abuse_and_spam(demo_output):
    report, _ = demo_output
    flagged = {str(flag["message_id"]) for flag in report["flags"]}
    assert len(flagged & ABUSIVE_IDS) >= 3
    assert len(flagged & SPAM_IDS) >= 3


def test_the_sample_carries_ground_truth_labels():
    messages = labelled_sample()
    assert len(messages) == 357
    assert sum(1 for m in messages if m.arguments) >= 100
