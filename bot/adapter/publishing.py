"""Turning a digest into messages, and posting a scheduled one exactly once. Discord-free:
the caller passes the function that actually sends a page."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from bot.adapter.scheduling import DigestJob
from bot.engine.digest import COMPACT, FULL, build_digest, render_compact, render_embeds
from bot.engine.digest.chart import trend_chart
from bot.engine.wiring import Engine
from bot.store.digests import FAILED, POSTED, DigestRecord

log = logging.getLogger(__name__)

CHART_FILENAME = "trend.png"


@dataclass
class Page:
    """One message's worth of a digest: up to ten embeds, and the files they show."""

    embeds: list[dict]
    files: dict[str, bytes] = field(default_factory=dict)


async def digest_pages(
    engine: Engine,
    guild_id: int,
    since: float,
    until: float,
    channel_id: int | None = None,
    tz: str = "UTC",
    readable: Collection[int] | None = None,
    style: str = FULL,
) -> list[Page]:
    """A digest as messages; ``readable`` limits it to the channels its audience may see.

    The first page goes in the channel, the rest in a thread under it. Full: the digest's pages.
    Compact: one embed of the top arguments first, then the full digest's pages."""
    digest = await build_digest(
        engine.store, engine.tagging, guild_id, since, until, channel_id=channel_id, readable=readable
    )
    pages = [Page(embeds=list(embeds)) for embeds in render_embeds(digest)]
    if style == COMPACT:
        pages.insert(0, Page(embeds=[render_compact(digest)]))
    chart = await trend_chart(engine.store, guild_id, since, until, channel_id, tz, readable=readable)
    if chart is not None and pages and pages[0].embeds:
        pages[0].files[CHART_FILENAME] = chart
        pages[0].embeds[0] = {**pages[0].embeds[0], "image": {"url": f"attachment://{CHART_FILENAME}"}}
    return pages


# (index, page, id of the first message posted or None, nonce) -> id of the message posted
PostPage = Callable[[int, Page, "int | None", str], Awaitable[int]]


def job_from_record(record: DigestRecord) -> DigestJob:
    """Resume a digest left unfinished, over the window it was claimed for."""
    return DigestJob(
        guild_id=record.guild_id,
        slot_key=record.slot_key or "",
        target_channel_id=record.target_channel_id or 0,
        since=record.window_start,
        until=record.window_end,
        scope_channel_id=record.scope_channel_id,
        schedule_id=record.schedule_id,
        style=record.style,
    )


async def publish(
    engine: Engine,
    job: DigestJob,
    post: PostPage,
    *,
    retry_on: tuple[type[BaseException], ...] = (),
    attempts: int = 3,
    backoff: float = 2.0,
    readable: Collection[int] | None = None,
) -> DigestRecord:
    """Post a digest once per slot, from the ``readable`` channels only when given (see ``digest_pages``).

    The row is claimed before anything is sent, with a lease so that of several processes firing the
    same slot one posts (see ``bot.store.digests``); after each message its id is saved, so a retry
    (here, after an error in ``retry_on``, or at the next start-up) resumes after the last message
    that made it. Each message carries a nonce Discord deduplicates, for the case where a request
    succeeded but its answer was lost.
    """
    digests = engine.store.digests
    record = await digests.claim(
        job.guild_id,
        job.slot_key,
        job.target_channel_id,
        job.since,
        job.until,
        scope_channel_id=job.scope_channel_id,
        schedule_id=job.schedule_id,
        owner=engine.instance,
        style=job.style,
    )
    if record.posted:
        log.info("digest %s was already posted", job.slot_key)
        return record
    if record.lease_owner != engine.instance:
        log.info("digest %s is being posted by another process (%s)", job.slot_key, record.lease_owner)
        return record
    pages = await digest_pages(
        engine,
        job.guild_id,
        record.window_start,
        record.window_end,
        record.scope_channel_id,
        job.timezone,
        readable=readable,
        style=record.style,  # as claimed: a retry must post the pages the first try numbered
    )
    posted = list(record.message_ids)
    for attempt in range(1, attempts + 1):
        try:
            for index in range(len(posted), len(pages)):
                message_id = await post(index, pages[index], posted[0] if posted else None, f"clio-{record.id}-{index}")
                posted.append(message_id)
                await digests.record_messages(record.id, posted, owner=engine.instance)
            break
        except retry_on as exc:
            if attempt == attempts:
                await digests.set_status(record.id, FAILED)
                raise
            log.warning("digest %s: posting failed (%s); retry %d of %d", job.slot_key, exc, attempt, attempts - 1)
            await asyncio.sleep(backoff * attempt)
    await digests.set_status(record.id, POSTED)
    if job.schedule_id is not None:
        await engine.store.schedules.mark_run(job.schedule_id, record.window_end)
    posted = await digests.get(job.guild_id, job.slot_key)
    if posted is None:
        raise RuntimeError(f"digest {job.slot_key} vanished while it was posted")
    return posted
