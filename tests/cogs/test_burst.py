"""2,000 MESSAGE_CREATE events at once: every message stored and tagged once, and a /summary asked
in the middle is still acknowledged within Discord's 3 seconds."""

from __future__ import annotations

import pytest

from bot.tooling.benchmarks.burst import ACK_LIMIT_SECONDS, burst

pytestmark = pytest.mark.slow

COUNT = 2000


async def test_burst_is_ingested_completely_and_commands_stay_responsive(clio, capsys):
    await clio.bot.engine.tagging.matcher_for(int(clio.guild_id))  # index the catalogue outside the timing
    authors = [clio.users["alice"], clio.users["bob"]]
    report = await burst(clio.runner, clio.guild_id, clio.channels["general"], authors, clio.users["bob"], COUNT)
    with capsys.disabled():
        print(
            f"\nburst: {COUNT} messages stored and tagged in {report.seconds:.1f} s "
            f"({report.ingest_per_second:.0f} msg/s); /summary acknowledged after {report.ack_seconds * 1000:.0f} ms"
        )
    sent = {int(m["id"]) for m in clio.fake.messages_in(clio.channels["general"]) if not m["author"].get("bot")}
    stored = await clio.stored_ids("general")
    assert len(stored) == len(set(stored)) == COUNT and set(stored) == sent
    assert report.stored == COUNT and report.not_embedded == 0
    assert report.ack_seconds < ACK_LIMIT_SECONDS
