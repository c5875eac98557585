"""``/help``, and the split of members' and moderators' commands it describes, end to end."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

EPHEMERAL = 1 << 6
# Everything a member may run. Anything else a member's Discord shows would be a moderator command.
MEMBER_COMMANDS = {
    "help",
    "summary",
    "arguments list",
    "arguments show",
    "forget-me",
    "Report to moderators",
    "Why this tag?",
}


def _leaves(command: dict, path: str = ""):
    name = f"{path} {command['name']}".strip()
    children = [o for o in command.get("options") or [] if o["type"] in (1, 2)]  # subcommands and groups
    if not children:
        yield name
    for child in children:
        yield from _leaves(child, name)


def _visible_to(clio, user: str) -> set[str]:
    """The commands Discord shows ``user``: those whose default permissions the member holds."""
    held = int(clio.fake.state.guilds[clio.guild_id].permissions_of(clio.users[user]))
    visible = set()
    for command in clio.fake.state.commands[None].values():
        needed = command.get("default_member_permissions")
        if needed is None or int(needed) & held == int(needed):
            visible.update(_leaves(command))
    return visible


async def test_a_members_synced_view_holds_no_moderator_command(clio):
    assert _visible_to(clio, "alice") == MEMBER_COMMANDS
    moderators = _visible_to(clio, "mod")
    assert moderators > MEMBER_COMMANDS
    assert {"clio config watch", "clio arguments add", "clio forget", "digest schedule", "case show"} <= moderators


async def test_help_lists_what_a_member_may_use(clio):
    record = await clio.slash("help", user="alice")
    answer = await record.wait_original()
    assert answer["flags"] & EPHEMERAL
    embed = answer["embeds"][0]
    assert "arguments that keep coming back" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert list(fields) == ["Everyone"]
    for command in ("/summary", "/arguments show", "/forget-me", "/help"):
        assert f"`{command}`" in fields["Everyone"]
    assert "Report to moderators" in fields["Everyone"]
    assert "clio" not in fields["Everyone"]


async def test_help_shows_moderators_their_commands_too(clio):
    answer = await (await clio.slash("help", user="mod")).wait_original()
    fields = {f["name"]: f["value"] for f in answer["embeds"][0]["fields"]}
    assert "`config watch`" in fields["/clio …"] and "`arguments add`" in fields["/clio …"]
    assert "`schedule`" in fields["/digest …"]
    assert "Tag argument" in fields["On a message, under Apps"]
    assert "/clio setup" in answer["embeds"][0]["footer"]["text"]
