"""The trend chart: its bucketing, and the figure as Discord would show it (sizes, ticks, legend, layout)."""

import io
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

from bot.engine.digest import chart
from bot.engine.digest.chart import bucket, build_figure, daily_counts, render_png, trend_chart, window_days
from tests.bot.conftest import GUILD
from tests.bot.engine.digest.conftest import DAY, seed

LAST_DAY = date(2025, 12, 15)  # a Monday
LABELS = (
    "The USSR trained the Wehrmacht at Lipetsk and Kazan",
    "Stalin played both sides",
    "Lipetsk was marginal",
    "The Treaty of Versailles made the Second World War inevitable",
    "Appeasement bought Britain time to rearm",
)
# Discord's narrowest inline preview of an embed's image, and the smallest text height readable there.
PREVIEW_WIDTH = 400
LEGIBLE_PX = 9.5


def window(days: int) -> tuple[date, date]:
    return LAST_DAY - timedelta(days=days - 1), LAST_DAY


def made_up_counts(days: int, labels=LABELS) -> dict[str, dict[date, int]]:
    """A few tagged messages most days, fewer for each less tagged argument."""
    first, _ = window(days)
    return {
        label: {first + timedelta(n): (n * (rank + 3)) % (7 - rank) for n in range(days)}
        for rank, label in enumerate(labels)
    }


def drawn(days: int, counts: dict[str, dict[date, int]] | None = None) -> Figure:
    figure = build_figure(made_up_counts(days) if counts is None else counts, *window(days))
    figure.canvas.draw()
    return figure


def inside(box: Bbox, figure: Figure) -> bool:
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= figure.bbox.width and box.y1 <= figure.bbox.height


def renderer_of(figure: Figure):
    assert isinstance(figure.canvas, FigureCanvasAgg)
    return figure.canvas.get_renderer()


def shown(texts: list[Text]) -> list[Text]:
    return [t for t in texts if t.get_visible() and t.get_text()]


# --- bucketing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "period"), [(2, "day"), (7, "day"), (15, "day"), (16, "week"), (30, "week")])
def test_bars_are_days_up_to_a_fortnight_and_weeks_beyond(days, period):
    assert bucket(*window(days)).period == period


@pytest.mark.parametrize("days", [7, 15])
def test_daily_bars_are_every_day_of_the_window(days):
    first, last = window(days)
    buckets = bucket(first, last)
    assert buckets.starts == tuple(first + timedelta(n) for n in range(days))
    assert not any(buckets.partial)


@pytest.mark.parametrize("days", [16, 30, 90])
def test_weekly_bars_are_monday_weeks_covering_the_window(days):
    first, last = window(days)
    buckets = bucket(first, last)
    assert all(start.weekday() == 0 for start in buckets.starts)
    assert buckets.starts[0] <= first < buckets.starts[0] + timedelta(7)
    assert buckets.starts[-1] <= last < buckets.starts[-1] + timedelta(7)
    assert [b - a for a, b in pairwise(buckets.starts)] == [timedelta(7)] * (len(buckets.starts) - 1)
    assert not any(buckets.partial[1:-1])


def test_weekly_totals_count_each_day_in_its_monday_week_and_mark_cut_weeks():
    # Sunday 16 Nov to Friday 5 Dec 2025: the first and last weeks are cut by the window.
    buckets = bucket(date(2025, 11, 16), date(2025, 12, 5))
    per_day = {date(2025, 11, 16): 2, date(2025, 11, 17): 3, date(2025, 11, 23): 1, date(2025, 11, 24): 4}
    assert buckets.starts == (date(2025, 11, 10), date(2025, 11, 17), date(2025, 11, 24), date(2025, 12, 1))
    assert buckets.totals(per_day) == [2, 4, 4, 0]
    assert buckets.partial == (True, False, False, True)


def test_a_window_ending_at_midnight_ends_the_day_before_in_its_own_time_zone():
    since, until = (datetime(2025, 11, d, tzinfo=UTC).timestamp() for d in (9, 16))
    assert window_days(since, until, ZoneInfo("UTC")) == (date(2025, 11, 9), date(2025, 11, 15))
    assert window_days(since, until, ZoneInfo("Europe/Berlin")) == (date(2025, 11, 9), date(2025, 11, 16))


# --- the figure ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "bars", "title"), [(7, 7, "per day"), (30, 6, "per week"), (90, 14, "per week")])
def test_one_stacked_bar_per_bucket_under_a_title_naming_it(days, bars, title):
    figure = drawn(days)
    axes = figure.axes[0]
    assert len(axes.patches) == bars * len(LABELS)
    assert title in axes.get_title(loc="left")


@pytest.mark.parametrize(
    ("days", "counts"),
    [(7, None), (30, None), (90, None), (2, {"A lone message": {LAST_DAY: 1}})],
    ids=["7", "30", "90", "lone-message"],
)
def test_y_ticks_are_whole_messages_from_zero(days, counts):
    axes = drawn(days, counts).axes[0]
    assert axes.get_ylim()[0] == 0
    assert all(tick == int(tick) for tick in axes.get_yticks())
    labels = [t.get_text() for t in shown(axes.get_yticklabels())]
    assert labels and all(label.isdigit() for label in labels)
    assert "0" in labels


@pytest.mark.parametrize("days", [7, 15, 30, 90])
def test_x_tick_labels_name_bucket_starts_without_overlapping(days):
    figure = drawn(days)
    renderer = renderer_of(figure)
    labels = shown(figure.axes[0].get_xticklabels())
    starts = bucket(*window(days)).starts
    assert {t.get_text() for t in labels} <= {f"{d.day} {d:%b}" for d in starts}
    assert labels[-1].get_text() == f"{starts[-1].day} {starts[-1]:%b}"
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda box: box.x0)
    assert all(left.x1 < right.x0 for left, right in pairwise(boxes))
    assert inside(boxes[0], figure) and inside(boxes[-1], figure)


@pytest.mark.parametrize("days", [7, 30, 90])
def test_legend_sits_outside_the_plot_and_inside_the_image(days):
    figure = drawn(days)
    renderer = renderer_of(figure)
    (legend,) = figure.legends
    box = legend.get_window_extent(renderer)
    assert box.y1 < figure.axes[0].get_window_extent(renderer).y0
    assert inside(box, figure)
    assert len(legend.get_texts()) == len(LABELS) + (days > 15)  # the part-week key


def test_wide_labels_are_shortened_until_the_legend_fits():
    wide = [f"WMWM WMWM WMWM WMWM WMWM WMWM {n}" for n in range(5)]
    figure = drawn(30, made_up_counts(30, wide))
    renderer = renderer_of(figure)
    box = figure.legends[0].get_window_extent(renderer)
    assert inside(box, figure)
    assert all(text.get_text().endswith("…") for text in figure.legends[0].get_texts()[:5])


@pytest.mark.parametrize("days", [7, 90])
def test_every_text_is_legible_in_a_narrow_preview(days):
    figure = drawn(days)
    scale = chart.DPI / 72 * PREVIEW_WIDTH / figure.bbox.width
    texts = shown(list(figure.findobj(Text)))
    assert texts
    assert min(float(t.get_fontsize()) for t in texts) * scale >= LEGIBLE_PX


@pytest.mark.parametrize("days", [7, 30, 90])
def test_png_has_the_designed_size_and_the_same_bytes_every_time(days):
    png = render_png(made_up_counts(days), *window(days))
    width, height = (round(inches * chart.DPI) for inches in chart.FIGSIZE)
    assert Image.open(io.BytesIO(png)).size == (width, height)
    assert 400 <= width / 2 <= 600  # shown at half size on a high-density screen, still a preview's width
    assert render_png(made_up_counts(days), *window(days)) == png


# --- over a store --------------------------------------------------------------------------------

SINCE = datetime(2025, 11, 3, tzinfo=UTC).timestamp()  # a Monday, at midnight UTC


async def _seed_six_arguments(store):
    """Argument n tagged on 6 - n messages, one a day from SINCE; the last also once at 23:30 UTC on day 0."""
    ids = [await store.arguments.add(GUILD, f"arg-{n}", f"Claim {n}", title=f"Argument {n}") for n in range(6)]
    rows = [
        (f"m{n}-{k}", [aid], {"created_at": SINCE + k * DAY + 60}) for n, aid in enumerate(ids) for k in range(6 - n)
    ]
    rows.append(("late", [ids[0]], {"created_at": SINCE + DAY - 1800}))
    await seed(store, rows)


async def test_daily_counts_keep_the_five_most_tagged_by_day_in_the_chart_zone(store):
    await _seed_six_arguments(store)
    until = SINCE + 30 * DAY
    utc = await daily_counts(store, GUILD, SINCE, until)
    assert list(utc) == [f"Argument {n}" for n in range(chart.TOP_ARGUMENTS)]
    assert utc["Argument 0"][date(2025, 11, 3)] == 2
    tokyo = await daily_counts(store, GUILD, SINCE, until, tz="Asia/Tokyo")
    assert tokyo["Argument 0"][date(2025, 11, 3)] == 1 and tokyo["Argument 0"][date(2025, 11, 4)] == 2


async def test_trend_chart_draws_a_png_for_a_month_and_nothing_for_a_day(store):
    await _seed_six_arguments(store)
    png = await trend_chart(store, GUILD, SINCE, SINCE + 30 * DAY)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert await trend_chart(store, GUILD, SINCE, SINCE + DAY) is None
    assert await trend_chart(store, GUILD + 1, SINCE, SINCE + 30 * DAY) is None
