"""`clio digest` right after `clio import`: the imported window by default, the trend chart, guilds by name;
and `clio tag`'s count of tagged messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from tests.bot.cli.test_cli_errors import REPO, one_error_line
from tests.bot.engine.importers.test_importers import CHANNEL, dce_message

GUILD_ID = "900000000000000001"
GUILD_NAME = "History Hub"
# A catalogue argument's own phrasings: the matcher tags them whatever the threshold.
PHRASINGS = yaml.safe_load((REPO / "prompts/catalogue/nazi_soviet_pact.yaml").read_text("utf-8"))["arguments"][0][
    "examples"
][:6]
FIRST, LAST = "2025-03-01T10:00:00+00:00", "2025-03-04T10:00:00+00:00"


def _timestamp(n: int) -> str:
    """Two messages a day from March 1st 2025 (the last one on the 4th): long before any test runs."""
    return f"2025-03-0{1 + n // 2}T{10 if n % 2 == 0 else 19}:00:00+00:00"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("digest")
    messages = [dce_message(n + 1, text, ts=_timestamp(n)) for n, text in enumerate(PHRASINGS)]
    messages.append(dce_message(99, "what are we reading this week?", ts=LAST))
    export = {"guild": {"id": GUILD_ID, "name": GUILD_NAME}, "channel": CHANNEL, "messages": messages}
    (folder / "export.json").write_text(json.dumps(export), encoding="utf-8")
    env = {"CLIO_DATABASE": str(folder / "clio.sqlite3")}
    result = CliRunner().invoke(main, ["import", str(folder / "export.json")], env=env)
    assert result.exit_code == 0, result.output
    return env


def clio(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, list(args), env=env)


def _iso(moment: str) -> float:
    return datetime.fromisoformat(moment).astimezone(UTC).timestamp()


def test_digest_defaults_to_the_imported_window(imported):
    result = clio(imported, "digest", "--format", "json")
    assert result.exit_code == 0, result.output
    digest = json.loads(result.output)
    # A week before now would hold none of these messages.
    assert digest["since"] == _iso(FIRST) and _iso(LAST) < digest["until"] <= _iso(LAST) + 1
    assert digest["total_messages"] == len(PHRASINGS) + 1
    assert digest["arguments"] and digest["arguments"][0]["slug"] == "stalin-played-both-sides"


def test_an_explicit_window_is_kept(imported):
    result = clio(imported, "digest", "--format", "json", "--since", "2025-03-02", "--until", "2025-03-02")
    assert result.exit_code == 0, result.output
    digest = json.loads(result.output)
    assert (digest["since"], digest["until"]) == (_iso("2025-03-02T00:00:00+00:00"), _iso("2025-03-03T00:00:00+00:00"))


def test_guild_by_name_or_id_everywhere(imported):
    for value in (GUILD_NAME, GUILD_ID, GUILD_NAME.upper()):
        assert clio(imported, "digest", "--guild", value, "--format", "json").exit_code == 0
    assert clio(imported, "discover", "--guild", GUILD_NAME, "--json").exit_code == 0
    assert clio(imported, "packs", "list", "--guild", GUILD_NAME, "--json").exit_code == 0
    unknown = clio(imported, "tag", "--guild", "Other Server")
    assert unknown.exit_code == 2 and "'Other Server' is no stored guild; stored guilds: History Hub" in unknown.output


def test_chart_is_written_for_the_window(imported, tmp_path):
    chart = tmp_path / "trend.png"
    result = clio(imported, "digest", "--chart", str(chart))
    assert result.exit_code == 0, result.output
    assert chart.read_bytes().startswith(b"\x89PNG") and f"chart: {chart}" in result.output


def test_no_chart_for_a_window_under_two_days(imported, tmp_path):
    chart = tmp_path / "trend.png"
    result = clio(imported, "digest", "--since", "2025-03-01", "--until", "2025-03-01", "--chart", str(chart))
    assert result.exit_code == 0, result.output
    assert f"no chart: the window is shorter than 2 days or none of its messages is tagged; {chart} not written" in (
        result.output
    )
    assert not chart.exists()


def test_tag_counts_the_messages_that_carry_a_tag(imported):
    result = clio(imported, "tag", "--guild", GUILD_NAME)
    assert result.exit_code == 0, result.output
    # Seven messages re-scored; the question about reading carries no argument.
    assert result.output.strip() == f"guild {GUILD_ID}: {len(PHRASINGS)} of {len(PHRASINGS) + 1} messages carry a tag"
    counts = json.loads(clio(imported, "tag", "--json").output)
    assert counts == {GUILD_ID: {"messages": len(PHRASINGS) + 1, "tagged": len(PHRASINGS)}}


def test_a_guild_with_no_messages_asks_for_an_import(tmp_path):
    env = {"CLIO_DATABASE": str(tmp_path / "clio.sqlite3")}
    # `packs list` stores a guild by id before any of its messages.
    assert clio(env, "packs", "list", "--guild", "42").exit_code == 0
    line = one_error_line(clio(env, "digest"))
    assert line.startswith("Error: guild 42 has no stored messages: run `clio import EXPORT.json` first")
