"""Imports are total: every hostile input the adversarial run found either imports whole or fails
with one ExportFormatError naming the file, the record and the field, before anything is written."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.importers import ExportFormatError, read_export
from bot.engine.importers.common import MAX_CONTENT
from tests.bot.engine.importers.test_importers import CHANNEL, GUILD, dce_message, write_csv, write_dce


def _dce_with(tmp_path, **changes):
    message = dce_message(1, "text")
    for path, value in changes.items():
        target = message
        *parents, leaf = path.split(".")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return write_dce(tmp_path, [message, dce_message(2, "fine")])


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"content": "a lone surrogate \ud800"}, "field 'content': not valid Unicode"),
        ({"content": "nul \x00 byte"}, "field 'content': contains a NUL"),
        ({"author.nickname": ["not", "a", "name"]}, "field 'author.nickname': expected text, got list"),
        ({"timestamp": "not a time", "timestampEdited": "2026-10-01T12:00:00+00:00"}, "field 'timestamp'"),
        ({"id": "¹"}, "field 'id': not a Discord snowflake"),
        ({"id": str(2**63)}, "field 'id': not a Discord snowflake"),
        ({"content": "x" * 50_000}, "field 'content': 50,000 characters"),
    ],
)
def test_hostile_json_records_are_refused_by_name(tmp_path, changes, expected):
    path = _dce_with(tmp_path, **changes)
    with pytest.raises(ExportFormatError) as error:
        read_export(path)
    assert str(path) in str(error.value) and "messages[0]" in str(error.value) and expected in str(error.value)


def test_hostile_json_files_are_refused_in_one_line(tmp_path):
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    folder = tmp_path / "x.json"
    folder.mkdir()
    for path, expected in ((nested, "nested too deeply"), (folder, "cannot read it")):
        with pytest.raises(ExportFormatError, match=expected) as error:
            read_export(path)
        assert "\n" not in str(error.value)


def test_duplicate_ids_are_refused_not_overwritten(tmp_path):
    path = write_dce(tmp_path, [dce_message(1, "first"), dce_message(1, "second")])
    with pytest.raises(ExportFormatError, match=r"messages\[1\] \(id 1\): field 'id': the same id as messages\[0\]"):
        read_export(path)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('1,general,alice,2026-10-01T10:00:00Z,"unclosed\n' + "2,general,bob,2026-10-01T10:01:00Z,hi\n" * 300, "line"),
        ("1,¹,alice,2026-10-01T10:00:00Z,hi\n", None),  # a channel *named* ¹ is a name, not a number
        (f"1,{2**63},alice,2026-10-01T10:00:00Z,hi\n", "line 2: field 'channel': not a Discord snowflake"),
        (
            "1,general,alice,2026-10-01T10:00:00Z,hi\n1,general,bob,2026-10-01T10:01:00Z,again\n",
            "the same id as line 2",
        ),
    ],
)
def test_hostile_csv_is_refused_by_line_and_field(tmp_path, body, expected):
    path = write_csv(tmp_path, body)
    if expected is None:
        assert len(read_export(path).messages) == 1
        return
    with pytest.raises(ExportFormatError, match=expected):
        read_export(path)


def test_csv_with_a_bom_reordered_columns_and_a_short_row(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "\ufefftext,timestamp,author,channel,message_id\nhi,2026-10-01T10:00:00Z,alice,general,1\nshort,2026-10-01\n",
        encoding="utf-8",
    )
    with pytest.raises(ExportFormatError, match="line 3: field 'author': missing"):
        read_export(path)


def test_errors_name_the_line_a_multi_line_record_starts_on(tmp_path):
    path = write_csv(tmp_path, '1,general,alice,2026-10-01T10:00:00Z,"two\nlines"\n2,general,bob,yesterday,hi\n')
    with pytest.raises(ExportFormatError, match="line 4: field 'timestamp'"):
        read_export(path)


# -- fuzzing -------------------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
_message_fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=20), st.integers(), st.just("123")),
        "timestamp": st.one_of(st.text(max_size=30), st.just("2026-10-01T12:00:00+00:00"), _json_values),
        "timestampEdited": _json_values,
        "content": st.one_of(st.text(max_size=50), _json_values),
        "author": st.one_of(
            _json_values,
            st.fixed_dictionaries({}, optional={"id": _json_values, "name": _json_values, "nickname": _json_values}),
        ),
        "reference": _json_values,
        "attachments": _json_values,
    },
)


def _read_is_total(path) -> None:
    """It imports, with every message storable, or it says why in an ExportFormatError: nothing else."""
    try:
        parsed = read_export(path)
    except ExportFormatError as exc:
        assert str(path) in str(exc)
        return
    for message in parsed.messages:
        assert 0 < message.id < 2**63 and 0 < message.channel_id < 2**63 and 0 < message.author_id < 2**63
        assert len(message.content) <= MAX_CONTENT
        message.content.encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(_json_values, st.lists(_message_fields, max_size=5)), st.booleans())
def test_fuzzed_json_imports_whole_or_fails_cleanly(tmp_path, body, wrap):
    document = {"guild": GUILD, "channel": CHANNEL, "messages": body} if wrap else body
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _read_is_total(path)


_cells = st.one_of(st.text(max_size=15), st.just("2026-10-01T10:00:00Z"), st.integers(min_value=0).map(str))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_cells, min_size=0, max_size=7), max_size=6), st.permutations(list(range(5))))
def test_fuzzed_csv_imports_whole_or_fails_cleanly(tmp_path, rows, order):
    header = ["message_id", "channel", "author", "timestamp", "text"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header[i] for i in order])
    writer.writerows(rows)
    path = tmp_path / "fuzz.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass")
    _read_is_total(path)
