"""The argument catalogue loader, the bundled topic pack, and the bundled sample server export."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path

import pydantic
import pytest
import yaml

from bot.engine.catalogue import CatalogueError, TopicPack, all_arguments, load_catalogue, load_pack

REPO = Path(__file__).resolve().parents[3]
CATALOGUE = REPO / "prompts" / "catalogue"
SAMPLE = REPO / "prompts" / "sample"
DISCORD_EPOCH_MS = 1420070400000


# --------------------------------------------------------------------------------------------
# The bundled catalogue
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> list[TopicPack]:
    return load_catalogue(CATALOGUE)


def test_bundled_catalogue_loads(bundled):
    arguments = all_arguments(bundled)
    assert len(arguments) >= 15
    ids = [argument.id for argument in arguments]
    assert len(ids) == len(set(ids))
    assert any(argument.policy == "flag" for argument in arguments)


def test_bundled_counters_resolve_and_rebut_something_else(bundled):
    arguments = {argument.id: argument for argument in all_arguments(bundled)}
    for argument in arguments.values():
        for counter in argument.counters:
            assert counter in arguments, f"{argument.id} counters unknown {counter}"
            assert counter != argument.id
    # A flagged claim must come with its rebuttal, so a moderator has something to point to.
    for argument in arguments.values():
        if argument.policy == "flag":
            assert argument.counters


def test_bundled_pack_is_the_nazi_soviet_pact(bundled):
    pack = next(p for p in bundled if p.pack == "nazi-soviet-pact")
    assert pack.version >= 1
    assert len(pack.arguments) >= 18
    for argument in pack.arguments:
        assert len(argument.examples) >= 3
        assert argument.sources and all(-800 <= s.year <= datetime.now().year for s in argument.sources if s.year)


# --------------------------------------------------------------------------------------------
# Malformed packs: every error names the file, the argument and the field
# --------------------------------------------------------------------------------------------


def _argument(argument_id: str, **overrides) -> dict:
    argument = {
        "id": argument_id,
        "title": f"Title of {argument_id}",
        "claim": f"A single-sentence claim about {argument_id}.",
        "examples": ["first phrasing", "second phrasing", "third phrasing"],
        "standing": "debated",
        "counters": [],
        "sources": [{"author": "A. Historian", "title": "A Book", "year": 1999, "role": "supports"}],
    }
    argument.update(overrides)
    return argument


def _pack(*arguments: dict, slug: str = "test-pack") -> dict:
    return {
        "pack": slug,
        "title": "Test pack",
        "version": 1,
        "arguments": list(arguments) or [_argument("alpha"), _argument("beta", counters=["alpha"])],
    }


def _write(folder: Path, data: dict, name: str = "pack.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _error(call) -> str:
    with pytest.raises(CatalogueError) as caught:
        call()
    return str(caught.value)


def test_valid_pack_loads(tmp_path):
    pack = load_pack(_write(tmp_path, _pack()))
    assert [a.id for a in pack.arguments] == ["alpha", "beta"]
    assert pack.arguments[1].counters == ["alpha"]
    assert pack.arguments[0].sources[0].url is None
    assert [p.pack for p in load_catalogue(tmp_path)] == ["test-pack"]


def test_bad_yaml_syntax_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text('pack: broken\ntitle: "Broken\nversion: 1\narguments:\n  - id: [unclosed\n', encoding="utf-8")
    message = _error(lambda: load_pack(path))
    assert "broken.yaml" in message
    assert "line " in message


def test_top_level_must_be_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert "list.yaml" in _error(lambda: load_pack(path))


def test_missing_claim(tmp_path):
    second = _argument("beta")
    del second["claim"]
    message = _error(lambda: load_pack(_write(tmp_path, _pack(_argument("alpha"), second))))
    assert "pack.yaml" in message
    assert "arguments[1] (id 'beta')" in message
    assert "claim" in message and "missing" in message


def test_too_few_examples(tmp_path):
    data = _pack(_argument("alpha", examples=["one", "two"]))
    message = _error(lambda: load_pack(_write(tmp_path, data)))
    assert "pack.yaml: arguments[0] (id 'alpha'): examples: needs 3-60 phrasings, got 2" in message


def test_too_many_and_blank_examples(tmp_path):
    many = _pack(_argument("alpha", examples=[f"phrasing {n}" for n in range(61)]))
    assert "got 61" in _error(lambda: load_pack(_write(tmp_path, many)))
    blank = _pack(_argument("alpha", examples=["one", "   ", "three"]))
    assert "examples[1]" in _error(lambda: load_pack(_write(tmp_path, blank)))


def test_unknown_counter_id(tmp_path):
    _write(tmp_path, _pack(_argument("alpha", counters=["no-such-argument"])))
    message = _error(lambda: load_catalogue(tmp_path))
    assert "pack.yaml" in message
    assert "arguments[0] (id 'alpha')" in message
    assert "counters" in message and "no-such-argument" in message


def test_counter_may_point_into_another_pack(tmp_path):
    _write(tmp_path, _pack(_argument("alpha"), slug="first"), "a.yaml")
    _write(tmp_path, _pack(_argument("beta", counters=["alpha"]), slug="second"), "b.yaml")
    assert [p.pack for p in load_catalogue(tmp_path)] == ["first", "second"]


def test_argument_cannot_counter_itself(tmp_path):
    message = _error(lambda: load_pack(_write(tmp_path, _pack(_argument("alpha", counters=["alpha"])))))
    assert "arguments[0] (id 'alpha')" in message and "counter itself" in message


def test_duplicate_id_within_a_pack(tmp_path):
    message = _error(lambda: load_pack(_write(tmp_path, _pack(_argument("alpha"), _argument("alpha")))))
    assert "pack.yaml: arguments[1] (id 'alpha'): id: duplicate of arguments[0]" in message


def test_duplicate_id_across_packs(tmp_path):
    _write(tmp_path, _pack(_argument("alpha"), slug="first"), "a.yaml")
    _write(tmp_path, _pack(_argument("alpha"), slug="second"), "b.yaml")
    message = _error(lambda: load_catalogue(tmp_path))
    assert "b.yaml" in message and "(id 'alpha')" in message and "a.yaml" in message


def test_unknown_key(tmp_path):
    data = _pack(_argument("alpha", counter=["typo"]))
    message = _error(lambda: load_pack(_write(tmp_path, data)))
    assert "arguments[0] (id 'alpha'): counter: unknown key" in message


def test_unknown_key_in_a_source(tmp_path):
    data = _pack(_argument("alpha", sources=[{"author": "A", "title": "B", "year": 2000, "publisher": "C"}]))
    message = _error(lambda: load_pack(_write(tmp_path, data)))
    assert "sources[0].publisher: unknown key" in message


def test_bad_policy_value(tmp_path):
    data = _pack(_argument("alpha", policy="delete"))
    message = _error(lambda: load_pack(_write(tmp_path, data)))
    assert "arguments[0] (id 'alpha'): policy" in message and "'flag'" in message and "delete" in message


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"sources": []}, "sources", "at least one"),
        (
            {"sources": [{"author": "A", "title": "B", "year": -1200, "role": "supports"}]},
            "sources[0].year",
            "between -800 and",
        ),
        (
            {"sources": [{"author": "A", "title": "B", "year": 3000, "role": "supports"}]},
            "sources[0].year",
            "between -800 and",
        ),
        (
            {"sources": [{"author": "A", "title": "B", "year": 1999, "role": "endorses"}]},
            "sources[0].role",
            "'supports' or 'rebuts'",
        ),
        ({"standing": "settled"}, "standing", "'consensus', 'debated' or 'rejected'"),
        ({"sources": [{"author": "A", "title": "B", "url": "not a url", "role": "rebuts"}]}, "sources[0].url", "http"),
        ({"claim": "First sentence. Second sentence."}, "claim", "one sentence"),
        ({"claim": "   "}, "claim", ""),
        ({"title": "x" * 81}, "title", ""),
        ({"id": "Not A Slug"}, "id", "slug"),
    ],
)
def test_field_rules(tmp_path, overrides, field, problem):
    message = _error(lambda: load_pack(_write(tmp_path, _pack(_argument("alpha", **overrides)))))
    assert "arguments[0]" in message and f": {field}: " in message and problem in message


def test_claim_may_use_common_abbreviations(tmp_path):
    claim = "Moscow wanted guarantees, e.g. transit rights, before signing anything."
    pack = load_pack(_write(tmp_path, _pack(_argument("alpha", claim=claim))))
    assert pack.arguments[0].claim == claim


def test_every_error_in_a_file_is_reported(tmp_path):
    data = _pack(_argument("alpha", examples=["one"]), _argument("beta", policy="ban"))
    message = _error(lambda: load_pack(_write(tmp_path, data)))
    assert "(id 'alpha'): examples" in message and "(id 'beta'): policy" in message


def test_missing_folder(tmp_path):
    assert "not found" in _error(lambda: load_catalogue(tmp_path / "nope"))


def test_bundled_pack_is_not_mutated_by_validation(bundled):
    # Models are frozen: the tagging service shares one catalogue across guilds.
    argument = all_arguments(bundled)[0]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        argument.claim = "changed"
    assert copy.deepcopy(argument) == argument


# --------------------------------------------------------------------------------------------
# The bundled sample export (DiscordChatExporter JSON, one file per channel)
# --------------------------------------------------------------------------------------------

EXPORTS = sorted(SAMPLE.glob("history-server.*.json"))


@pytest.fixture(scope="module")
def exports() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in EXPORTS]


def test_sample_exports_are_three_channels_of_one_guild(exports):
    assert len(exports) == 3
    assert {e["guild"]["id"] for e in exports} == {"900000000000000001"}
    assert {e["channel"]["name"] for e in exports} == {"general-history", "ww2-debate", "history-chat"}
    assert len({e["channel"]["id"] for e in exports}) == 3
    for export in exports:
        assert export["messageCount"] == len(export["messages"])


def test_sample_has_enough_human_messages_over_enough_days(exports):
    messages = [m for e in exports for m in e["messages"]]
    humans = [m for m in messages if not m["author"]["isBot"]]
    bots = [m for m in messages if m["author"]["isBot"]]
    assert len(humans) >= 150
    assert 3 <= len(bots) <= 4 and {m["author"]["name"] for m in bots} == {"Carl-bot"}
    assert len({m["timestamp"][:10] for m in humans}) >= 10
    assert 8 <= len({m["author"]["id"] for m in messages}) <= 16


def test_sample_ids_match_timestamps_and_are_in_order(exports):
    seen: set[str] = set()
    for export in exports:
        moments = []
        for message in export["messages"]:
            assert message["id"] not in seen
            seen.add(message["id"])
            moment = datetime.fromisoformat(message["timestamp"])
            unix_ms = round(moment.timestamp() * 1000)
            assert (int(message["id"]) >> 22) + DISCORD_EPOCH_MS == unix_ms, message["id"]
            moments.append(moment)
        assert moments == sorted(moments)


def test_sample_replies_point_at_earlier_messages_in_the_same_channel(exports):
    replies = 0
    for export in exports:
        earlier: set[str] = set()
        for message in export["messages"]:
            reference = message.get("reference")
            assert (message["type"] == "Reply") == (reference is not None)
            if reference:
                replies += 1
                assert reference["messageId"] in earlier
                assert reference["channelId"] == export["channel"]["id"]
                assert reference["guildId"] == export["guild"]["id"]
            earlier.add(message["id"])
    assert replies >= 40


def _build_sample_module():
    # The script is not a package module; dataclasses need it registered in sys.modules while it loads.
    name = "clio_sample_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLE / "build_sample.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_sample_files_match_their_generator(tmp_path):
    written = _build_sample_module().write(tmp_path)
    assert sorted(p.name for p in written) == [p.name for p in EXPORTS]
    for path in written:
        assert path.read_bytes() == (SAMPLE / path.name).read_bytes(), f"rerun build_sample.py ({path.name})"


def test_sample_labels_refer_to_catalogued_arguments(bundled):
    sample = _build_sample_module()
    labels = {sample.ABUSE, sample.SPAM, sample.WINTER_WAR, sample.BOT}
    catalogued = {argument.id for argument in all_arguments(bundled)}
    counts: dict[str, int] = {}
    winter: list = []
    for messages in (sample.WW2_DEBATE, sample.GENERAL_HISTORY, sample.HISTORY_CHAT):
        for message in messages:
            for tag in message.tags:
                assert tag in catalogued | labels, tag
                counts[tag] = counts.get(tag, 0) + 1
            if sample.WINTER_WAR in message.tags:
                winter.append(message)
    pact = {argument.id for argument in next(p for p in bundled if p.pack == "nazi-soviet-pact").arguments}
    covered = [argument for argument in pact if counts.get(argument, 0) >= 3]
    assert len(covered) >= len(pact) * 0.75
    # The general channel touches at least four of the other packs, each argument made more than once.
    pack_of = {argument.id: pack.pack for pack in bundled for argument in pack.arguments}
    general = [tag for message in sample.HISTORY_CHAT for tag in message.tags]
    assert general and all(tag in catalogued for tag in general)
    assert len({pack_of[tag] for tag in general} - {"nazi-soviet-pact"}) >= 4
    assert all(general.count(tag) >= 2 for tag in general)
    # The planted uncatalogued argument has to be worth discovering: it recurs across people and days.
    assert len(winter) >= 7
    assert len({m.author for m in winter}) >= 4
    assert len({m.day for m in winter}) >= 3
    assert 3 <= counts[sample.ABUSE] <= 4 and 3 <= counts[sample.SPAM] <= 5


def test_benign_history_lines():
    lines = [line for line in (SAMPLE / "benign_history.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) >= 110
    assert len(set(lines)) == len(lines)
