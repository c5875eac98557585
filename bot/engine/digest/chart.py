"""An argument-trend chart for digests spanning several days: messages per day for the top arguments."""

from __future__ import annotations

import asyncio
import io
from collections import Counter, defaultdict
from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.markdown import shorten
from bot.core.records import MessageScope
from bot.store import Store

# A shorter window has no trend worth drawing.
MIN_DAYS = 2
TOP_ARGUMENTS = 5


async def daily_counts(
    store: Store,
    guild_id: int,
    since: float,
    until: float,
    channel_id: int | None = None,
    tz: str = "UTC",
    top: int = TOP_ARGUMENTS,
    readable: Collection[int] | None = None,
) -> dict[str, dict[date, int]]:
    """Label -> {day -> tagged messages} for the ``top`` most tagged arguments of the window."""
    zone = ZoneInfo(tz)
    tags = await store.tags.accepted_in_window(MessageScope(guild_id, since, until, channel_id, readable))
    leaders = [aid for aid, _ in Counter(t.argument_id for t in tags).most_common(top)]
    labels = {a.id: a.label for a in await store.arguments.list(guild_id) if a.id in leaders}
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for tag in tags:
        if tag.argument_id in labels:
            counts[labels[tag.argument_id]][datetime.fromtimestamp(tag.created_at, zone).date()] += 1
    return {label: dict(counts[label]) for aid in leaders if (label := labels.get(aid)) in counts}


def render_png(counts: dict[str, dict[date, int]], first_day: date, last_day: date, title: str = "") -> bytes:
    """A line per argument, one point per day (zero on days without messages)."""
    # The object API with the Agg canvas: no pyplot global state, safe off the main thread.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    figure = Figure(figsize=(8, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for label, per_day in counts.items():
        short = shorten(label, 40)
        # matplotlib plots dates through its unit converters, which its type hints do not describe.
        axes.plot(days, [per_day.get(day, 0) for day in days], marker="o", linewidth=1.5, label=short)  # pyright: ignore[reportArgumentType]
    axes.set_ylabel("messages")
    axes.set_title(title or "Arguments per day", fontsize=11)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", frameon=False)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def trend_chart(
    store: Store,
    guild_id: int,
    since: float,
    until: float,
    channel_id: int | None = None,
    tz: str = "UTC",
    readable: Collection[int] | None = None,
) -> bytes | None:
    """The PNG, or None when the window is shorter than MIN_DAYS or nothing was tagged."""
    if until - since < MIN_DAYS * 86400:
        return None
    counts = await daily_counts(store, guild_id, since, until, channel_id, tz, readable=readable)
    if not counts:
        return None
    zone = ZoneInfo(tz)
    first, last = (datetime.fromtimestamp(t, zone).date() for t in (since, until))
    return await asyncio.to_thread(render_png, counts, first, last)
