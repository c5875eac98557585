"""Fixtures of the engine tests: a tiny topic pack and a tagging service on the real model."""

import textwrap

import pytest

from bot.core.config import get_settings
from bot.engine.embedding import shared_embedder
from bot.engine.tagging import TaggingService
from tests.bot.conftest import GUILD

PACK = textwrap.dedent("""
    pack: test-pack
    title: "A tiny pack"
    version: 1
    arguments:
      - id: lipetsk-training
        title: "The USSR trained the Wehrmacht"
        claim: "The Soviet Union trained German officers and pilots at Lipetsk and Kazan before the war."
        examples:
          - "the soviets literally trained the german air force at lipetsk"
          - "Kazan tank school trained German tankers in the 1920s"
          - "without soviet help the reichswehr could never have rearmed"
        standing: debated
        counters: []
        sources:
          - {author: "Manfred Zeidler", title: "Reichswehr und Rote Armee", year: 1993, role: supports}
      - id: both-sides
        title: "Stalin played both sides"
        claim: "Stalin negotiated with Britain and France and with Germany at the same time to get the best deal."
        examples:
          - "stalin was playing both sides in 1939"
          - "he talked to London and Berlin at once and picked whoever paid more"
          - "Moscow ran an auction between the Allies and Hitler"
        standing: debated
        counters: []
        sources:
          - {author: "Geoffrey Roberts", title: "The Soviet Union and the Origins of the Second World War", year: 1995, role: supports}
""")


@pytest.fixture
def catalogue_dir(tmp_path):
    folder = tmp_path / "catalogue"
    folder.mkdir()
    (folder / "pack.yaml").write_text(PACK, encoding="utf-8")
    return folder


@pytest.fixture
def tagging(store, catalogue_dir):
    settings = get_settings()
    return TaggingService(store, shared_embedder(settings.model_dir), settings.model_dir, catalogue_dir, top_k=3)


async def slug_of(store, argument_id):
    return (await store.arguments.get(GUILD, argument_id)).slug
