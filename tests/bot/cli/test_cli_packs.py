"""`clio pack new|validate|schema` and `clio packs list|enable|disable`."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.engine.catalogue import pack_json_schema

REPO = Path(__file__).resolve().parents[3]
CATALOGUE = REPO / "prompts" / "catalogue"


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env or {})


def test_validate_lists_every_shipped_pack():
    files = sorted(str(p) for p in CATALOGUE.glob("*.yaml"))
    result = run("pack", "validate", *files)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if ": ok: pack " in line]
    assert len(lines) == len(files) >= 10
    assert all("arguments" in line and "phrasings" in line and "sources" in line for line in lines)


def test_validate_names_file_argument_and_field(tmp_path):
    pack = yaml.safe_load((CATALOGUE / "nazi_soviet_pact.yaml").read_text("utf-8"))
    pack["pack"] = "broken"
    pack["arguments"] = pack["arguments"][:2]
    pack["arguments"][0]["id"] = "fresh-one"
    pack["arguments"][1]["id"] = "fresh-two"
    pack["arguments"][1]["sources"][0]["year"] = 2999
    pack["arguments"][0]["counters"] = ["no-such-argument"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    result = run("pack", "validate", str(path))
    assert result.exit_code == 1
    assert "broken.yaml: arguments[1] (id 'fresh-two'): sources[0].year: must be between -800 and" in result.output
    pack["arguments"][1]["sources"][0]["year"] = -450  # Herodotus is fine
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    result = run("pack", "validate", str(path))
    assert "arguments[0] (id 'fresh-one'): counters: unknown argument id(s) 'no-such-argument'" in result.output
    pack["arguments"][0]["counters"] = ["stalin-played-both-sides"]  # may point into the shipped catalogue
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    assert run("pack", "validate", str(path)).exit_code == 0
    pack["arguments"][1]["id"] = "stalin-played-both-sides"
    pack["arguments"][1]["counters"] = []
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    assert "id: already used in" in run("pack", "validate", str(path)).output


def test_new_writes_a_skeleton_that_validates(tmp_path):
    target = tmp_path / "spanish_armada.yaml"
    result = run("pack", "new", "Spanish Armada", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert "pack: spanish-armada" in target.read_text("utf-8")
    assert run("pack", "validate", str(target)).exit_code == 0
    assert run("pack", "new", "Spanish Armada", "--output", str(target)).exit_code == 1  # never overwrites


def test_the_published_schema_is_the_loader_schema():
    published = json.loads((REPO / "docs" / "topic-pack.schema.json").read_text("utf-8"))
    assert published == json.loads(json.dumps(pack_json_schema()))
    assert json.loads(run("pack", "schema").output) == published


def test_packs_commands_per_guild(tmp_path):
    env = {"CLIO_DATABASE": str(tmp_path / "clio.sqlite3")}
    listed = run("packs", "list", "--guild", "42", "--json", env=env)
    assert listed.exit_code == 0, listed.output
    packs = {row["pack"]: row["enabled"] for row in json.loads(listed.output)}
    assert packs["civil-war-causes"] is True and len(packs) >= 10
    assert (
        run("packs", "disable", "civil-war-causes", "--guild", "42", env=env).output.strip()
        == "civil-war-causes disabled"
    )
    packs = {
        row["pack"]: row["enabled"]
        for row in json.loads(run("packs", "list", "--guild", "42", "--json", env=env).output)
    }
    assert packs["civil-war-causes"] is False and packs["fall-of-rome"] is True
    assert "was already enabled" in run("packs", "enable", "fall-of-rome", "--guild", "42", env=env).output
    unknown = run("packs", "enable", "atlantis", "--guild", "42", env=env)
    assert unknown.exit_code == 1 and "no topic pack `atlantis`" in unknown.output
    nowhere = run("packs", "list", "--guild", "Nowhere", env=env)
    assert nowhere.exit_code == 2 and "'Nowhere' is no stored guild; stored guilds: (unnamed) (42)" in nowhere.output


def test_the_documented_example_pack_validates(tmp_path):
    text = (REPO / "docs" / "topic-packs.md").read_text("utf-8")
    example = text.split("## A complete small pack", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "spanish_armada.yaml"
    path.write_text(example, encoding="utf-8")
    result = run("pack", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert "2 arguments, 6 phrasings, 4 sources" in result.output
