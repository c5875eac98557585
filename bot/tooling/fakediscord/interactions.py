"""Interactions: building the INTERACTION_CREATE payloads and taking the bot's answers.

An answer arrives as an interaction callback, a follow-up (webhook POST) or an edit of
@original; all of them land on the :class:`InteractionRecord` the test holds.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import ApiError, invalid_form, not_found
from .messages import build_message, validate_message
from .records import Log, UploadedFile
from .state import (
    EPHEMERAL_FLAG,
    EVERYONE_PERMISSIONS,
    LOADING_FLAG,
    MESSAGE_CHAT_INPUT,
    MESSAGE_CONTEXT_MENU,
    MESSAGE_DEFAULT,
    Guild,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
# Callback types
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

_SNOWFLAKE_OPTION_TYPES = {6, 7, 8, 9, 11}
_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
CHANNEL_SELECT = 8  # a component type


class InteractionRecord:
    """One interaction the fake sent, and everything the bot answered to it.

    ``callback`` is the body the bot POSTed to ``/callback`` (``{"type": 4, "data": {...}}``),
    ``original`` the @original message (after type 4, 5 or 7), ``followups`` the follow-up messages.
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.id: str = payload["id"]
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.guild_id: str | None = payload.get("guild_id")
        self.channel_id: str = payload["channel"]["id"]
        self.user_id: str = (payload.get("member") or payload)["user"]["id"]
        self.callback: dict[str, Any] | None = None
        self.original: dict[str, Any] | None = None
        self.followups: list[dict[str, Any]] = []
        # ("callback", body) | ("followup", message) | ("edit", message) | ("delete", message)
        self.events: Log[tuple[str, Any]] = Log(f"answer to interaction {self.id}")

    @property
    def response_type(self) -> int | None:
        return self.callback["type"] if self.callback else None

    async def response(self, timeout: float = 5.0) -> dict[str, Any]:
        """The callback body, once the bot has acknowledged the interaction."""
        await self.events.wait_for(lambda e: e[0] == "callback", timeout=timeout)
        assert self.callback is not None
        return self.callback

    async def wait_original(self, timeout: float = 5.0) -> dict[str, Any]:
        """The @original message once it has the bot's content: right after a type 4 or 7 callback,
        or after the first edit (or follow-up) that ends a type 5/6 defer."""

        def has_content(event: tuple[str, Any]) -> bool:
            kind, body = event
            return kind == "edit" or (kind == "callback" and body["type"] in (CHANNEL_MESSAGE, UPDATE_MESSAGE))

        await self.events.wait_for(has_content, timeout=timeout)
        assert self.original is not None, "the @original message was deleted"
        return self.original

    async def wait_followup(self, index: int = 0, timeout: float = 5.0) -> dict[str, Any]:
        await self.events.wait_for(lambda _e: len(self.followups) > index, timeout=timeout)
        return self.followups[index]

    async def wait_modal(self, timeout: float = 5.0) -> dict[str, Any]:
        """The modal the bot opened (callback type 9 data: custom_id, title, components)."""
        body = await self.response(timeout)
        if body["type"] != MODAL:
            raise AssertionError(f"expected a modal (type 9), the bot answered type {body['type']}")
        return body["data"]

    def __repr__(self) -> str:
        return f"<InteractionRecord id={self.id} type={self.type} answered={self.response_type}>"


class Interactions:
    """Makes interactions for the fake and takes the bot's answers to them."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.state = fake.state
        self.records: dict[str, InteractionRecord] = {}

    # -- building payloads ------------------------------------------------------------------------

    def slash_data(
        self, guild_id: str | None, name: str, options: Any, *, focused: str | None = None
    ) -> dict[str, Any]:
        """``name`` may hold a subcommand path ("digest run-now"); ``options`` is either Discord's
        raw option list or a ``{name: value}`` dict typed from the synced command's schema."""
        root, *path = name.split()
        command = self.state.find_command(guild_id, root, 1)
        schema = command.get("options") or []
        chain = []
        for part in path:
            sub = next((o for o in schema if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                raise LookupError(f"{root!r} has no subcommand {part!r}")
            chain.append(sub)
            schema = sub.get("options") or []
        leaf = _typed_options(schema, options) if isinstance(options, dict) else copy.deepcopy(list(options or []))
        if focused is not None:
            for option in leaf:
                if option["name"] == focused:
                    option["focused"] = True
        for sub in reversed(chain):
            leaf = [{"type": sub["type"], "name": sub["name"], "options": leaf}]
        data: dict[str, Any] = {"id": command["id"], "name": root, "type": 1, "options": leaf}
        resolved = self._resolve_options(guild_id, leaf)
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            # discord.py looks guild commands up by data.guild_id; without it only global ones match.
            data["guild_id"] = command["guild_id"]
        return data

    def context_menu_data(self, guild_id: str | None, name: str, type_: int, target: dict[str, Any]) -> dict[str, Any]:
        command = self.state.find_command(guild_id, name, type_)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": type_, "target_id": target["id"]}
        if type_ == 3:
            data["resolved"] = {"messages": {target["id"]: copy.deepcopy(target)}}
        else:
            data["resolved"] = self._resolve_user(guild_id, target["id"])
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    def component_data(self, message: dict[str, Any], custom_id: str, values: list[str] | None) -> dict[str, Any]:
        component = _find_component(message.get("components") or [], custom_id)
        if component is None:
            raise LookupError(f"message {message['id']} has no component with custom_id {custom_id!r}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = list(values or [])
        if component["type"] == CHANNEL_SELECT:
            guild = self.state.guild_of(message["channel_id"])
            data["resolved"] = {
                "channels": {v: self._resolved_channel(guild.id if guild else None, v) for v in data["values"]}
            }
        return data

    def new(
        self,
        type_: int,
        channel_id: str,
        user_id: str,
        data: dict[str, Any],
        *,
        message: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        state = self.state
        channel = state.channels[channel_id]
        guild = state.guild_of(channel_id)
        interaction_id = state.snowflakes.new()
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": state.application_id,
            "type": type_,
            "token": f"fake-interaction-token.{interaction_id}",
            "version": 1,
            "attachment_size_limit": _ATTACHMENT_SIZE_LIMIT,
            "locale": "en-US",
            "entitlements": [],
            "channel_id": channel_id,
            "data": data,
        }
        if guild is not None:
            if user_id not in guild.members:
                raise LookupError(f"user {user_id} is not a member of guild {guild.id}")
            permissions = str(guild.permissions_of(user_id))
            payload.update(
                guild_id=guild.id,
                guild={"id": guild.id, "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=guild.member_with_permissions(user_id),
                app_permissions=str(guild.permissions_of(state.bot_user["id"])),
                channel={**channel, "permissions": permissions},
                authorizing_integration_owners={"0": guild.id},
                context=0,
            )
        else:
            payload.update(
                user=state.users[user_id],
                app_permissions=str(EVERYONE_PERMISSIONS),
                channel=dict(channel),
                authorizing_integration_owners={"1": user_id},
                context=1,
            )
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        record = InteractionRecord(payload)
        self.records[interaction_id] = record
        return record

    def modal_submit_data(self, modal: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        known = set(_custom_ids(modal["components"]))
        unknown = set(values) - known
        if unknown:
            raise LookupError(f"modal {modal['custom_id']!r} has no inputs {sorted(unknown)}; it has {sorted(known)}")
        return {"custom_id": modal["custom_id"], "components": _modal_answers(modal["components"], values)}

    def last_modal(self, custom_id: str) -> InteractionRecord:
        for record in reversed(list(self.records.values())):
            callback = record.callback or {}
            if callback.get("type") == MODAL and callback["data"].get("custom_id") == custom_id:
                return record
        raise LookupError(f"the bot never opened a modal with custom_id {custom_id!r}")

    def _resolve_options(self, guild_id: str | None, options: list[dict[str, Any]]) -> dict[str, Any]:
        resolved: dict[str, dict[str, Any]] = {}
        for option in _leaf_options(options):
            if option["type"] not in _SNOWFLAKE_OPTION_TYPES:
                continue
            value = str(option["value"])
            if option["type"] in (6, 9) and value in self.state.users:
                for key, items in self._resolve_user(guild_id, value).items():
                    resolved.setdefault(key, {}).update(items)
            elif option["type"] == 7 and value in self.state.channels:
                resolved.setdefault("channels", {})[value] = self._resolved_channel(guild_id, value)
            elif option["type"] in (8, 9) and guild_id and value in self.state.guild(guild_id).roles:
                resolved.setdefault("roles", {})[value] = self.state.guild(guild_id).roles[value]
        return resolved

    def _resolve_user(self, guild_id: str | None, user_id: str) -> dict[str, Any]:
        resolved: dict[str, Any] = {"users": {user_id: self.state.users[user_id]}}
        guild = self.state.guilds.get(guild_id or "")
        if guild is not None and user_id in guild.members:
            member = guild.member_with_permissions(user_id)
            member.pop("user")
            resolved["members"] = {user_id: member}
        return resolved

    def _resolved_channel(self, guild_id: str | None, channel_id: str) -> dict[str, Any]:
        guild: Guild | None = self.state.guilds.get(guild_id or "")
        permissions = guild.permissions_of(self.state.bot_user["id"]) if guild else 0
        return {**self.state.channels[channel_id], "permissions": str(permissions)}

    # -- the bot's answers ------------------------------------------------------------------------

    def record_for(self, interaction_id: str, token: str) -> InteractionRecord:
        record = self.records.get(interaction_id)
        if record is None or record.token != token:
            raise not_found("Interaction")
        return record

    def record_for_token(self, application_id: str, token: str) -> InteractionRecord:
        record = next((r for r in self.records.values() if r.token == token), None)
        if record is None or application_id != self.state.application_id:
            raise not_found("Webhook")
        return record

    def callback(
        self, record: InteractionRecord, body: dict[str, Any], files: Sequence[UploadedFile]
    ) -> dict[str, Any]:
        """Apply a callback; returns the ``?with_response=1`` answer."""
        if record.callback is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        kind = body.get("type")
        data = body.get("data") or {}
        message: dict[str, Any] | None = None
        if kind == CHANNEL_MESSAGE:
            validate_message(data, files)
            message = self._post(record, data, files, self._response_message_type(record))
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING_FLAG | (int(data.get("flags") or 0) & EPHEMERAL_FLAG)
            message = self._post(record, {"flags": flags}, (), self._response_message_type(record), validate=False)
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            message = self._source_message(record)
            if kind == UPDATE_MESSAGE:
                validate_message(data, files, editing=True)
                self.fake.edit_stored_message(message, data, files)
        elif kind not in (AUTOCOMPLETE_RESULT, MODAL):
            raise invalid_form("type", f"Unsupported callback type {kind!r}")
        record.callback = body
        record.original = message
        if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            self.fake.record_sent("interaction.callback", data, files, message, record.id)
        record.events.append(("callback", body))
        return self._callback_answer(record, kind, message)

    def _callback_answer(self, record: InteractionRecord, kind: int, message: dict[str, Any] | None) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "interaction": {
                "id": record.id,
                "type": record.type,
                "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(message and message["flags"] & EPHEMERAL_FLAG),
            },
            "resource": {"type": kind},
        }
        if message is not None:
            answer["interaction"]["response_message_id"] = message["id"]
            if kind != DEFERRED_UPDATE:
                answer["resource"]["message"] = self.fake.rest_view(message)
        return answer

    def followup(
        self, record: InteractionRecord, payload: dict[str, Any], files: Sequence[UploadedFile]
    ) -> dict[str, Any]:
        if record.callback is None:
            raise not_found("Webhook")  # Discord rejects follow-ups before the interaction is acknowledged
        validate_message(payload, files)
        original = record.original
        if record.response_type == DEFERRED_CHANNEL_MESSAGE and original and original["flags"] & LOADING_FLAG:
            # The first follow-up after a "thinking" defer replaces the loading message.
            message = self.fake.edit_stored_message(original, payload, files)
            record.events.append(("edit", message))
        else:
            message = self._post(record, payload, files, MESSAGE_DEFAULT)
        record.followups.append(message)
        self.fake.record_sent("webhook.create", payload, files, message, record.id)
        record.events.append(("followup", message))
        return message

    def webhook_message(self, record: InteractionRecord, message_id: str) -> dict[str, Any]:
        if message_id == "@original":
            message = record.original
        else:
            message = next((m for m in record.followups if m["id"] == message_id), None)
        if message is None:
            raise not_found("Message")
        return message

    def edit(
        self, record: InteractionRecord, message_id: str, payload: dict[str, Any], files: Sequence[UploadedFile]
    ) -> dict[str, Any]:
        message = self.webhook_message(record, message_id)
        validate_message(payload, files, editing=True)
        self.fake.edit_stored_message(message, payload, files)
        self.fake.record_sent("webhook.edit", payload, files, message, record.id)
        record.events.append(("edit", message))
        return message

    def delete(self, record: InteractionRecord, message_id: str) -> None:
        message = self.webhook_message(record, message_id)
        self.fake.delete_stored_message(message)
        if message is record.original:
            record.original = None
        record.events.append(("delete", message))

    def _post(
        self,
        record: InteractionRecord,
        payload: dict[str, Any],
        files: Sequence[UploadedFile],
        message_type: int,
        *,
        validate: bool = True,
    ) -> dict[str, Any]:
        if validate:
            validate_message(payload, files)
        message = build_message(
            self.state,
            record.channel_id,
            self.state.bot_user,
            payload,
            files=files,
            message_type=message_type,
            base_url=self.fake.base_url,
        )
        message["webhook_id"] = self.state.application_id
        message["application_id"] = self.state.application_id
        message["interaction_metadata"] = {
            "id": record.id,
            "type": record.type,
            "user": self.state.users[record.user_id],
            "authorizing_integration_owners": record.payload["authorizing_integration_owners"],
        }
        self.fake.publish_new_message(message)
        return message

    def _source_message(self, record: InteractionRecord) -> dict[str, Any]:
        source = record.payload.get("message")
        if source is None:
            raise invalid_form("type", "Only component interactions can update their message")
        message = self.state.find_message(source["id"])
        if message is None:
            raise not_found("Message")
        return message

    @staticmethod
    def _response_message_type(record: InteractionRecord) -> int:
        if record.type != APPLICATION_COMMAND:
            return MESSAGE_DEFAULT
        return MESSAGE_CHAT_INPUT if record.payload["data"].get("type", 1) == 1 else MESSAGE_CONTEXT_MENU


def _typed_options(schema: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {option["name"]: option for option in schema}
    options = []
    for name, value in values.items():
        if name not in by_name:
            raise LookupError(f"no option {name!r}; the command has {sorted(by_name)}")
        option_type = by_name[name]["type"]
        if option_type in _SNOWFLAKE_OPTION_TYPES:
            value = str(value)  # snowflakes travel as strings
        options.append({"name": name, "type": option_type, "value": value})
    return options


def _leaf_options(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    leaves = []
    for option in options:
        if option["type"] in (1, 2):
            leaves.extend(_leaf_options(option.get("options") or []))
        else:
            leaves.append(option)
    return leaves


def _children(component: dict[str, Any]) -> list[dict[str, Any]]:
    """Nested components: action rows and containers (components), sections (accessory), labels (component)."""
    children = list(component.get("components") or [])
    for key in ("accessory", "component"):
        if component.get(key):
            children.append(component[key])
    return children


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        found = _find_component(_children(component), custom_id)
        if found is not None:
            return found
    return None


def _custom_ids(components: list[dict[str, Any]]) -> list[str]:
    ids = []
    for component in components:
        if component.get("custom_id"):
            ids.append(component["custom_id"])
        ids.extend(_custom_ids(_children(component)))
    return ids


def _modal_answers(components: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, Any]]:
    """The submitted components, shaped like the modal the bot sent (rows or labels around inputs)."""
    answers = []
    for component in components:
        if component["type"] == 1:
            answers.append({"type": 1, "components": _modal_answers(component["components"], values)})
        elif component["type"] == 18:
            answers.append({"type": 18, "component": _modal_answers([component["component"]], values)[0]})
        elif component.get("custom_id"):
            custom_id = component["custom_id"]
            answer: dict[str, Any] = {"type": component["type"], "custom_id": custom_id}
            if component["type"] == 4:  # text input
                answer["value"] = str(values.get(custom_id, component.get("value") or ""))
            else:
                answer["values"] = list(values.get(custom_id, []))
            answers.append(answer)
    return answers
