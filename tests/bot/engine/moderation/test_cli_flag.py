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


# Denials ("d") and their rebuttals ("r") in chat words, written for this test: none is a catalogue phrasing.
POLICY_PHRASINGS = [
    ("d1", "honestly the 6 million number was cooked up by allied propaganda offices and the real toll was way lower"),
    ("d2", "those so called gas chambers at auschwitz were just morgues and delousing showers lol"),
    ("d3", "zyklon was bought to kill lice so the prisoners wouldnt die of typhus. thats literally it"),
    ("d4", "look up the leuchter tests. no cyanide residue in the walls = no gassings. science doesnt lie"),
    ("d5", "the anne frank diary has ballpoint pen in it which didnt exist in 1944. its a postwar fake"),
    ("d6", "nobody has ever produced a signed order from hitler so there was no extermination plan"),
    ("d7", "the camps were work camps. people died of typhus and starvation at the end of the war not some plan"),
    ("d8", "katyn was done by the germans in 1941. the soviets only got blamed because of goebbels"),
    ("r1", "the six million figure comes from german records and census data. it is not propaganda"),
    ("r2", "no serious historian doubts the gas chambers at auschwitz existed. the ss's own documents show them"),
    ("r3", "the leuchter report was debunked by chemists decades ago. he sampled the wrong surfaces"),
    ("r4", "the lack of a written hitler order proves nothing. himmler's posen speech says it plainly"),
    ("r5", "the ballpoint notes in anne frank's diary were added later by a researcher. the diary is genuine"),
    ("r6", "katyn was the nkvd. the soviet government itself admitted it in 1990"),
    ("r7", "typhus killed many but the gas chambers killed far more. both happened"),
    ("r8", "reparations started before israel existed and have nothing to do with faking the holocaust"),
]


def test_denials_are_flagged_and_their_rebuttals_are_not(tmp_path):
    text = "message_id,text\n" + "".join(f"{mid},{words}\n" for mid, words in POLICY_PHRASINGS)
    result, output = run(tmp_path, text)
    assert result.exit_code == 0, result.output
    _, rows = read(output)
    policy = {row["message_id"] for row in rows if row["flagger"] == "policy" and row["flagged"] == "1"}
    assert policy == {mid for mid, _ in POLICY_PHRASINGS if mid.startswith("d")}
