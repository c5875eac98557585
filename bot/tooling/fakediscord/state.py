"""In-memory Discord world: snowflakes, users, guilds, channels, messages, application commands.

Objects are kept as the JSON-shaped dicts Discord sends (snowflakes as strings), so the REST and
gateway layers hand them out without conversion. Nothing here does I/O or dispatches events.
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits, https://discord.com/developers/docs/topics/permissions
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
MODERATOR_PERMISSIONS = MANAGE_MESSAGES
# What an invite with sensible scopes would grant the bot's managed role.
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_THREADS | MODERATE_MEMBERS

TEXT_CHANNEL, DM_CHANNEL, PUBLIC_THREAD, FORUM_CHANNEL = 0, 1, 11, 15
MESSAGE_DEFAULT, MESSAGE_REPLY, MESSAGE_CHAT_INPUT, MESSAGE_CONTEXT_MENU = 0, 19, 20, 23
EPHEMERAL_FLAG, LOADING_FLAG = 1 << 6, 1 << 7

_USER_MENTION = re.compile(r"<@!?(\d+)>")

Timestamp = datetime | float | int | None


def to_datetime(when: Timestamp = None) -> datetime:
    """None means now; numbers are Unix seconds; naive datetimes are taken as UTC."""
    if when is None:
        return datetime.now(UTC)
    if isinstance(when, datetime):
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.fromtimestamp(when, UTC)


def iso(when: Timestamp = None) -> str:
    return to_datetime(when).isoformat()


def snowflake_time(snowflake: str | int) -> datetime:
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, UTC)


class Snowflakes:
    """Time-based ids. Ids made "now" always increase; ids for an explicit past time encode that time
    (so history seeded in the past sorts and paginates like the real thing) and are still unique."""

    def __init__(self) -> None:
        self._highest = 0
        self._used: set[int] = set()

    def new(self, at: Timestamp = None) -> str:
        if at is None:
            value = max(self._from_ms(time.time() * 1000), self._highest + 1)
        else:
            value = self._from_ms(to_datetime(at).timestamp() * 1000)
            while value in self._used:  # the low 22 bits are a per-millisecond counter
                value += 1
        self._used.add(value)
        self._highest = max(self._highest, value)
        return str(value)

    @staticmethod
    def _from_ms(ms: float) -> int:
        return (int(ms) - DISCORD_EPOCH_MS) << 22


def make_user(user_id: str, username: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": username,
        "global_name": None if bot else username.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def overwrite(target_id: str, *, role: bool = True, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    """A channel permission overwrite for a role (or a member), as in a channel's ``permission_overwrites``.

    The fake sends them to the client, which computes channel permissions from them; the fake's own REST
    checks stay guild-level.
    """
    return {"id": str(target_id), "type": 0 if role else 1, "allow": str(allow), "deny": str(deny)}


def make_role(role_id: str, name: str, permissions: int, position: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
        **extra,
    }


@dataclass
class Guild:
    id: str
    name: str
    owner_id: str
    joined_at: str
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # by user id
    channel_ids: list[str] = field(default_factory=list)  # channels and threads, in creation order
    moderator_role_id: str = ""
    bot_role_id: str = ""

    def permissions_of(self, user_id: str) -> int:
        """Guild-level permissions; channel overwrites are not modelled."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        role_ids = [self.id] + (member["roles"] if member else [])
        value = 0
        for role_id in role_ids:
            if role_id in self.roles:
                value |= int(self.roles[role_id]["permissions"])
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def member_with_permissions(self, user_id: str) -> dict[str, Any]:
        member = copy.deepcopy(self.members[user_id])
        member["permissions"] = str(self.permissions_of(user_id))
        return member


class State:
    """All objects of the fake, indexed the way the routes look them up."""

    def __init__(self, bot_name: str = "Clio") -> None:
        self.snowflakes = Snowflakes()
        self.application_id = self.snowflakes.new()
        # Discord gives a bot user the application's id.
        self.bot_user = make_user(self.application_id, bot_name, bot=True)
        self.owner_user = make_user(self.snowflakes.new(), "app-owner")
        self.users: dict[str, dict[str, Any]] = {self.bot_user["id"]: self.bot_user}
        self.guilds: dict[str, Guild] = {}
        self.channels: dict[str, dict[str, Any]] = {}  # guild channels, threads and DMs
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}  # channel id -> message id -> message
        self.ephemeral: dict[str, dict[str, Any]] = {}  # message id -> message, never in history
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.attachments: dict[str, bytes] = {}  # attachment id -> bytes
        self.commands: dict[str | None, dict[tuple[str, int], dict[str, Any]]] = {}  # guild id or None

    # -- users, guilds, members -------------------------------------------------------------------

    def new_user(self, username: str, *, bot: bool = False, user_id: str | None = None) -> dict[str, Any]:
        user = make_user(user_id or self.snowflakes.new(), username, bot=bot)
        self.users[user["id"]] = user
        return user

    def add_guild(self, name: str, owner_id: str | None = None) -> Guild:
        guild_id = self.snowflakes.new()
        owner = self.users[owner_id] if owner_id else self.new_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = Guild(id=guild_id, name=name, owner_id=owner["id"], joined_at=iso())
        guild.roles[guild_id] = make_role(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0)
        guild.moderator_role_id = self.snowflakes.new()
        guild.roles[guild.moderator_role_id] = make_role(guild.moderator_role_id, "Moderator", MODERATOR_PERMISSIONS, 1)
        guild.bot_role_id = self.snowflakes.new()
        guild.roles[guild.bot_role_id] = make_role(
            guild.bot_role_id,
            self.bot_user["username"],
            BOT_PERMISSIONS,
            2,
            managed=True,
            tags={"bot_id": self.bot_user["id"]},
        )
        self.guilds[guild_id] = guild
        self.add_member(guild_id, owner["id"])
        self.add_member(guild_id, self.bot_user["id"], roles=[guild.bot_role_id])
        return guild

    def add_member(self, guild_id: str, user_id: str, *, roles: list[str] | None = None) -> dict[str, Any]:
        member = {
            "user": self.users[user_id],
            "roles": list(roles or []),
            "nick": None,
            "avatar": None,
            "flags": 0,
            "joined_at": iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "communication_disabled_until": None,
        }
        self.guild(guild_id).members[user_id] = member
        return member

    def guild(self, guild_id: str | int) -> Guild:
        return self.guilds[str(guild_id)]

    def guild_of(self, channel_id: str) -> Guild | None:
        guild_id = self.channels[channel_id].get("guild_id")
        return self.guilds.get(guild_id) if guild_id else None

    # -- channels ---------------------------------------------------------------------------------

    def add_channel(
        self, guild_id: str, name: str, overwrites: list[dict[str, Any]] | None = None, kind: int = TEXT_CHANNEL
    ) -> dict[str, Any]:
        """A text (or forum) channel; ``overwrites`` as Discord sends them (see :func:`overwrite`)."""
        guild = self.guild(guild_id)
        channel = {
            "id": self.snowflakes.new(),
            "type": kind,
            "guild_id": guild.id,
            "name": name,
            "position": sum(1 for c in guild.channel_ids if self.channels[c]["type"] == TEXT_CHANNEL),
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "permission_overwrites": list(overwrites or []),
            "flags": 0,
        }
        if kind == FORUM_CHANNEL:
            channel.update(
                available_tags=[], default_reaction_emoji=None, default_sort_order=None, default_forum_layout=0
            )
        return self._register_channel(guild, channel)

    def archived_threads(self, parent_id: str, before: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """A parent's archived threads, newest archived first, archived before ``before`` (ISO time)."""
        archived = [
            c
            for c in self.channels.values()
            if c.get("parent_id") == parent_id and c["type"] == PUBLIC_THREAD and c["thread_metadata"]["archived"]
        ]
        archived.sort(key=lambda c: c["thread_metadata"]["archive_timestamp"], reverse=True)
        if before:
            cutoff = to_datetime(datetime.fromisoformat(before))
            archived = [
                c for c in archived if datetime.fromisoformat(c["thread_metadata"]["archive_timestamp"]) < cutoff
            ]
        return archived[:limit], len(archived) > limit

    def add_thread(self, parent_id: str, name: str, owner_id: str, thread_id: str | None = None) -> dict[str, Any]:
        parent = self.channels[parent_id]
        guild = self.guild(parent["guild_id"])
        thread = {
            "id": thread_id or self.snowflakes.new(),
            "type": PUBLIC_THREAD,
            "guild_id": guild.id,
            "parent_id": parent_id,
            "owner_id": owner_id,
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso(),
                "locked": False,
                "create_timestamp": iso(),
            },
        }
        return self._register_channel(guild, thread)

    def _register_channel(self, guild: Guild, channel: dict[str, Any]) -> dict[str, Any]:
        self.channels[channel["id"]] = channel
        self.messages[channel["id"]] = {}
        guild.channel_ids.append(channel["id"])
        return channel

    def dm_channel(self, user_id: str) -> dict[str, Any]:
        if user_id not in self.dm_channels:
            channel = {
                "id": self.snowflakes.new(),
                "type": DM_CHANNEL,
                "last_message_id": None,
                "recipients": [self.users[user_id]],
                "flags": 0,
            }
            self.channels[channel["id"]] = channel
            self.messages[channel["id"]] = {}
            self.dm_channels[user_id] = channel["id"]
        return self.channels[self.dm_channels[user_id]]

    def remove_channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.channels.pop(channel_id)
        self.messages.pop(channel_id, None)
        guild = self.guilds.get(channel.get("guild_id") or "")
        if guild is not None:
            guild.channel_ids.remove(channel_id)
        return channel

    # -- messages ---------------------------------------------------------------------------------

    def find_message(self, message_id: str) -> dict[str, Any] | None:
        """A message in any channel, ephemeral ones included."""
        if message_id in self.ephemeral:
            return self.ephemeral[message_id]
        for messages in self.messages.values():
            if message_id in messages:
                return messages[message_id]
        return None

    def store_message(self, message: dict[str, Any]) -> None:
        if message["flags"] & EPHEMERAL_FLAG:
            self.ephemeral[message["id"]] = message
            return
        self.messages[message["channel_id"]][message["id"]] = message
        channel = self.channels[message["channel_id"]]
        channel["last_message_id"] = max(channel["last_message_id"] or "0", message["id"], key=int)
        if channel["type"] == PUBLIC_THREAD:
            channel["message_count"] += 1
            channel["total_message_sent"] += 1

    def history(
        self,
        channel_id: str,
        *,
        limit: int = 50,
        before: str | None = None,
        after: str | None = None,
        around: str | None = None,
    ) -> list[dict[str, Any]]:
        """Discord's GET /channels/{id}/messages: always newest first.

        With ``after`` Discord returns the ``limit`` messages right after it, still newest first;
        discord.py's ``history(after=...)`` relies on that (it reverses the page and takes page[0]
        as the next ``after``).
        """
        ordered = sorted(self.messages[channel_id].values(), key=lambda m: int(m["id"]))
        limit = max(1, min(limit, 100))
        if around is not None:
            older_count = sum(1 for m in ordered if int(m["id"]) < int(around))
            start = max(0, older_count - limit // 2)
            page = ordered[start : start + limit]
        elif after is not None:
            page = [m for m in ordered if int(m["id"]) > int(after)][:limit]
        elif before is not None:
            page = [m for m in ordered if int(m["id"]) < int(before)][-limit:]
        else:
            page = ordered[-limit:]
        return list(reversed(page))

    def mentions_in(self, content: str, allowed_mentions: dict[str, Any] | None) -> list[dict[str, Any]]:
        """Users a message mentions. Like Discord, allowed_mentions filters the list, so a bot post
        with ``{"parse": []}`` mentions nobody."""
        found = [self.users[uid] for uid in dict.fromkeys(_USER_MENTION.findall(content)) if uid in self.users]
        if allowed_mentions is None:
            return found
        allowed_ids = {str(u) for u in allowed_mentions.get("users", [])}
        if "users" in allowed_mentions.get("parse", []):
            return found
        return [user for user in found if user["id"] in allowed_ids]

    # -- application commands ---------------------------------------------------------------------

    def set_commands(self, guild_id: str | None, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A bulk overwrite. Ids stay stable across re-syncs of the same command, as on Discord."""
        old = self.commands.get(guild_id, {})
        fresh: dict[tuple[str, int], dict[str, Any]] = {}
        for sent in commands:
            key = (sent["name"], sent.get("type", 1))
            command = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                **sent,
                "id": old[key]["id"] if key in old else self.snowflakes.new(),
                "application_id": self.application_id,
                "version": self.snowflakes.new(),
            }
            if guild_id is not None:
                command["guild_id"] = guild_id
            fresh[key] = command
        self.commands[guild_id] = fresh
        return list(fresh.values())

    def find_command(self, guild_id: str | None, name: str, type_: int) -> dict[str, Any]:
        for scope in (guild_id, None):
            command = self.commands.get(scope, {}).get((name, type_))
            if command is not None:
                return command
        synced = {scope: [k[0] for k in cmds] for scope, cmds in self.commands.items()}
        raise LookupError(f"command {name!r} (type {type_}) was never synced; synced: {synced}")
