"""What a command prints is its result: INFO log lines stay off unless asked for, except for the bot's own
log (`clio run`); and the sandbox prints what Clio posted without cutting its links."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from bot.tooling.sandbox import describe_post

# A command that logs progress at INFO and prints a result, registered as `noisy` and in place of `run`.
NOISY = """
import logging, click
from bot.cli import main

@click.command()
def noisy():
    logging.getLogger("clio.test").info("progress line")
    click.echo("result")

main.add_command(noisy, "noisy")
main.add_command(noisy, "run")
main()
"""


def _clio(command: str, **env: str) -> subprocess.CompletedProcess:
    # A real process: in-process runs share pytest's logging handlers, which would hide the configuration.
    environment = {k: v for k, v in os.environ.items() if k != "CLIO_LOG_LEVEL"} | env
    return subprocess.run(
        [sys.executable, "-c", NOISY, command], capture_output=True, text=True, env=environment, timeout=120
    )


@pytest.mark.parametrize(
    ("command", "level", "logged"),
    [("noisy", None, False), ("noisy", "INFO", True), ("run", None, True), ("run", "WARNING", False)],
)
def test_info_lines_show_only_for_the_bot_or_when_asked(command, level, logged):
    result = _clio(command, **({"CLIO_LOG_LEVEL": level} if level else {}))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "result\n"
    assert ("INFO clio.test: progress line" in result.stderr) is logged, result.stderr


def test_the_sandbox_printout_keeps_every_link_whole():
    link = "https://discord.com/channels/1576936513927643136/1576936513931837440/1574407290319011840"
    quote = "> “" + "the pact bought time, " * 30 + f"said nobody” — Kasia.W, [2026-11-23 12:52]({link})"
    sent = SimpleNamespace(
        channel_id="5",
        message={},
        content="",
        embeds=[{"title": "Digest", "description": quote, "fields": [{"name": "Stalin", "value": quote}]}],
        files=[],
    )
    fake: Any = SimpleNamespace(state=SimpleNamespace(channels={"5": {"name": "digests"}}))
    printed = describe_post(fake, sent)
    assert printed.count(f"[2026-11-23 12:52]({link})") == 2, printed
