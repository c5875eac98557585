"""Per-server topic packs: defaults, enable and disable, upgrades that keep moderators' edits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from bot.core.config import get_settings
from bot.core.errors import UserError
from bot.engine.embedding import shared_embedder
from bot.engine.packs import parse_default_packs
from bot.engine.tagging import TaggingService
from tests.bot.conftest import GUILD, OTHER_GUILD, make_message


def _argument(slug: str, claim: str, examples: list[str], counters: Sequence[str] = ()) -> dict:
    return {
        "id": slug,
        "title": slug.replace("-", " ").capitalize(),
        "claim": claim,
        "standing": "debated",
        "examples": examples,
        "counters": list(counters),
        "sources": [{"author": "A. Historian", "title": "A Book", "year": 1999, "role": "supports"}],
    }


LIPETSK = _argument(
    "lipetsk-training",
    "The Soviet Union trained German officers at Lipetsk and Kazan.",
    [
        "the soviets trained the luftwaffe at lipetsk",
        "kazan tank school trained german tankers",
        "the reichswehr rearmed on soviet soil",
    ],
)
BOTH_SIDES = _argument(
    "both-sides",
    "Stalin negotiated with the Allies and with Hitler at the same time.",
    [
        "stalin was playing both sides in 1939",
        "he talked to london and berlin at once",
        "moscow ran an auction between the allies and hitler",
    ],
)
GIBBON = _argument(
    "christianity-doomed-rome",
    "Christianity sapped the Roman Empire's will to fight.",
    [
        "gibbon was right, the church drained rome",
        "monks instead of legions, thats why rome fell",
        "christian pacifism killed the legions",
    ],
)


def write_pack(folder: Path, slug: str, version: int, *arguments: dict) -> None:
    pack = {"pack": slug, "title": slug.replace("-", " ").title(), "version": version, "arguments": list(arguments)}
    (folder / f"{slug}.yaml").write_text(yaml.safe_dump(pack, sort_keys=False), encoding="utf-8")


@pytest.fixture
def catalogue(tmp_path) -> Path:
    folder = tmp_path / "catalogue"
    folder.mkdir()
    write_pack(folder, "pact", 1, LIPETSK, BOTH_SIDES)
    write_pack(folder, "rome", 1, GIBBON)
    return folder


def service(store, folder: Path, default_packs: str = "all") -> TaggingService:
    settings = get_settings()
    return TaggingService(
        store, shared_embedder(settings.model_dir), settings.model_dir, folder, default_packs=default_packs
    )


async def tagging_slugs(tagging: TaggingService, guild_id: int = GUILD) -> set[str]:
    return {a.slug for a in await tagging.tagging_arguments(guild_id)}


async def test_a_new_server_starts_with_the_default_packs(store, catalogue):
    tagging = service(store, catalogue, default_packs="rome")
    assert await tagging_slugs(tagging) == {"christianity-doomed-rome"}
    listed = {p.pack: p.enabled for p in await tagging.packs.list(GUILD)}
    assert listed == {"pact": False, "rome": True}
    assert await tagging_slugs(service(store, catalogue), OTHER_GUILD) == {
        "lipetsk-training",
        "both-sides",
        "christianity-doomed-rome",
    }


async def test_disabling_stops_tagging_and_keeps_past_tags(store, catalogue):
    tagging = service(store, catalogue)
    message = make_message("the red army trained german pilots at lipetsk, look it up")
    result = await tagging.ingest([message])
    assert result.tags[message.id]
    assert await tagging.set_pack_enabled(GUILD, "pact", False)
    assert not await tagging.set_pack_enabled(GUILD, "pact", False)
    assert await tagging_slugs(tagging) == {"christianity-doomed-rome"}
    later = make_message("the soviets trained the luftwaffe at lipetsk, wild")
    assert later.id not in (await tagging.ingest([later])).tags
    assert await store.tags.for_messages(GUILD, [message.id])  # history stays
    assert await tagging_slugs(tagging, OTHER_GUILD) >= {"lipetsk-training"}  # other guilds unaffected
    assert await tagging.set_pack_enabled(GUILD, "pact", True)
    assert "lipetsk-training" in await tagging_slugs(tagging)


async def test_unknown_pack_is_a_clear_error(store, catalogue):
    with pytest.raises(UserError, match="no topic pack `atlantis`"):
        await service(store, catalogue).set_pack_enabled(GUILD, "atlantis", True)
    with pytest.raises(UserError, match="unknown pack"):
        service(store, catalogue, default_packs="atlantis")


async def test_an_upgrade_reaches_enabled_servers_and_keeps_moderator_edits(store, catalogue):
    first = service(store, catalogue)
    await first.ensure_guild(GUILD)
    await first.ensure_guild(OTHER_GUILD)
    await first.set_pack_enabled(OTHER_GUILD, "pact", False)
    lipetsk = await store.arguments.by_slug(GUILD, "lipetsk-training")
    await store.arguments.update(GUILD, lipetsk.id, claim="Our moderators' own wording of the Lipetsk claim.")
    await store.arguments.add(GUILD, "our-own", "A moderator's argument.")

    new_both = dict(BOTH_SIDES, claim="Stalin kept talks with both camps open until the last week of August 1939.")
    new_one = _argument(
        "pact-bought-time",
        "The pact bought the USSR time to rearm.",
        ["it bought them 22 months", "time to rearm, thats the point", "stalin needed time"],
    )
    write_pack(catalogue, "pact", 2, dict(LIPETSK, claim="A new catalogue wording."), new_both, new_one)
    upgraded = service(store, catalogue)  # a restart with the new catalogue
    await upgraded.ensure_guild(GUILD)
    await upgraded.ensure_guild(OTHER_GUILD)

    assert (
        await store.arguments.by_slug(GUILD, "lipetsk-training")
    ).claim == "Our moderators' own wording of the Lipetsk claim."
    both = await store.arguments.by_slug(GUILD, "both-sides")
    assert both.claim == new_both["claim"] and both.pack_version == 2 and both.standing == "debated"
    assert (await store.arguments.by_slug(GUILD, "pact-bought-time")).status == "active"
    assert (await store.arguments.by_slug(GUILD, "our-own")).status == "active"
    # A disabled pack is not upgraded until it is enabled again, and then it is.
    assert (await store.arguments.by_slug(OTHER_GUILD, "both-sides")).claim == BOTH_SIDES["claim"]
    await upgraded.set_pack_enabled(OTHER_GUILD, "pact", True)
    assert (await store.arguments.by_slug(OTHER_GUILD, "both-sides")).claim == new_both["claim"]

    write_pack(catalogue, "pact", 3, dict(LIPETSK, claim="A third wording."), new_one)
    await service(store, catalogue).ensure_guild(GUILD)
    assert (await store.arguments.by_slug(GUILD, "both-sides")).status == "removed"  # dropped by the pack
    assert (await store.arguments.by_slug(GUILD, "lipetsk-training")).status == "active"  # edited: kept


async def test_a_pack_whose_file_left_the_catalogue_stops_tagging(store, catalogue):
    await service(store, catalogue).ensure_guild(GUILD)
    (catalogue / "rome.yaml").unlink()
    assert await tagging_slugs(service(store, catalogue)) == {"lipetsk-training", "both-sides"}


async def test_saving_an_argument_unchanged_does_not_mark_it_edited(store, catalogue):
    await service(store, catalogue).ensure_guild(GUILD)
    both = await store.arguments.by_slug(GUILD, "both-sides")
    await store.arguments.update(GUILD, both.id, claim=both.claim, examples=both.examples)
    assert not (await store.arguments.by_slug(GUILD, "both-sides")).edited
    await store.arguments.update(GUILD, both.id, examples=(*both.examples, "one more"))
    assert (await store.arguments.by_slug(GUILD, "both-sides")).edited


def test_default_packs_setting():
    assert parse_default_packs("all") is None
    assert parse_default_packs(" None ") == frozenset()
    assert parse_default_packs("pact, rome") == frozenset({"pact", "rome"})
