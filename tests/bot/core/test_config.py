"""Settings: the database URL, the shard range of a process, the log level, and .env.example listing them."""

import re
from pathlib import Path

import pydantic
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.config import Settings, env_name

ENV_EXAMPLE = Path(__file__).resolve().parents[3] / ".env.example"
# `NAME=value`, or `# NAME=value` for a setting left at its default.
SETTING_LINE = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=")


def test_the_default_database_is_a_sqlite_file_next_to_the_bot(monkeypatch):
    monkeypatch.delenv("CLIO_DATABASE", raising=False)
    assert Settings(_env_file=None).database == "clio.sqlite3"  # pyright: ignore[reportCallIssue]


def test_a_shard_range_is_numbers_below_the_shard_count():
    settings = Settings(shard_ids=" 2, 3", shard_count=4)
    assert settings.shard_id_list == [2, 3] and settings.shard_problem() is None
    assert "needs CLIO_SHARD_COUNT" in (Settings(shard_ids="0").shard_problem() or "")
    assert "below the shard count 2" in (Settings(shard_ids="1,2", shard_count=2).shard_problem() or "")
    with pytest.raises(pydantic.ValidationError, match="shard numbers separated by commas"):
        Settings(shard_ids="0;1")


def test_run_refuses_a_bad_shard_range_in_one_line():
    bad_ids = CliRunner().invoke(main, ["run", "--shard-ids", "zero", "--shard-count", "2"], env={"DISCORD_TOKEN": "x"})
    assert bad_ids.exit_code == 2 and "shard numbers separated by commas" in bad_ids.output
    too_high = CliRunner().invoke(main, ["run", "--shard-ids", "4", "--shard-count", "2"], env={"DISCORD_TOKEN": "x"})
    assert too_high.exit_code == 1
    assert too_high.output.strip() == "clio: error: shard ids must be below the shard count 2; got 4"


def test_a_log_level_is_one_of_pythons_in_any_case():
    assert Settings(log_level="debug").log_level == "DEBUG"
    assert Settings(log_level=" ").log_level is None  # an empty CLIO_LOG_LEVEL= line means the default
    with pytest.raises(pydantic.ValidationError, match="use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"):
        Settings(log_level="verbose")


def test_env_example_lists_every_setting_under_a_comment():
    lines = ENV_EXAMPLE.read_text("utf-8").splitlines()
    listed = {}
    for number, line in enumerate(lines):
        if found := SETTING_LINE.match(line):
            listed[found.group(1)] = lines[number - 1]
    assert sorted(listed) == sorted(env_name(field) for field in Settings.model_fields)
    undescribed = [name for name, above in listed.items() if not above.startswith("# ") or SETTING_LINE.match(above)]
    assert undescribed == []
