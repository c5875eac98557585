"""``clio bench``: measure the engine against the project's speed and memory bars."""

from __future__ import annotations

import click

from bot.cli.common import emit_json, json_option, run_async
from bot.core.config import get_settings
from bot.tooling.benchmarks.engine import run_engine_benchmarks

# figure -> (bar, whether higher is better)
BARS = {
    "ingest_per_second": (700.0, True),
    # Holds on a noisy shared machine where absolute rates do not: both are measured in the same run.
    "ingest_to_raw_inference": (0.85, True),
    "burst_ingest_per_second": (500.0, True),
    "digest_seconds": (2.0, False),
    "peak_rss_mb": (400.0, False),
    "flag_median_ms": (2.0, False),
    "burst_ack_seconds": (3.0, False),
    # The store at scale (--database): issue 11's bars at 1,000,000 messages.
    "digest_7d_seconds": (0.5, False),
    "digest_30d_seconds": (1.0, False),
    "digest_7d_rss_mb": (100.0, False),
    "digest_30d_rss_mb": (100.0, False),
    "discover_seconds": (5.0, False),
    "backfill_resume_ms": (10.0, False),
    "bytes_per_message": (1200.0, False),
    # A flood through the real bot (--flood): issue 14's bars.
    "flood_peak_rss_mb": (500.0, False),
    "flood_ack_p99_ms": (300.0, False),
}


def verdicts(figures: dict) -> dict[str, str]:
    result = {}
    for name, (bar, higher_is_better) in BARS.items():
        if name in figures:
            ok = figures[name] >= bar if higher_is_better else figures[name] <= bar
            result[name] = f"{'ok' if ok else 'MISSED'} (bar {'>=' if higher_is_better else '<='} {bar:g})"
    return result


@click.command("bench")
@click.option(
    "--messages",
    default=None,
    type=int,
    help="Messages ingested for the throughput figure [3000]; with --database, messages in the store built [1000000].",
)
@click.option(
    "--database",
    "database_url",
    default=None,
    help="Measure the store at scale on this database (a SQLite path or postgresql://...; use an empty one).",
)
@click.option("--digest-messages", default=10_000, show_default=True, help="Stored messages for the digest figure.")
@click.option(
    "--burst",
    default=0,
    show_default=True,
    help="Also send this many MESSAGE_CREATE events to the real bot through a local fake Discord.",
)
@click.option(
    "--flood",
    default=0,
    show_default=True,
    help="Only flood the real bot with this many messages from --authors members at once (alone: no other figure).",
)
@click.option("--authors", default=5000, show_default=True, help="Members posting in the --flood.")
@json_option
@run_async
async def bench_command(
    messages: int | None,
    database_url: str | None,
    digest_messages: int,
    burst: int,
    flood: int,
    authors: int,
    as_json: bool,
) -> None:
    """Ingest throughput, digest time over a large store, flagging cost and peak memory.

    With --database: digests, discovery, backfill resume, ingest and size on a store of --messages.
    """
    settings = get_settings()
    if flood:
        # Alone, so its peak memory is its own.
        from bot.tooling.benchmarks.flood import run_flood_benchmark

        report = (await run_flood_benchmark(settings, count=flood, authors=authors)).figures()
        _show({f"flood_{name}": value for name, value in report.items()}, as_json)
        return
    if database_url:
        from bot.tooling.benchmarks.scale import run_scale_benchmark

        figures = await run_scale_benchmark(settings, database_url, messages or 1_000_000)
    else:
        figures = await run_engine_benchmarks(settings, messages=messages or 3000, digest_messages=digest_messages)
    if burst:
        from bot.tooling.benchmarks.burst import run_burst_benchmark

        report = (await run_burst_benchmark(settings, count=burst)).figures()
        figures.update({f"burst_{name}": value for name, value in report.items()})
    _show(figures, as_json)


def _show(figures: dict, as_json: bool) -> None:
    bars = verdicts(figures)
    if as_json:
        emit_json({"figures": figures, "bars": bars})
        return
    for name, value in figures.items():
        click.echo(f"{name:>26}: {value}  {bars.get(name, '')}".rstrip())
