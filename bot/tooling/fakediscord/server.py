"""FakeDiscord: the public face of the fake, used by tests and by ``clio sandbox``.

It owns the state, runs the aiohttp server (REST under ``/api/v10``, the gateway at ``/gateway``)
and offers the calls a test makes to play the users' side: post a message, run a slash command,
click a button, drop the gateway connection, make the next request fail.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .gateway import GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT, Gateway
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    Interactions,
)
from .messages import apply_edit, build_message, require_message, without_content
from .records import GatewayFrame, Log, RequestRecord, SentMessage, UploadedFile
from .rest import build_app
from .state import EPHEMERAL_FLAG, FORUM_CHANNEL, Guild, State, Timestamp, iso

# Application flags Discord reports for a bot whose privileged intents are switched on.
_FLAG_PRESENCE, _FLAG_MEMBERS, _FLAG_MESSAGE_CONTENT = 1 << 12, 1 << 14, 1 << 18


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float
    remaining: int
    is_global: bool


class FakeDiscord:
    """A Discord API and gateway on loopback, holding one bot application.

    >>> async with FakeDiscord() as fake:
    ...     guild = fake.add_guild("History")
    ...     general = fake.add_channel(guild.id, "general")
    """

    def __init__(self, *, token: str = "test-token", bot_name: str = "Clio", host: str = "127.0.0.1") -> None:
        self.token = token
        self.host = host
        # The bot's privileged intents as toggled in the developer portal.
        self.allow_message_content = True
        self.allow_members_intent = True
        self.allow_presences_intent = True
        self.state = State(bot_name)
        self.gateway = Gateway(self)
        self.interactions = Interactions(self)
        self.sent: Log[SentMessage] = Log("message sent by the bot")
        self.requests: Log[RequestRecord] = Log("REST request")
        self.gateway_log: Log[GatewayFrame] = Log("gateway frame")
        self.reactions: list[dict[str, str]] = []  # {channel_id, message_id, emoji, user_id, action}
        self.errors: list[str] = []  # tracebacks of requests the fake itself failed to handle
        self._faults: list[Fault] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeDiscord:
        self._runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self.gateway.close()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}" if self._port else ""

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def bot_user(self) -> dict[str, Any]:
        return self.state.bot_user

    @property
    def application_id(self) -> str:
        return self.state.application_id

    # -- settings the other modules ask about -----------------------------------------------------

    def token_ok(self, value: str | None) -> bool:
        return value in (self.token, f"Bot {self.token}")

    def allowed_privileged_intents(self) -> int:
        return (
            (MESSAGE_CONTENT if self.allow_message_content else 0)
            | (GUILD_MEMBERS if self.allow_members_intent else 0)
            | (GUILD_PRESENCES if self.allow_presences_intent else 0)
        )

    def application_flags(self) -> int:
        return (
            (_FLAG_MESSAGE_CONTENT if self.allow_message_content else 0)
            | (_FLAG_MEMBERS if self.allow_members_intent else 0)
            | (_FLAG_PRESENCE if self.allow_presences_intent else 0)
        )

    # -- building the world (synchronous; connected clients get the matching events) -------------

    def new_snowflake(self, at: Timestamp = None) -> str:
        return self.state.snowflakes.new(at)

    def add_user(self, username: str, *, bot: bool = False) -> dict[str, Any]:
        return self.state.new_user(username, bot=bot)

    def add_guild(self, name: str, owner_id: str | None = None, channels: Sequence[str] = ()) -> Guild:
        """A guild the bot is in; connected clients see it join (with ``channels``, text channels it has)."""
        guild = self.state.add_guild(name, owner_id)
        for channel in channels:
            self.state.add_channel(guild.id, channel)
        for session in list(self.gateway.sessions.values()):
            if session.covers(guild.id):
                # A guild joined after READY comes without "unavailable": discord.py calls that a join.
                joined = self.gateway.guild_create_payload(guild, session)
                joined.pop("unavailable", None)
                session.dispatch("GUILD_CREATE", joined)
        return guild

    def add_channel(self, guild_id: str, name: str, overwrites: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        channel = self.state.add_channel(str(guild_id), name, overwrites)
        self.gateway.dispatch("CHANNEL_CREATE", channel)
        return channel

    def add_forum(self, guild_id: str, name: str) -> dict[str, Any]:
        """A forum channel: its posts are threads (``add_thread`` with the forum as parent)."""
        channel = self.state.add_channel(str(guild_id), name, kind=FORUM_CHANNEL)
        self.gateway.dispatch("CHANNEL_CREATE", channel)
        return channel

    async def remove_bot(self, guild_id: str) -> None:
        """The bot is kicked from a guild (or the guild deleted): GUILD_DELETE without ``unavailable``."""
        self.gateway.dispatch("GUILD_DELETE", {"id": str(guild_id)}, guild_id=str(guild_id))
        await self.gateway.flush()

    def archive_thread(self, thread_id: str) -> dict[str, Any]:
        """Archive a thread now, as Discord does after its auto-archive duration of silence."""
        thread = self.state.channels[str(thread_id)]
        thread["thread_metadata"].update(archived=True, archive_timestamp=iso())
        self.gateway.dispatch("THREAD_UPDATE", thread)
        return thread

    def add_thread(
        self,
        channel_id: str,
        name: str,
        owner_id: str | None = None,
        *,
        thread_id: str | None = None,
        auto_archive_duration: int = 1440,
        rate_limit_per_user: int = 0,
    ) -> dict[str, Any]:
        thread = self.state.add_thread(str(channel_id), name, owner_id or self.bot_user["id"], thread_id)
        thread["thread_metadata"]["auto_archive_duration"] = auto_archive_duration
        thread["rate_limit_per_user"] = rate_limit_per_user
        self.gateway.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    def add_member(self, guild_id: str, username: str, moderator: bool = False, bot: bool = False) -> dict[str, Any]:
        """A new user joining the guild; returns the member (``member["user"]["id"]`` is the user id)."""
        guild = self.state.guild(guild_id)
        user = self.state.new_user(username, bot=bot)
        member = self.state.add_member(guild.id, user["id"], roles=[guild.moderator_role_id] if moderator else [])
        self.gateway.dispatch("GUILD_MEMBER_ADD", {**member, "guild_id": guild.id})
        return member

    def open_dm(self, user_id: str) -> dict[str, Any]:
        return self.state.dm_channel(str(user_id))

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        """The channel's stored messages, oldest first."""
        return sorted(self.state.messages[str(channel_id)].values(), key=lambda m: int(m["id"]))

    def guild_object(self, guild: Guild) -> dict[str, Any]:
        """A guild as REST returns it (GUILD_CREATE adds channels, members and so on)."""
        return {
            "id": guild.id,
            "name": guild.name,
            "owner_id": guild.owner_id,
            "icon": None,
            "splash": None,
            "banner": None,
            "description": None,
            "roles": list(guild.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "vanity_url_code": None,
            "application_id": None,
            "max_members": 500000,
        }

    # -- the users' side --------------------------------------------------------------------------

    def seed_history(
        self, channel_id: str, author_id: str, content: str, timestamp: Timestamp, reply_to: str | None = None
    ) -> dict[str, Any]:
        """Store a message from the past without dispatching it (what backfill should find)."""
        message = self._user_message(str(channel_id), str(author_id), content, reply_to, timestamp)
        self.state.store_message(message)
        return message

    async def post_user_message(
        self,
        channel_id: str,
        author_id: str,
        content: str,
        reply_to: str | None = None,
        timestamp: Timestamp = None,
        *,
        embeds: Sequence[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        message = self._user_message(str(channel_id), str(author_id), content, reply_to, timestamp, embeds)
        self.publish_new_message(message)
        await self.gateway.flush()
        return message

    async def edit_user_message(self, channel_id: str, message_id: str, content: str) -> dict[str, Any]:
        message = require_message(self.state, str(channel_id), str(message_id))
        self.edit_stored_message(message, {"content": content})
        await self.gateway.flush()
        return message

    async def delete_user_message(self, channel_id: str, message_id: str) -> None:
        self.delete_stored_message(require_message(self.state, str(channel_id), str(message_id)))
        await self.gateway.flush()

    async def bulk_delete(self, channel_id: str, message_ids: Sequence[str]) -> None:
        self.bulk_delete_stored(str(channel_id), [str(m) for m in message_ids])
        await self.gateway.flush()

    async def delete_channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.state.remove_channel(str(channel_id))
        event = "THREAD_DELETE" if channel["type"] in (10, 11, 12) else "CHANNEL_DELETE"
        self.gateway.dispatch(event, channel)
        await self.gateway.flush()
        return channel

    def _user_message(
        self,
        channel_id: str,
        author_id: str,
        content: str,
        reply_to: str | None,
        at: Timestamp,
        embeds: Sequence[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        channel = self.state.channels[channel_id]
        guild = self.state.guild_of(channel_id)
        if guild is not None and author_id not in guild.members:
            raise LookupError(f"user {author_id} is not a member of guild {guild.id}")
        payload: dict[str, Any] = {"content": content, "embeds": list(embeds)}
        if reply_to is not None:
            payload["message_reference"] = {"message_id": str(reply_to), "channel_id": channel["id"]}
        message = build_message(self.state, channel_id, self.state.users[author_id], payload, at=at)
        message.pop("allowed_mentions")  # a user's client sends none; keep the key for bot posts only
        return message

    # -- interactions -----------------------------------------------------------------------------

    async def invoke_slash(
        self, guild_id: str | None, channel_id: str, user_id: str, name: str, options: Any = None
    ) -> InteractionRecord:
        """Run a synced slash command. ``name`` may include a subcommand path ("digest run-now");
        ``options`` is Discord's raw option list or a ``{name: value}`` dict."""
        data = self.interactions.slash_data(_str(guild_id), name, options)
        return await self._interact(APPLICATION_COMMAND, channel_id, user_id, data)

    async def autocomplete(
        self, guild_id: str | None, channel_id: str, user_id: str, name: str, options: Any, focused: str
    ) -> InteractionRecord:
        """Ask for choices while ``focused`` is typed; ``(await record.response())["data"]["choices"]``."""
        data = self.interactions.slash_data(_str(guild_id), name, options, focused=focused)
        return await self._interact(AUTOCOMPLETE, channel_id, user_id, data)

    async def invoke_message_command(
        self, name: str, target_message_id: str, user_id: str, *, channel_id: str | None = None
    ) -> InteractionRecord:
        target = self.state.find_message(str(target_message_id))
        if target is None:
            raise LookupError(f"no message {target_message_id}")
        channel_id = str(channel_id or target["channel_id"])
        guild = self.state.guild_of(channel_id)
        data = self.interactions.context_menu_data(guild.id if guild else None, name, 3, target)
        return await self._interact(APPLICATION_COMMAND, channel_id, user_id, data)

    async def invoke_user_command(
        self, name: str, target_user_id: str, user_id: str, *, channel_id: str
    ) -> InteractionRecord:
        guild = self.state.guild_of(str(channel_id))
        target = self.state.users[str(target_user_id)]
        data = self.interactions.context_menu_data(guild.id if guild else None, name, 2, target)
        return await self._interact(APPLICATION_COMMAND, channel_id, user_id, data)

    async def click_button(self, message_id: str, custom_id: str, user_id: str) -> InteractionRecord:
        return await self._component(message_id, custom_id, user_id, None)

    async def choose(self, message_id: str, custom_id: str, values: Sequence[str], user_id: str) -> InteractionRecord:
        """Pick ``values`` in a select menu."""
        return await self._component(message_id, custom_id, user_id, list(values))

    async def submit_modal(
        self, modal: InteractionRecord | str, values: dict[str, Any], user_id: str | None = None
    ) -> InteractionRecord:
        """Submit the modal the bot opened, given the interaction it answered with the modal (or the
        modal's custom_id). ``values`` maps each input's custom_id to its text (or list, for selects)."""
        source = modal if isinstance(modal, InteractionRecord) else self.interactions.last_modal(modal)
        shown = await source.wait_modal()
        data = self.interactions.modal_submit_data(shown, values)
        return await self._interact(
            MODAL_SUBMIT, source.channel_id, str(user_id or source.user_id), data, message=source.payload.get("message")
        )

    async def _component(
        self, message_id: str, custom_id: str, user_id: str, values: list[str] | None
    ) -> InteractionRecord:
        message = self.state.find_message(str(message_id))
        if message is None:
            raise LookupError(f"no message {message_id}")
        data = self.interactions.component_data(message, custom_id, values)
        return await self._interact(MESSAGE_COMPONENT, message["channel_id"], user_id, data, message=message)

    async def _interact(
        self,
        type_: int,
        channel_id: str,
        user_id: str,
        data: dict[str, Any],
        *,
        message: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        record = self.interactions.new(type_, str(channel_id), str(user_id), data, message=message)
        self.gateway.dispatch("INTERACTION_CREATE", record.payload, only_one=True)
        await self.gateway.flush()
        return record

    # -- gateway control and faults ---------------------------------------------------------------

    async def disconnect_gateway(self, code: int = 4000) -> None:
        """Drop the clients' connections. With a resumable code (4000) they RESUME and get the
        events dispatched in between; with 4004, 4014 and the like their session is gone."""
        await self.gateway.disconnect(code)

    @contextlib.asynccontextmanager
    async def gateway_outage(self, code: int = 4000) -> AsyncIterator[None]:
        """Drop the connections and hold every IDENTIFY/RESUME until the block ends, so what the
        block dispatches is certainly missed and must come back through the RESUME replay."""
        self.gateway.open.clear()
        try:
            await self.gateway.disconnect(code)
            yield
        finally:
            self.gateway.open.set()

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT, as Discord does before moving a session."""
        self.gateway.request_reconnect()
        await self.gateway.flush()

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int = 429,
        retry_after: float = 0.2,
        count: int = 1,
        *,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``count`` requests whose method and path (after ``/api/v10``, searched with
        ``re.search``) match with ``status``: 429 with a retry_after body, or 5xx."""
        self._faults.append(Fault(method.upper(), re.compile(path_regex), status, retry_after, count, is_global))

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.method in (method, "*") and fault.pattern.search(path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # -- waiting ----------------------------------------------------------------------------------

    async def wait_for_sent(
        self, predicate: Callable[[SentMessage], bool] | None = None, timeout: float = 10.0, *, since: int = 0
    ) -> SentMessage:
        """The first message the bot sent or edited that matches (ones already sent count)."""
        return await self.sent.wait_for(predicate, timeout=timeout, since=since)

    async def wait_for_event(
        self, name: str, predicate: Callable[[Any], bool] | None = None, timeout: float = 10.0, *, since: int = 0
    ) -> GatewayFrame:
        """The first dispatch called ``name`` (READY, RESUMED, MESSAGE_CREATE...) written to a client."""

        def matches(frame: GatewayFrame) -> bool:
            return frame.direction == "out" and frame.event == name and (predicate is None or predicate(frame.data))

        return await self.gateway_log.wait_for(matches, timeout=timeout, since=since)

    async def wait_for_op(self, op: int, timeout: float = 10.0, *, since: int = 0) -> GatewayFrame:
        """The first frame with opcode ``op`` a client sent (2 IDENTIFY, 6 RESUME, 8 member request)."""
        return await self.gateway_log.wait_for(
            lambda f: f.direction == "in" and f.op == op, timeout=timeout, since=since
        )

    async def wait_for_request(
        self, method: str, path_regex: str, timeout: float = 10.0, *, since: int = 0
    ) -> RequestRecord:
        pattern = re.compile(path_regex)
        return await self.requests.wait_for(
            lambda r: r.method == method.upper() and bool(pattern.search(r.path)), timeout=timeout, since=since
        )

    # -- shared by the REST and interaction layers ------------------------------------------------

    def publish_new_message(self, message: dict[str, Any]) -> None:
        self.state.store_message(message)
        if not message["flags"] & EPHEMERAL_FLAG:
            self.gateway.dispatch("MESSAGE_CREATE", self.gateway_view(message))

    def edit_stored_message(
        self, message: dict[str, Any], payload: dict[str, Any], files: Sequence[UploadedFile] = ()
    ) -> dict[str, Any]:
        apply_edit(self.state, message, payload, files, base_url=self.base_url)
        if not message["flags"] & EPHEMERAL_FLAG:
            self.gateway.dispatch("MESSAGE_UPDATE", self.gateway_view(message))
        return message

    def delete_stored_message(self, message: dict[str, Any]) -> None:
        if self.state.ephemeral.pop(message["id"], None) is not None:
            return
        self.state.messages[message["channel_id"]].pop(message["id"], None)
        self.gateway.dispatch("MESSAGE_DELETE", self._ids_event(message["channel_id"], id=message["id"]))

    def bulk_delete_stored(self, channel_id: str, message_ids: list[str]) -> None:
        for message_id in message_ids:
            self.state.messages[channel_id].pop(message_id, None)
        self.gateway.dispatch("MESSAGE_DELETE_BULK", self._ids_event(channel_id, ids=message_ids))

    def record_sent(
        self,
        route: str,
        payload: dict[str, Any],
        files: Sequence[UploadedFile],
        message: dict[str, Any] | None,
        interaction_id: str | None = None,
    ) -> None:
        channel_id = message["channel_id"] if message else None
        self.sent.append(SentMessage(route, channel_id, payload, list(files), copy.deepcopy(message), interaction_id))

    def gateway_view(self, message: dict[str, Any]) -> dict[str, Any]:
        """A stored message as MESSAGE_CREATE/UPDATE carry it: plus guild_id and the author's member."""
        event = copy.deepcopy(message)
        guild = self.state.guild_of(message["channel_id"])
        if guild is not None:
            event["guild_id"] = guild.id
            member = guild.members.get(message["author"]["id"])
            if member is not None and "webhook_id" not in message:
                event["member"] = {k: v for k, v in member.items() if k != "user"}
        return event

    def rest_view(self, message: dict[str, Any]) -> dict[str, Any]:
        """A stored message as REST returns it; without the message-content intent enabled in the
        portal, Discord blanks other people's messages here too."""
        view = copy.deepcopy(message)
        bot_id = self.bot_user["id"]
        mentioned = any(u["id"] == bot_id for u in message.get("mentions", []))
        in_guild = self.state.guild_of(message["channel_id"]) is not None
        if not self.allow_message_content and in_guild and message["author"]["id"] != bot_id and not mentioned:
            view = without_content(view)
        return view

    def _ids_event(self, channel_id: str, **ids: Any) -> dict[str, Any]:
        event = {**ids, "channel_id": channel_id}
        guild = self.state.guild_of(channel_id) if channel_id in self.state.channels else None
        if guild is not None:
            event["guild_id"] = guild.id
        return event

    def member_update_event(self, guild: Guild, user_id: str) -> dict[str, Any]:
        return {**guild.members[user_id], "guild_id": guild.id}


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
