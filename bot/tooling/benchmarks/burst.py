"""Live-ingest burst: thousands of MESSAGE_CREATE events through the gateway into the running bot,
with a /summary asked in the middle, which must still be acknowledged within Discord's 3 s.

:func:`burst` works on a bot already running against a FakeDiscord (the end-to-end test uses it);
:func:`run_burst_benchmark` sets one up in a temporary folder (for ``clio bench``).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.core.config import Settings
from bot.tooling.benchmarks.synthetic import discord_like_messages
from bot.tooling.fakediscord import FakeDiscord
from bot.tooling.sandbox import BotRunner

ACK_LIMIT_SECONDS = 3.0


@dataclass
class BurstReport:
    messages: int
    stored: int  # new rows in the store: equal to messages when nothing was lost or doubled
    not_embedded: int  # stored but never through the tagger
    seconds: float  # first event sent -> last message stored, tagged and its listeners done
    ack_seconds: float  # /summary sent -> deferred answer received

    @property
    def ingest_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def figures(self) -> dict:
        return {**asdict(self), "ingest_per_second": round(self.ingest_per_second, 1)}


async def _ack_seconds(fake: FakeDiscord, guild_id: str, channel_id: str, user_id: str) -> float:
    started = time.perf_counter()
    record = await fake.invoke_slash(guild_id, channel_id, user_id, "summary", {})  # answers only the asker
    await record.response(timeout=30)
    acked = time.perf_counter() - started
    await record.wait_original(timeout=120)  # let it finish: the digest is built after the ack
    return acked


async def burst(
    runner: BotRunner,
    guild_id: str,
    channel_id: str,
    author_ids: list[str],
    asker_id: str,
    count: int = 2000,
    timeout: float = 300.0,
) -> BurstReport:
    """Send ``count`` messages as fast as the fake can, with a /summary a quarter of the way in."""
    fake, store = runner.fake, runner.running.engine.store
    texts = [m.content for m in discord_like_messages(count, seed=11)]
    before = await store.messages.count(int(guild_id))
    started = time.perf_counter()
    ack = None
    for index, text in enumerate(texts):
        await fake.post_user_message(channel_id, author_ids[index % len(author_ids)], text)
        if index == count // 4:
            ack = asyncio.create_task(_ack_seconds(fake, guild_id, channel_id, asker_id))
    deadline = started + timeout
    while await store.messages.count(int(guild_id)) < before + count and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    await runner.idle()
    seconds = time.perf_counter() - started
    missing = await store.embeddings.missing(int(guild_id), runner.running.engine.embedder.model_id)
    return BurstReport(
        messages=count,
        stored=await store.messages.count(int(guild_id)) - before,
        not_embedded=len(missing),
        seconds=round(seconds, 2),
        ack_seconds=round(await ack, 3) if ack else float("nan"),
    )


async def run_burst_benchmark(settings: Settings, count: int = 2000, authors: int = 40) -> BurstReport:
    """A fresh guild with one watched channel on a local fake Discord, then :func:`burst`."""
    with tempfile.TemporaryDirectory(prefix="clio-burst-") as folder:
        settings = settings.model_copy(update={"database": str(Path(folder) / "burst.sqlite3")})
        async with FakeDiscord() as fake:
            guild = fake.add_guild("Burst")
            channel = fake.add_channel(guild.id, "debate")["id"]
            members = [fake.add_member(guild.id, f"member{n}")["user"]["id"] for n in range(authors)]
            moderator = fake.add_member(guild.id, "moderator", moderator=True)["user"]["id"]
            runner = BotRunner(fake, settings)
            await runner.start()
            try:
                watch = await fake.invoke_slash(guild.id, channel, moderator, "clio config watch", {"channel": channel})
                await watch.wait_original(timeout=30)
                await runner.running.engine.tagging.matcher_for(int(guild.id))  # index outside the timed part
                return await burst(runner, guild.id, channel, members, moderator, count)
            finally:
                await runner.stop()
