"""``clio match`` end to end on small CSVs, and its errors on malformed ones."""

import csv

import pytest
from click.testing import CliRunner

from bot.cli import main

CLAIMS = (
    "claim_id,claim,examples\n"
    "uniform,School uniforms reduce bullying,kids get picked on less in uniforms | same clothes means less teasing\n"
    "guns,Owning guns makes people safer,\n"
)
MESSAGES = (
    "message_id,text\n"
    'm1,"when everyone wears the same clothes, nobody gets teased for being poor"\n'
    "m2,a gun at home lets you defend your family\n"
    "m3,what time does the museum open on sunday?\n"
)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path, claims=CLAIMS, messages=MESSAGES, *extra):
    args = [
        "match",
        "--claims",
        str(write(tmp_path / "claims.csv", claims)),
        "--messages",
        str(write(tmp_path / "messages.csv", messages)),
        "--output",
        str(tmp_path / "scores.csv"),
        *extra,
    ]
    return CliRunner().invoke(main, args)


def test_match_writes_one_row_per_message_and_claim(tmp_path):
    result = run(tmp_path)
    assert result.exit_code == 0, result.output
    with (tmp_path / "scores.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == ["message_id", "claim_id", "score", "tagged"]
    assert [(r["message_id"], r["claim_id"]) for r in rows] == [
        (m, c) for m in ("m1", "m2", "m3") for c in ("uniform", "guns")
    ]
    score = {(r["message_id"], r["claim_id"]): float(r["score"]) for r in rows}
    tagged = {(r["message_id"], r["claim_id"]) for r in rows if r["tagged"] == "1"}
    assert all(0 <= s <= 1 for s in score.values())
    assert score[("m1", "uniform")] > score[("m1", "guns")]
    assert score[("m2", "guns")] > score[("m2", "uniform")]
    assert score[("m1", "uniform")] > score[("m3", "uniform")]
    assert ("m3", "uniform") not in tagged and ("m3", "guns") not in tagged
    assert all(r["tagged"] in ("0", "1") for r in rows)


def test_top_k_limits_tags_per_message(tmp_path):
    claims = "claim_id,claim\n" + "".join(f"c{i},School uniforms reduce bullying {i}\n" for i in range(4))
    messages = "message_id,text\nm1,School uniforms reduce bullying\n"
    result = run(tmp_path, claims, messages, "--top-k", "2")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "scores.csv").open(encoding="utf-8")))
    assert sum(r["tagged"] == "1" for r in rows) <= 2


@pytest.mark.parametrize(
    ("claims", "messages", "expected"),
    [
        ("id,claim\nx,y\n", MESSAGES, "claims.csv, row 1: missing column(s) claim_id"),
        ("claim_id,claim\nc1,\n", MESSAGES, "claims.csv, row 2, column claim: empty"),
        ("claim_id,claim\nc1,a\nc1,b\n", MESSAGES, "claims.csv, row 3, column claim_id: duplicate 'c1'"),
        ("claim_id,claim\n", MESSAGES, "claims.csv: no claims"),
        (CLAIMS, "message_id,body\nm1,hi\n", "messages.csv, row 1: missing column(s) text"),
        (CLAIMS, "message_id,text\nm1,hi,extra\n", "messages.csv, row 2: expected 2 columns, got 3"),
        (CLAIMS, "message_id,text\nm1\n", "messages.csv, row 2: expected 2 columns, got 1"),
        (CLAIMS, "message_id,text\n,hi\n", "messages.csv, row 2, column message_id: empty"),
    ],
)
def test_malformed_csv_names_file_row_and_column(tmp_path, claims, messages, expected):
    result = run(tmp_path, claims, messages)
    assert result.exit_code != 0
    assert expected in result.output
    assert not (tmp_path / "scores.csv").exists()


def test_missing_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "match",
            "--claims",
            str(tmp_path / "nope.csv"),
            "--messages",
            str(tmp_path / "nope2.csv"),
            "--output",
            str(tmp_path / "out.csv"),
        ],
    )
    assert result.exit_code != 0 and "nope.csv: cannot open" in result.output
