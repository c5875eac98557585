import asyncio

import pydantic
import pytest

from bot.store import Store
from tests.bot.conftest import GUILD, OTHER_GUILD


async def test_settings_default_then_persist_and_stay_per_guild(store):
    assert (await store.settings.get(GUILD)).watched_channels == []
    await store.settings.set(GUILD, watched_channels=[1, 2], retention_days=30)
    assert (await store.settings.get(OTHER_GUILD)).watched_channels == []
    reopened = await Store.open(store.db.url)
    try:
        config = await reopened.settings.get(GUILD)
        assert config.watched_channels == [1, 2] and config.retention_days == 30
    finally:
        await reopened.close()


async def test_bad_settings_are_rejected_and_change_nothing(store):
    with pytest.raises(KeyError):
        await store.settings.set(GUILD, no_such_setting=1)
    with pytest.raises(pydantic.ValidationError):
        await store.settings.set(GUILD, note_threshold=7)
    assert (await store.settings.get(GUILD)).note_threshold == 0.8


async def test_concurrent_read_modify_writes_keep_every_change(store):
    async def add(channel_id: int) -> None:
        await store.settings.update(GUILD, lambda config: {"watched_channels": [*config.watched_channels, channel_id]})

    await asyncio.gather(*(add(channel_id) for channel_id in range(1, 21)))
    assert sorted((await store.settings.get(GUILD)).watched_channels) == list(range(1, 21))
    reopened = await Store.open(store.db.url)
    try:
        assert sorted((await reopened.settings.get(GUILD)).watched_channels) == list(range(1, 21))
    finally:
        await reopened.close()


async def test_an_update_with_nothing_to_change_writes_nothing(store):
    before = await store.settings.set(GUILD, retention_days=30)
    assert await store.settings.update(GUILD, lambda config: {}) == before
