"""The websocket gateway: HELLO, heartbeats, IDENTIFY/READY, RESUME and ordered dispatch.

Every frame to a client goes through that connection's outbox, drained by one writer task, so
frames leave in the order they were queued. Dispatch is synchronous (it only queues), which lets
plain helpers such as ``add_channel`` emit events and keeps READY, the GUILD_CREATEs and a
RESUME replay contiguous.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .messages import without_content
from .records import GatewayFrame
from .state import Guild

if TYPE_CHECKING:
    from .server import FakeDiscord

_log = logging.getLogger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME, OP_RECONNECT = 0, 1, 2, 6, 7
OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 8, 9, 10, 11

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
GUILD_MESSAGE_TYPING = 1 << 11
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15

# Discord only sends an event to a session that asked for the intent covering it.
_GUILD_EVENT_INTENTS = {
    **dict.fromkeys(
        [
            "GUILD_CREATE",
            "GUILD_UPDATE",
            "GUILD_DELETE",
            "CHANNEL_CREATE",
            "CHANNEL_UPDATE",
            "CHANNEL_DELETE",
            "THREAD_CREATE",
            "THREAD_UPDATE",
            "THREAD_DELETE",
        ],
        GUILDS,
    ),
    **dict.fromkeys(["GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"], GUILD_MEMBERS),
    **dict.fromkeys(["MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"], GUILD_MESSAGES),
    **dict.fromkeys(["MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"], GUILD_MESSAGE_REACTIONS),
    "TYPING_START": GUILD_MESSAGE_TYPING,
}
_DM_EVENT_INTENTS = dict.fromkeys(["MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"], DIRECT_MESSAGES)

# Close codes after which Discord forgets the session, so a RESUME gets INVALID_SESSION.
_SESSION_ENDING_CODES = {1000, 1001, 4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014}
_REPLAY_LIMIT = 10_000
_RESUME_WINDOW_S = 120.0  # a session left alone this long is forgotten, as Discord does


class Connection:
    """One websocket and the single task that writes to it."""

    def __init__(self, ws: web.WebSocketResponse, gateway: Gateway) -> None:
        self.ws = ws
        self.gateway = gateway
        self.session: Session | None = None
        self.closed_by_fake = False
        self._outbox: asyncio.Queue[dict[str, Any] | int | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="fakediscord-gateway-writer")

    def send(self, payload: dict[str, Any]) -> None:
        self._outbox.put_nowait(payload)

    def close_after_queued(self, code: int) -> None:
        """Close once everything queued so far is sent, the way Discord ends a connection."""
        self.closed_by_fake = True
        self._outbox.put_nowait(code)

    async def flush(self) -> None:
        await self._outbox.join()

    async def stop(self) -> None:
        self._outbox.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer

    async def _write_loop(self) -> None:
        while True:
            item = await self._outbox.get()
            try:
                if item is None:
                    return
                if isinstance(item, int):
                    await self.ws.close(code=item, message=b"closed by fake discord")
                elif not self.ws.closed:
                    await self.ws.send_str(json.dumps(item))
                    self.gateway.record("out", self, item)
            except (ConnectionError, RuntimeError) as exc:
                # The peer went away; the frames stay in the session log for a RESUME.
                _log.debug("gateway send failed: %r", exc)
            finally:
                self._outbox.task_done()


class Session:
    """A gateway session: survives its connection so that a RESUME can replay what was missed."""

    def __init__(self, intents: int, shard: list[int] | None) -> None:
        self.id = uuid.uuid4().hex
        self.intents = intents
        self.shard = shard
        self.seq = 0
        self.log: deque[dict[str, Any]] = deque(maxlen=_REPLAY_LIMIT)
        self.conn: Connection | None = None
        self.detached_at: float | None = None

    def detach(self) -> None:
        self.conn = None
        self.detached_at = time.monotonic()

    def expired(self) -> bool:
        return self.detached_at is not None and time.monotonic() - self.detached_at > _RESUME_WINDOW_S

    def covers(self, guild_id: str | None) -> bool:
        if not self.shard:
            return True
        shard_id, shard_count = self.shard
        # DMs go to shard 0, guilds by Discord's formula.
        return (int(guild_id) >> 22) % shard_count == shard_id if guild_id else shard_id == 0

    def dispatch(self, event: str, data: Any) -> None:
        self.seq += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
        self.log.append(payload)
        if self.conn is not None:
            self.conn.send(payload)


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.heartbeat_interval_ms = 41250
        # Cleared during an outage: IDENTIFY and RESUME wait, so a test controls what is missed.
        self.open = asyncio.Event()
        self.open.set()

    # -- aiohttp handler --------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        # A short close timeout: a client that vanished must not stall disconnect_gateway().
        ws = web.WebSocketResponse(max_msg_size=0, timeout=2.0)
        await ws.prepare(request)
        conn = Connection(ws, self)
        self.connections.add(conn)
        conn.send({"op": OP_HELLO, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                if payload.get("op") in (OP_IDENTIFY, OP_RESUME):
                    await self.open.wait()
                self._receive(conn, payload)
        finally:
            self._forget(conn)
            await conn.stop()
        return ws

    def _forget(self, conn: Connection) -> None:
        self.connections.discard(conn)
        session = conn.session
        if session is None or session.conn is not conn:
            return
        session.detach()
        # A client that closes with 1000/1001 is done with the session; any other drop keeps it for a
        # RESUME. Note discord.py's Client.close() ends up sending 4000, not 1000, so a closed bot's
        # session lingers here as it would on Discord, until it expires.
        if not conn.closed_by_fake and conn.ws.close_code in (1000, 1001):
            self.sessions.pop(session.id, None)

    def record(self, direction: str, conn: Connection, payload: dict[str, Any]) -> None:
        session_id = conn.session.id if conn.session else None
        self.fake.gateway_log.append(GatewayFrame(direction, session_id, payload))

    def _receive(self, conn: Connection, payload: dict[str, Any]) -> None:
        self.record("in", conn, payload)
        op, data = payload.get("op"), payload.get("d")
        if not isinstance(data, dict):
            data = {}  # a malformed frame: the handlers then refuse it as they would a bad field
        if op == OP_HEARTBEAT:
            conn.send({"op": OP_HEARTBEAT_ACK, "s": None, "t": None, "d": None})
        elif op == OP_IDENTIFY:
            self._identify(conn, data)
        elif op == OP_RESUME:
            self._resume(conn, data)
        elif op == OP_REQUEST_MEMBERS and conn.session is not None:
            self._send_member_chunks(conn.session, data)
        # Presence (3) and voice (4) updates need no answer.

    # -- session start ----------------------------------------------------------------------------

    def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if not self.fake.token_ok(data.get("token")):
            conn.close_after_queued(4004)
            return
        intents = int(data.get("intents", 0))
        if intents & ~self.fake.allowed_privileged_intents() & (GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT):
            conn.close_after_queued(4014)
            return
        for stale in [s for s in self.sessions.values() if s.expired()]:
            del self.sessions[stale.id]
        session = Session(intents, data.get("shard"))
        self.sessions[session.id] = session
        self._attach(conn, session)
        guilds = [g for g in self.fake.state.guilds.values() if session.covers(g.id)]
        session.dispatch("READY", self._ready_payload(session, guilds))
        for guild in guilds:
            session.dispatch("GUILD_CREATE", self.guild_create_payload(guild, session))

    def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        if not self.fake.token_ok(data.get("token")):
            conn.close_after_queued(4004)
            return
        session = self.sessions.get(data.get("session_id") or "")
        seq = data.get("seq") or 0
        if session is None or (session.log and session.log[0]["s"] > seq + 1):
            conn.send({"op": OP_INVALID_SESSION, "s": None, "t": None, "d": False})
            return
        self._attach(conn, session)
        for payload in session.log:
            if payload["s"] > seq:
                conn.send(payload)
        session.dispatch("RESUMED", {})

    def _attach(self, conn: Connection, session: Session) -> None:
        if conn.session is not None and conn.session is not session:
            conn.session.detach()  # a second IDENTIFY on one socket replaces its session
        old = session.conn
        if old is not None and old is not conn:
            old.session = None
            old.close_after_queued(4000)
        session.conn = conn
        session.detached_at = None
        conn.session = session

    def _ready_payload(self, session: Session, guilds: list[Guild]) -> dict[str, Any]:
        state = self.fake.state
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**state.bot_user, "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": g.id, "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.fake.gateway_url,
            "application": {"id": state.application_id, "flags": self.fake.application_flags()},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
        }
        if session.shard:
            ready["shard"] = session.shard
        return ready

    def guild_create_payload(self, guild: Guild, session: Session) -> dict[str, Any]:
        state = self.fake.state
        channels = [state.channels[c] for c in guild.channel_ids]
        members = list(guild.members.values())
        if not session.intents & GUILD_MEMBERS:
            # Without the members intent Discord sends only the bot's own member.
            members = [m for m in members if m["user"]["id"] == state.bot_user["id"]]
        return {
            **self.fake.guild_object(guild),
            "unavailable": False,
            "large": False,
            "joined_at": guild.joined_at,
            "member_count": len(guild.members),
            "channels": [c for c in channels if c["type"] != 11],
            # Discord sends only the active threads; archived ones are listed on request.
            "threads": [c for c in channels if c["type"] == 11 and not c["thread_metadata"]["archived"]],
            "members": members,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _send_member_chunks(self, session: Session, data: dict[str, Any]) -> None:
        state = self.fake.state
        guild_ids = data["guild_id"] if isinstance(data["guild_id"], list) else [data["guild_id"]]
        for guild_id in map(str, guild_ids):
            guild = state.guilds.get(guild_id)
            if guild is None:
                continue
            members = list(guild.members.values())
            if data.get("user_ids"):
                wanted = {str(u) for u in data["user_ids"]}
                members = [m for m in members if m["user"]["id"] in wanted]
            elif data.get("query"):
                members = [m for m in members if m["user"]["username"].lower().startswith(data["query"].lower())]
            if data.get("limit"):
                members = members[: data["limit"]]
            chunk = {"guild_id": guild_id, "members": members, "chunk_index": 0, "chunk_count": 1, "not_found": []}
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- dispatch ---------------------------------------------------------------------------------

    def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: str | None = None, only_one: bool = False
    ) -> None:
        """Queue an event for every session entitled to it, in call order."""
        guild_id = guild_id or data.get("guild_id")
        needed = (_GUILD_EVENT_INTENTS if guild_id else _DM_EVENT_INTENTS).get(event, 0)
        sessions = [s for s in self.sessions.values() if s.covers(guild_id) and (not needed or s.intents & needed)]
        if only_one and sessions:
            # Discord hands an interaction to a single session: the newest connected one here.
            connected = [s for s in sessions if s.conn is not None]
            sessions = [(connected or sessions)[-1]]
        for session in sessions:
            session.dispatch(event, self._as_seen_by(session, event, data, guild_id))

    def _as_seen_by(self, session: Session, event: str, data: dict[str, Any], guild_id: str | None) -> dict[str, Any]:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT or not guild_id:
            return data
        bot_id = self.fake.state.bot_user["id"]
        if data["author"]["id"] == bot_id or any(u["id"] == bot_id for u in data.get("mentions", [])):
            return data
        return without_content(data)

    async def flush(self) -> None:
        """Wait until every queued frame has been handed to the sockets."""
        for conn in list(self.connections):
            await conn.flush()

    async def disconnect(self, code: int = 4000) -> None:
        """Drop every connection; events dispatched from now on wait in the session logs."""
        conns = list(self.connections)
        for conn in conns:
            session = conn.session
            if session is not None:
                session.detach()
                if code in _SESSION_ENDING_CODES:
                    self.sessions.pop(session.id, None)
            conn.session = None
            conn.close_after_queued(code)
        for conn in conns:
            await conn.flush()

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client closes and RESUMEs by itself."""
        for conn in list(self.connections):
            conn.send({"op": OP_RECONNECT, "s": None, "t": None, "d": None})

    async def close(self) -> None:
        self.open.set()
        await self.disconnect(1001)
        self.sessions.clear()
