"""Settings: the database URL and the shard range of a process."""

import pydantic
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.config import Settings


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
