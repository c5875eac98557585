"""`clio invite`: the invite link asks for exactly the permissions the README lists."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import discord
from click.testing import CliRunner

from bot.cli import main

README = Path(__file__).resolve().parents[3] / "README.md"


def _readme_permissions() -> int:
    text = " ".join(README.read_text(encoding="utf-8").split())
    sentence = re.search(r"and the permissions (.+?)\.", text)
    assert sentence, "the README's 'Running the bot' lists the invite permissions"
    names = re.split(r",\s*|\s+and\s+", sentence.group(1))
    permissions = discord.Permissions.none()
    for name in names:
        flag = name.strip().lower().replace(" ", "_")
        flag = flag if hasattr(permissions, flag) else flag.removesuffix("s")  # "View Channels"
        setattr(permissions, flag, True)
    return permissions.value


def test_the_invite_link_asks_for_the_readmes_permissions_and_the_commands_scope():
    token = base64.b64encode(b"123456789012345678").decode().rstrip("=") + ".x.y"
    result = CliRunner().invoke(main, ["invite"], env={"DISCORD_TOKEN": token})
    assert result.exit_code == 0, result.output
    query = parse_qs(urlparse(result.output.strip()).query)
    assert query["client_id"] == ["123456789012345678"]
    assert query["scope"] == ["bot applications.commands"]
    assert int(query["permissions"][0]) == _readme_permissions()


def test_without_a_token_or_an_id_it_says_where_to_find_one():
    result = CliRunner().invoke(main, ["invite"], env={"DISCORD_TOKEN": ""})
    assert result.exit_code == 1 and "--client-id" in result.output
    assert len(result.output.strip().splitlines()) == 1
