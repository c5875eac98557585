"""``clio flag`` end to end with the real embedder, shipped abuse weights and catalogue."""

import csv

from click.testing import CliRunner

from bot.cli import main

FULL = (
    "message_id,text,author,channel,timestamp\n"
    "m1,you are a fucking idiot,alice,#general,2026-10-01T10:00:00\n"
    "m2,free nitro here discord.gg/freenitro,kev,#general,2026-10-01T10:00:05\n"
    "m3,katyn was done by the nazis and blamed on the soviets,bob,#ww2,2026-10-01T10:01:00\n"
    "m4,The Holodomor killed millions of Ukrainians.,carol,#ww2,2026-10-01T10:02:00\n"
    "m5,free nitro here discord.gg/freenitro,kev,#ww2,1790848980\n"
)
FLAGGERS = ["abuse", "spam", "flood", "policy"]


def run(tmp_path, text):
    source = tmp_path / "messages.csv"
    source.write_text(text, encoding="utf-8")
    output = tmp_path / "flags.csv"
    result = CliRunner().invoke(main, ["flag", "--messages", str(source), "--output", str(output)])
    return result, output


def read(output):
    with output.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def flagged(rows):
    return {(row["message_id"], row["flagger"]) for row in rows if row["flagged"] == "1"}


def test_one_row_per_message_and_flagger_with_the_right_verdicts(tmp_path):
    result, output = run(tmp_path, FULL)
    assert result.exit_code == 0, result.output
    columns, rows = read(output)
    assert columns == ["message_id", "flagger", "score", "flagged", "reason"]
    assert [(r["message_id"], r["flagger"]) for r in rows] == [(f"m{i}", f) for i in range(1, 6) for f in FLAGGERS]
    assert flagged(rows) == {("m1", "abuse"), ("m2", "spam"), ("m3", "policy"), ("m5", "spam")}
    by_key = {(r["message_id"], r["flagger"]): r for r in rows}
    assert "second-person insult" in by_key["m1", "abuse"]["reason"]
    assert "katyn-was-german" in by_key["m3", "policy"]["reason"]
    assert "2 channels" in by_key["m5", "spam"]["reason"]  # the same text, 10 minutes later, elsewhere
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in rows)


def test_flood_needs_authors_and_timestamps(tmp_path):
    burst = "".join(f"b{i},message number {i},spammer,#general,{1_790_000_000 + i}\n" for i in range(6))
    result, output = run(tmp_path, "message_id,text,author,channel,timestamp\n" + burst)
    assert result.exit_code == 0, result.output
    assert ("b5", "flood") in flagged(read(output)[1])

    plain = "message_id,text\n" + "".join(f"p{i},message number {i}\n" for i in range(6))
    result, output = run(tmp_path, plain)
    assert result.exit_code == 0, result.output
    rows = read(output)[1]
    assert len(rows) == 6 * len(FLAGGERS) and not flagged(rows)
    assert {r["reason"] for r in rows if r["flagger"] == "flood"} == {"not checked: needs author and timestamp"}


def test_malformed_input_is_reported(tmp_path):
    result, _ = run(tmp_path, "id,text\n1,hello\n")
    assert result.exit_code != 0 and "missing column(s) message_id" in result.output
    result, _ = run(tmp_path, "message_id,text,timestamp\n1,hello,yesterday\n")
    assert result.exit_code != 0 and "row 2, column timestamp" in result.output
