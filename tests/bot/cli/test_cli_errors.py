"""Set-up mistakes end a command in one `Error:` line that names the problem and the fix, exit code 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

REPO = Path(__file__).resolve().parents[3]


def clio(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env or {})


def one_error_line(result) -> str:
    """The command's only output line, which must be an error; fails on a traceback or on success."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_a_database_folder_that_does_not_exist_is_named_with_the_fix(tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    line = one_error_line(clio("digest", env={"CLIO_DATABASE": str(missing / "clio.db")}))
    assert f"the folder {missing} does not exist: create it (mkdir -p {missing})" in line
    assert not missing.parent.exists()  # nothing was created on the strength of a typo


def test_a_database_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    line = one_error_line(clio("tag", env={"CLIO_DATABASE": str(tmp_path / "notes.txt" / "clio.db")}))
    assert f"{tmp_path / 'notes.txt'} is not a folder: point CLIO_DATABASE at a file in a folder" in line


def test_a_read_only_database_folder_is_named_with_the_fix(tmp_path, monkeypatch):
    # The tests run as root, whom a chmod does not stop: the permission check itself is what is faked.
    monkeypatch.setattr("bot.cli.common.os.access", lambda path, mode: Path(path) != tmp_path)
    line = one_error_line(clio("db", "upgrade", env={"CLIO_DATABASE": str(tmp_path / "clio.db")}))
    assert f"cannot write in {tmp_path}: give this user write permission there" in line
    line = one_error_line(clio("db", "upgrade", "--database", str(tmp_path / "other.db")))
    assert line.startswith(f"Error: --database={tmp_path / 'other.db'}: cannot write in")


def test_a_bad_log_level_lists_the_valid_ones():
    line = one_error_line(clio("digest", env={"CLIO_LOG_LEVEL": "verbose"}))
    assert line == (
        "Error: invalid settings: CLIO_LOG_LEVEL: 'verbose' is not a log level: use one of DEBUG, INFO, WARNING,"
        " ERROR, CRITICAL"
    )
    assert clio("pack", "schema", env={"CLIO_LOG_LEVEL": "debug"}).exit_code == 0  # any case will do


@pytest.mark.parametrize(
    ("variable", "command", "what"),
    [
        ("CLIO_MODEL_DIR", ("tag",), "a folder holding model.onnx"),
        ("CLIO_CATALOGUE_DIR", ("discover",), "a folder of topic packs"),
        ("CLIO_TEMPLATES_DIR", ("digest",), "the digest templates folder"),
    ],
)
def test_a_folder_setting_that_points_nowhere_is_named_with_the_fix(tmp_path, variable, command, what):
    env = {"CLIO_DATABASE": str(tmp_path / "clio.db"), variable: str(tmp_path / "nowhere")}
    line = one_error_line(clio(*command, env=env))
    assert line.startswith(f"Error: {variable}={tmp_path / 'nowhere'}: no such folder: point {variable} at {what}")


def test_a_model_folder_without_the_model_is_one_line(tmp_path):
    (tmp_path / "model").mkdir()
    env = {"CLIO_DATABASE": str(tmp_path / "clio.db"), "CLIO_MODEL_DIR": str(tmp_path / "model")}
    line = one_error_line(clio("tag", env=env))
    assert line == (
        f"Error: model folder {tmp_path / 'model'} lacks model.onnx: point CLIO_MODEL_DIR at a folder holding"
        " model.onnx, tokenizer.json and model.json (or unset it for the shipped bot/weights/matcher-v2)"
    )


def test_a_broken_pack_in_the_catalogue_is_one_line_that_points_to_validate(tmp_path):
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    (catalogue / "half.yaml").write_text("pack: half\ntitle: Half a pack\n", encoding="utf-8")
    env = {"CLIO_DATABASE": str(tmp_path / "clio.db"), "CLIO_CATALOGUE_DIR": str(catalogue)}
    line = one_error_line(clio("packs", "list", "--guild", "42", env=env))
    assert line.startswith(f"Error: {catalogue / 'half.yaml'}: version: required field is missing (and 1 more")
    assert f"run `clio pack validate {catalogue}/*.yaml` to see every problem" in line

    (catalogue / "half.yaml").write_text("pack: half\narguments: [\n", encoding="utf-8")
    line = one_error_line(clio("packs", "list", "--guild", "42", env=env))
    assert "half.yaml: invalid YAML at line 3, column 1" in line


def test_validate_puts_every_problem_of_a_pack_on_one_line(tmp_path):
    path = tmp_path / "half.yaml"
    path.write_text("pack: half\ntitle: Half a pack\n", encoding="utf-8")
    line = one_error_line(clio("pack", "validate", str(path)))
    assert line == (
        f"Error: {path}: 2 problems: version: required field is missing; arguments: required field is missing"
    )


def test_digest_on_an_empty_store_says_to_import_first(tmp_path):
    line = one_error_line(clio("digest", env={"CLIO_DATABASE": str(tmp_path / "clio.db")}))
    assert line == (
        "Error: the database holds no guild yet: run `clio import EXPORT.json` first"
        " (or `clio run` to store a server's messages)"
    )
