"""An argument-trend chart for digests spanning several days: how often the top arguments came up, as
stacked bars per day or per week, drawn to stay legible at the size Discord previews an embed's image."""

from __future__ import annotations

import asyncio
import io
import math
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from bot.core.markdown import shorten
from bot.core.records import MessageScope
from bot.store import Store

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure

# A shorter window has no trend worth drawing.
MIN_DAYS = 2
TOP_ARGUMENTS = 5
# A two-week window touches 15 calendar days unless it starts at midnight; beyond that daily bars get too
# thin to read at preview size and their day-to-day noise hides the trend, so bars become weeks.
DAILY_UP_TO_DAYS = 14

# Discord shows an embed's image about 400-550 px wide. Drawn 5.6 in wide, a point is about a pixel at
# 400 px, so text of 10 pt or more stays readable; 200 dpi keeps it sharp on high-density screens.
FIGSIZE = (5.6, 3.8)
DPI = 200
FONT_SIZE = 10
TITLE_SIZE = 12
# Two legend columns of labels this long fit the figure's width at FONT_SIZE, the first unless the letters
# are unusually wide.
LABEL_LIMITS = (28, 22, 16, 10)
PART_WEEK_LABEL = "faded: part of a week"
# More labels than this crowd the x axis at FONT_SIZE; the rest of the bars keep an unlabelled tick.
MAX_X_LABELS = 8
# Okabe-Ito: told apart with the common colour-vision deficiencies, each distinct from its neighbours on a stack.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")
# A week cut by the window's ends counts fewer days: faded, so that its shorter bar does not read as a fall.
PART_WEEK_ALPHA = 0.4

Period = Literal["day", "week"]
# A legend swatch and the full label it names.
LegendEntry = tuple["Artist", str]


def week_start(day: date) -> date:
    """The Monday on or before ``day``."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Buckets:
    """The chart's bars: consecutive days or Monday-started weeks, each named by the day it starts on."""

    period: Period
    starts: tuple[date, ...]
    # Whether each bar's week runs past either end of the window, so that it counts fewer days than the rest.
    partial: tuple[bool, ...]

    def start_of(self, day: date) -> date:
        return week_start(day) if self.period == "week" else day

    def totals(self, per_day: Mapping[date, int]) -> list[int]:
        """The per-bar sums of a day -> count mapping, in bar order; days outside every bar are left out."""
        sums = dict.fromkeys(self.starts, 0)
        for day, count in per_day.items():
            start = self.start_of(day)
            if start in sums:
                sums[start] += count
        return list(sums.values())


def bucket(first_day: date, last_day: date) -> Buckets:
    """Daily bars for a window of up to DAILY_UP_TO_DAYS, else weekly bars; both ends inclusive."""
    if (last_day - first_day).days <= DAILY_UP_TO_DAYS:
        days = _every(first_day, last_day, 1)
        return Buckets("day", days, (False,) * len(days))
    weeks = _every(week_start(first_day), last_day, 7)
    return Buckets("week", weeks, tuple(w < first_day or w + timedelta(days=6) > last_day for w in weeks))


def _every(first: date, last: date, step_days: int) -> tuple[date, ...]:
    return tuple(first + timedelta(days=n) for n in range(0, (last - first).days + 1, step_days))


def window_days(since: float, until: float, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last calendar days of [since, until): a window ending at midnight ends the day before."""
    last_moment = datetime.fromtimestamp(until, zone) - timedelta(microseconds=1)
    return datetime.fromtimestamp(since, zone).date(), last_moment.date()


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
    """Label -> {day -> tagged messages} for the ``top`` most tagged arguments of the window, most tagged first."""
    zone = ZoneInfo(tz)
    tags = await store.tags.accepted_in_window(MessageScope(guild_id, since, until, channel_id, readable))
    leaders = [aid for aid, _ in Counter(t.argument_id for t in tags).most_common(top)]
    labels = {a.id: a.label for a in await store.arguments.list(guild_id) if a.id in leaders}
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for tag in tags:
        if tag.argument_id in labels:
            counts[labels[tag.argument_id]][datetime.fromtimestamp(tag.created_at, zone).date()] += 1
    return {label: dict(counts[label]) for aid in leaders if (label := labels.get(aid)) in counts}


def _day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def _bar_colours(colour: str, buckets: Buckets) -> list[tuple[float, float, float, float]]:
    from matplotlib.colors import to_rgba

    return [to_rgba(colour, PART_WEEK_ALPHA if partial else 1.0) for partial in buckets.partial]


def _draw_stacks(axes: Axes, counts: Mapping[str, Mapping[date, int]], buckets: Buckets) -> list[LegendEntry]:
    """One stacked bar per bucket, the most tagged argument at the bottom where its height reads off the axis.

    Returns the legend's entries, with swatches of their own: a bar's first patch may be a faded part week."""
    from matplotlib.patches import Patch

    positions = range(len(buckets.starts))
    bottoms = [0] * len(buckets.starts)
    entries: list[LegendEntry] = []
    for (label, per_day), colour in zip(counts.items(), COLOURS):
        heights = buckets.totals(per_day)
        axes.bar(positions, heights, bottom=bottoms, width=0.75, color=_bar_colours(colour, buckets), edgecolor="white")
        bottoms = [b + h for b, h in zip(bottoms, heights)]
        entries.append((Patch(facecolor=colour), label))
    if any(buckets.partial):
        entries.append((Patch(facecolor="grey", alpha=PART_WEEK_ALPHA), PART_WEEK_LABEL))
    return entries


def _add_legend(figure: Figure, renderer: RendererBase, entries: Sequence[LegendEntry]) -> None:
    """Below the plot, outside it so that it never covers a bar, in two columns, its labels shortened as far
    as it takes for both columns to fit the figure's width (wide letters and long words can need more)."""
    for limit in LABEL_LIMITS:
        legend = figure.legend(
            [handle for handle, _ in entries],
            [shorten(label, limit) for _, label in entries],
            loc="outside lower center",
            ncols=2,
            frameon=False,
            fontsize=FONT_SIZE,
            handlelength=1.2,
            columnspacing=1.2,
        )
        if legend.get_window_extent(renderer).width <= figure.bbox.width or limit == LABEL_LIMITS[-1]:
            return
        legend.remove()


def _label_x(axes: Axes, starts: Sequence[date]) -> None:
    """A tick under every bar, labelled every ``step`` bars counting back from the newest, which is always named."""
    step = math.ceil(len(starts) / MAX_X_LABELS)
    newest = len(starts) - 1
    axes.set_xticks(
        range(len(starts)), [_day_label(day) if (newest - n) % step == 0 else "" for n, day in enumerate(starts)]
    )
    axes.set_xlim(-0.6, newest + 0.6)


def _style_y(axes: Axes) -> None:
    """Whole messages only, counted from zero in round steps, with faint gridlines behind the bars."""
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    axes.set_ylim(bottom=0)
    axes.set_ylabel("tagged messages", fontsize=FONT_SIZE)
    axes.grid(axis="y", alpha=0.35)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)


def build_figure(counts: Mapping[str, Mapping[date, int]], first_day: date, last_day: date) -> Figure:
    """The chart as a Figure on an Agg canvas, for render_png to save and tests to inspect."""
    # The object API with the Agg canvas: no pyplot global state, safe off the main thread.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    buckets = bucket(first_day, last_day)
    figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    entries = _draw_stacks(axes, counts, buckets)
    _label_x(axes, buckets.starts)
    _style_y(axes)
    axes.tick_params(labelsize=FONT_SIZE)
    axes.set_title(f"Top arguments per {buckets.period}", fontsize=TITLE_SIZE, fontweight="bold", loc="left")
    span = f"{_day_label(first_day)} – {_day_label(last_day)} {last_day.year}"
    axes.set_title(span, fontsize=FONT_SIZE, color="dimgrey", loc="right")
    _add_legend(figure, canvas.get_renderer(), entries)
    return figure


def render_png(counts: Mapping[str, Mapping[date, int]], first_day: date, last_day: date) -> bytes:
    """The chart as PNG bytes; the same counts always give the same bytes."""
    figure = build_figure(counts, first_day, last_day)
    buffer = io.BytesIO()
    # The Software entry names matplotlib's version: without it the bytes depend on the data alone.
    figure.savefig(buffer, format="png", metadata={"Software": None})
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
    first, last = window_days(since, until, ZoneInfo(tz))
    return await asyncio.to_thread(render_png, counts, first, last)
