"""REST routes under /api/v10, with Discord's auth, error bodies and rate-limit answers."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .errors import ApiError, invalid_form, not_found, unauthorized
from .messages import build_message, require_message, validate_message
from .records import RequestRecord, UploadedFile
from .state import Guild

if TYPE_CHECKING:
    from .interactions import InteractionRecord
    from .server import FakeDiscord, Fault

_log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
# The parsed body, handed from the middleware to the handlers.
_BODY: Any = web.RequestKey("fakediscord_body", object) if hasattr(web, "RequestKey") else "fakediscord_body"
_FILES: Any = web.RequestKey("fakediscord_files", list) if hasattr(web, "RequestKey") else "fakediscord_files"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": with aiohttp's json_response ("; charset=utf-8") discord.py
    # treats the body as text.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def no_content() -> web.Response:
    return web.Response(status=204)


def build_app(fake: FakeDiscord) -> web.Application:
    app = web.Application(middlewares=[_api_middleware(fake)], client_max_size=64 * 1024 * 1024)
    api = RestApi(fake)
    app.router.add_get("/gateway", fake.gateway.handle)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", api.get_attachment)
    for method, path, handler in api.routes():
        app.router.add_route(method, API_PREFIX + path, handler)
    return app


def _needs_auth(path: str) -> bool:
    # Interaction callbacks and webhook calls authenticate with the token in the URL.
    return not path.startswith(("/webhooks/", "/interactions/"))


def _api_middleware(fake: FakeDiscord) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        path = request.path[len(API_PREFIX) :]
        record = RequestRecord(request.method, path, dict(request.query), None)
        try:
            payload, files = await _read_body(request)
            record.body = payload
            request[_BODY], request[_FILES] = payload, files
            response = await _answer(fake, request, handler, path)
        except ApiError as exc:
            response = json_response(exc.body(), exc.status)
        except web.HTTPException as exc:  # no such route or method
            response = json_response({"message": f"{exc.status}: {exc.reason}", "code": 0}, exc.status)
        except Exception:  # a bug in the fake: say so loudly, but answer 400 so the client does not retry
            fake.errors.append(f"{request.method} {path}\n{traceback.format_exc()}")
            _log.exception("fake discord failed on %s %s", request.method, path)
            response = json_response({"message": "fake discord internal error", "code": 0}, 400)
        record.status = response.status
        fake.requests.append(record)
        return response

    return middleware


async def _answer(fake: FakeDiscord, request: web.Request, handler: Handler, path: str) -> web.StreamResponse:
    fault = fake.take_fault(request.method, path)
    if fault is not None:
        return _fault_response(fault)
    if _needs_auth(path) and not fake.token_ok(request.headers.get("Authorization")):
        raise unauthorized()
    return await handler(request)


def _fault_response(fault: Fault) -> web.Response:
    if fault.status != 429:
        return json_response({"message": f"{fault.status}: Server Error", "code": 0}, fault.status)
    body = {"message": "You are being rate limited.", "retry_after": fault.retry_after, "global": fault.is_global}
    response = json_response(body, 429)
    # discord.py treats a 429 without Via (or with a non-JSON body) as a Cloudflare ban and raises.
    response.headers["Via"] = "1.1 google"
    response.headers["Retry-After"] = str(max(1, round(fault.retry_after)))
    if fault.is_global:
        response.headers["X-RateLimit-Global"] = "true"
    return response


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON, or multipart with ``payload_json`` and ``files[N]`` parts as discord.py sends them."""
    if not request.content_type.startswith("multipart/"):
        raw = await request.read()
        return (json.loads(raw) if raw else None), []
    payload: Any = {}
    files: list[UploadedFile] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise web.HTTPBadRequest(text="nested multipart bodies are not supported")
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        else:
            data = bytes(await part.read(decode=True))
            filename = part.filename or part.name or ""
            files.append(UploadedFile(part.name or "", filename, data, part.headers.get("Content-Type")))
    return payload, files


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.state = fake.state

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/users/@me", self.get_me),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/applications/{app_id}/commands", self.get_commands),
            ("PUT", "/applications/{app_id}/commands", self.put_commands),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self.get_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self.put_commands),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("DELETE", "/channels/{channel_id}", self.delete_channel),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("POST", "/channels/{channel_id}/threads", self.create_thread),
            ("GET", "/channels/{channel_id}/threads/archived/public", self.archived_threads),
            ("GET", "/channels/{channel_id}/messages", self.get_messages),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.create_thread_from_message),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user}", self.add_reaction),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user}", self.remove_reaction),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_roles),
            ("GET", "/guilds/{guild_id}/members", self.list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback),
            ("POST", "/webhooks/{app_id}/{token}", self.webhook_create),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self.webhook_get),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self.webhook_edit),
            ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", self.webhook_delete),
        ]

    # -- lookups ----------------------------------------------------------------------------------

    def _channel(self, request: web.Request) -> dict[str, Any]:
        channel = self.state.channels.get(request.match_info["channel_id"])
        if channel is None:
            raise not_found("Channel")
        return channel

    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guilds.get(request.match_info["guild_id"])
        if guild is None:
            raise not_found("Guild")
        return guild

    def _message(self, request: web.Request) -> dict[str, Any]:
        channel = self._channel(request)
        return require_message(self.state, channel["id"], request.match_info["message_id"])

    # -- users, application, gateway --------------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        me = {**self.state.bot_user, "verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"}
        return json_response(me)

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.state.users.get(request.match_info["user_id"])
        if user is None:
            raise not_found("User")
        return json_response(user)

    async def create_dm(self, request: web.Request) -> web.Response:
        recipient = str((request[_BODY] or {}).get("recipient_id"))
        if recipient not in self.state.users:
            raise invalid_form("recipient_id", "Unknown user")
        return json_response(self.state.dm_channel(recipient))

    async def get_application(self, request: web.Request) -> web.Response:
        state = self.state
        return json_response(
            {
                "id": state.application_id,
                "name": state.bot_user["username"],
                "icon": None,
                "description": "Fake Discord application",
                "summary": "",
                "type": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": state.owner_user,
                "team": None,
                "flags": self.fake.application_flags(),
                "bot": state.bot_user,
                "interactions_endpoint_url": None,  # discord.py refuses to run a gateway bot otherwise
                "redirect_uris": [],
                "rpc_origins": [],
                "approximate_guild_count": len(state.guilds),
            }
        )

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.fake.gateway_url, "shards": 1, "session_start_limit": limit})

    # -- application commands ---------------------------------------------------------------------

    def _command_scope(self, request: web.Request) -> str | None:
        if request.match_info["app_id"] != self.state.application_id:
            raise ApiError(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        if guild_id is not None and guild_id not in self.state.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return guild_id

    async def get_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        return json_response(list(self.state.commands.get(scope, {}).values()))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        return json_response(self.state.set_commands(scope, request[_BODY] or []))

    # -- channels and messages --------------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(self._channel(request))

    async def delete_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return json_response(await self.fake.delete_channel(channel["id"]))

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    async def get_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        query = request.query
        page = self.state.history(
            channel["id"],
            limit=int(query.get("limit", 50)),
            before=query.get("before"),
            after=query.get("after"),
            around=query.get("around"),
        )
        return json_response([self.fake.rest_view(m) for m in page])

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(self.fake.rest_view(self._message(request)))

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        payload, files = request[_BODY] or {}, request[_FILES]
        validate_message(payload, files)
        message = build_message(
            self.state, channel["id"], self.state.bot_user, payload, files=files, base_url=self.fake.base_url
        )
        self.fake.publish_new_message(message)
        self.fake.record_sent("channel.create", payload, files, message)
        return json_response(self.fake.rest_view(message))

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        payload, files = request[_BODY] or {}, request[_FILES]
        # Moderators may only toggle flags (suppress embeds) on other people's messages.
        if message["author"]["id"] != self.state.bot_user["id"] and set(payload) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        validate_message(payload, files, editing=True)
        self.fake.edit_stored_message(message, payload, files)
        self.fake.record_sent("channel.edit", payload, files, message)
        return json_response(self.fake.rest_view(message))

    async def delete_message(self, request: web.Request) -> web.Response:
        self.fake.delete_stored_message(self._message(request))
        return no_content()

    async def bulk_delete(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        ids = [str(i) for i in (request[_BODY] or {}).get("messages", [])]
        if not 2 <= len(ids) <= 100:
            raise invalid_form("messages", "Must be between 2 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        self.fake.bulk_delete_stored(channel["id"], ids)
        return no_content()

    async def add_reaction(self, request: web.Request) -> web.Response:
        return self._react(request, "add")

    async def remove_reaction(self, request: web.Request) -> web.Response:
        return self._react(request, "remove")

    def _react(self, request: web.Request, action: str) -> web.Response:
        message = self._message(request)
        user = request.match_info["user"]
        self.fake.reactions.append(
            {
                "channel_id": message["channel_id"],
                "message_id": message["id"],
                "emoji": request.match_info["emoji"],
                "user_id": self.state.bot_user["id"] if user == "@me" else user,
                "action": action,
            }
        )
        return no_content()

    # -- threads ----------------------------------------------------------------------------------

    async def create_thread_from_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message["id"] in self.state.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        # Discord gives a thread started from a message that message's id.
        thread = self._new_thread(request, thread_id=message["id"])
        message["thread"] = thread
        message["flags"] |= 1 << 5  # HAS_THREAD
        return json_response(thread)

    async def archived_threads(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = max(1, min(100, int(request.query.get("limit", 50))))
        threads, has_more = self.state.archived_threads(channel["id"], request.query.get("before"), limit)
        return json_response({"threads": threads, "members": [], "has_more": has_more})

    async def create_thread(self, request: web.Request) -> web.Response:
        return json_response(self._new_thread(request))

    def _new_thread(self, request: web.Request, thread_id: str | None = None) -> dict[str, Any]:
        channel = self._channel(request)
        body = request[_BODY] or {}
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise invalid_form("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        if channel["type"] != 0:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return self.fake.add_thread(
            channel["id"],
            name,
            thread_id=thread_id,
            auto_archive_duration=body.get("auto_archive_duration") or 1440,
            rate_limit_per_user=body.get("rate_limit_per_user") or 0,
        )

    # -- guilds and members -----------------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response({**self.fake.guild_object(guild), "approximate_member_count": len(guild.members)})

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        channels = [self.state.channels[c] for c in guild.channel_ids]
        return json_response([c for c in channels if c["type"] not in (10, 11, 12)])

    async def get_roles(self, request: web.Request) -> web.Response:
        return json_response(list(self._guild(request).roles.values()))

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 1))
        members = sorted(guild.members.values(), key=lambda m: int(m["user"]["id"]))
        return json_response([m for m in members if int(m["user"]["id"]) > after][:limit])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = guild.members.get(request.match_info["user_id"])
        if member is None:
            raise not_found("Member")
        return json_response(member)

    async def edit_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        user_id = request.match_info["user_id"]
        member = guild.members.get(user_id)
        if member is None:
            raise not_found("Member")
        if user_id == guild.owner_id:
            raise ApiError(403, 50013, "Missing Permissions")
        body = request[_BODY] or {}
        for key in ("communication_disabled_until", "nick", "roles", "mute", "deaf"):
            if key in body:
                member[key] = body[key]
        self.fake.gateway.dispatch("GUILD_MEMBER_UPDATE", self.fake.member_update_event(guild, user_id))
        return json_response(member)

    # -- interactions and their webhooks ----------------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> web.Response:
        info = request.match_info
        record = self.fake.interactions.record_for(info["interaction_id"], info["token"])
        answer = self.fake.interactions.callback(record, request[_BODY] or {}, request[_FILES])
        if request.query.get("with_response", "").lower() in ("1", "true"):
            return json_response(answer)
        return no_content()

    def _webhook_record(self, request: web.Request) -> InteractionRecord:
        return self.fake.interactions.record_for_token(request.match_info["app_id"], request.match_info["token"])

    async def webhook_create(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        message = self.fake.interactions.followup(record, request[_BODY] or {}, request[_FILES])
        if request.query.get("wait", "").lower() in ("1", "true"):
            return json_response(self.fake.rest_view(message))
        return no_content()

    async def webhook_get(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        message = self.fake.interactions.webhook_message(record, request.match_info["message_id"])
        return json_response(self.fake.rest_view(message))

    async def webhook_edit(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        message_id = request.match_info["message_id"]
        message = self.fake.interactions.edit(record, message_id, request[_BODY] or {}, request[_FILES])
        return json_response(self.fake.rest_view(message))

    async def webhook_delete(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        self.fake.interactions.delete(record, request.match_info["message_id"])
        return no_content()

    # -- attachments (outside /api, like Discord's CDN) -------------------------------------------

    async def get_attachment(self, request: web.Request) -> web.Response:
        data = self.state.attachments.get(request.match_info["attachment_id"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")
