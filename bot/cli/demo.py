"""``clio demo``: every engine feature on the bundled sample server export."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from bot.cli.common import check_setup, emit_json, json_option, run_async
from bot.core.config import get_settings
from bot.engine.digest import digest_to_json, render_markdown
from bot.engine.wiring import open_engine
from bot.tooling.demo import DemoReport, run_demo


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _print_report(report: DemoReport) -> None:
    echo = click.echo
    echo(click.style(f"Clio demo: {report.guild_name}", bold=True))
    echo(
        f"Imported {report.messages} messages from {report.channels} channels by {report.authors} authors"
        f" ({report.skipped_bots} bot messages skipped) in {report.seconds['import_and_tag']:.1f} s."
    )
    echo(f"{report.tagged_messages} messages carry a catalogued argument.\n")
    echo(click.style("Most argued", bold=True))
    for slug, count, authors in report.top_arguments[:10]:
        echo(f"  {_plural(count, 'message'):>12}, {_plural(authors, 'author'):>10}  {slug}")
    echo(click.style("\nDiscovered recurring arguments (candidates for moderators)", bold=True))
    for candidate in report.candidates:
        evidence = candidate.argument.evidence
        echo(
            f"  [{evidence.get('messages')} messages, {evidence.get('authors')} authors, {evidence.get('days')} days]"
            f" {candidate.argument.claim}"
        )
    if not report.candidates:
        echo("  none")
    echo(click.style("\nFlagged for moderators", bold=True))
    for flag in report.flags:
        echo(f"  {flag['flagger']:>6} {flag['score']:.2f}  {flag['reason']}  — {flag['quote']}")
    if not report.flags:
        echo("  none")
    echo(click.style("\nDigest", bold=True))
    echo(render_markdown(report.digest) if report.digest is not None else "  none")
    timings = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report.seconds.items())
    echo(f"\nTimings: {timings}")


def _json(report: DemoReport) -> dict:
    return {
        "guild": {"id": report.guild_id, "name": report.guild_name},
        "messages": report.messages,
        "skipped_bots": report.skipped_bots,
        "tagged_messages": report.tagged_messages,
        "top_arguments": [{"argument": s, "messages": n, "authors": a} for s, n, a in report.top_arguments],
        "candidates": [{"claim": c.argument.claim, **c.argument.evidence} for c in report.candidates],
        "flags": report.flags,
        "digest": digest_to_json(report.digest) if report.digest is not None else None,
        "seconds": report.seconds,
    }


@click.command("demo")
@json_option
@run_async
async def demo_command(as_json: bool) -> None:
    """Run Clio on the bundled sample export (a temporary database unless CLIO_DATABASE is set)."""
    settings = get_settings()
    with tempfile.TemporaryDirectory(prefix="clio-demo-") as folder:
        if "database" not in settings.model_fields_set:
            settings = settings.model_copy(update={"database": str(Path(folder) / "demo.sqlite3")})
        check_setup(settings, templates=True)
        async with open_engine(settings) as engine:
            report = await run_demo(engine)
    if as_json:
        emit_json(_json(report))
    else:
        _print_report(report)
