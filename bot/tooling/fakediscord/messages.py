"""Building, editing and checking message objects the way Discord would."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from .errors import ApiError, invalid_form, not_found
from .records import UploadedFile
from .state import (
    EPHEMERAL_FLAG,
    LOADING_FLAG,
    MESSAGE_DEFAULT,
    MESSAGE_REPLY,
    State,
    Timestamp,
    iso,
    snowflake_time,
)

COMPONENTS_V2_FLAG = 1 << 15
# Discord's limits; a bot that breaks them gets a 400 in production, so it should here too.
_EMBED_LIMITS = {"title": 256, "description": 4096}
_EMBED_TOTAL = 6000


def build_message(
    state: State,
    channel_id: str,
    author: dict[str, Any],
    payload: dict[str, Any],
    *,
    files: Sequence[UploadedFile] = (),
    at: Timestamp = None,
    message_type: int | None = None,
    base_url: str = "",
) -> dict[str, Any]:
    message_id = state.snowflakes.new(at)
    content = str(payload.get("content") or "")
    message: dict[str, Any] = {
        "id": message_id,
        "channel_id": channel_id,
        "type": MESSAGE_DEFAULT,
        "content": content,
        "author": author,
        "timestamp": iso(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": bool(payload.get("tts", False)),
        "mention_everyone": False,
        "mentions": state.mentions_in(content, payload.get("allowed_mentions")),
        "mention_roles": [],
        "attachments": _new_attachments(state, channel_id, payload, files, base_url),
        "embeds": list(payload.get("embeds") or []),
        "components": list(payload.get("components") or []),
        "pinned": False,
        "flags": int(payload.get("flags") or 0),
        # Not part of Discord's message object: kept so tests can see what the bot asked for.
        "allowed_mentions": payload.get("allowed_mentions"),
    }
    if payload.get("nonce") is not None:
        message["nonce"] = payload["nonce"]
    reference = payload.get("message_reference")
    if reference:
        _attach_reference(state, message, reference)
    if message_type is not None:
        message["type"] = message_type
    return message


def _attach_reference(state: State, message: dict[str, Any], reference: dict[str, Any]) -> None:
    target_id = str(reference["message_id"])
    target = state.find_message(target_id)
    if target is None:
        if reference.get("fail_if_not_exists", True):
            raise invalid_form("message_reference", "Unknown message", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE")
        return
    channel = state.channels[target["channel_id"]]
    message["type"] = MESSAGE_REPLY
    message["message_reference"] = {
        "type": 0,
        "message_id": target_id,
        "channel_id": target["channel_id"],
        **({"guild_id": channel["guild_id"]} if channel.get("guild_id") else {}),
    }
    referenced = copy.deepcopy(target)
    referenced.pop("referenced_message", None)  # Discord nests only one level
    message["referenced_message"] = referenced


def _new_attachments(
    state: State, channel_id: str, payload: dict[str, Any], files: Sequence[UploadedFile], base_url: str
) -> list[dict[str, Any]]:
    # discord.py names parts files[N] and describes them in payload["attachments"] with id N.
    described = {str(a.get("id")): a for a in payload.get("attachments") or []}
    attachments = []
    for index, upload in enumerate(files):
        number = upload.field.removeprefix("files[").removesuffix("]") or str(index)
        attachment_id = state.snowflakes.new()
        state.attachments[attachment_id] = upload.data
        url = f"{base_url}/attachments/{channel_id}/{attachment_id}/{upload.filename}"
        attachment = {
            "id": attachment_id,
            "filename": upload.filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type or "application/octet-stream",
        }
        description = described.get(number, {}).get("description")
        if description:
            attachment["description"] = description
        attachments.append(attachment)
    return attachments


def apply_edit(
    state: State,
    message: dict[str, Any],
    payload: dict[str, Any],
    files: Sequence[UploadedFile] = (),
    *,
    base_url: str = "",
) -> dict[str, Any]:
    """PATCH semantics: only keys present change. An edit also ends a deferred "thinking" state."""
    for key, empty in (("content", ""), ("embeds", []), ("components", [])):
        if key in payload:
            message[key] = payload[key] if payload[key] is not None else empty
    if "allowed_mentions" in payload:
        message["allowed_mentions"] = payload["allowed_mentions"]
    if "content" in payload:
        message["mentions"] = state.mentions_in(message["content"], message.get("allowed_mentions"))
    if payload.get("flags") is not None:
        message["flags"] = int(payload["flags"]) | (message["flags"] & EPHEMERAL_FLAG)
    message["flags"] &= ~LOADING_FLAG
    if "attachments" in payload or files:
        kept_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
        kept = [a for a in message["attachments"] if a["id"] in kept_ids]
        message["attachments"] = kept + _new_attachments(state, message["channel_id"], payload, files, base_url)
    message["edited_timestamp"] = iso()
    return message


def validate_message(payload: dict[str, Any], files: Sequence[UploadedFile], *, editing: bool = False) -> None:
    content = payload.get("content") or ""
    if len(str(content)) > 2000:
        raise invalid_form("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        raise invalid_form("embeds", "Must be 10 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    for index, embed in enumerate(embeds):
        _validate_embed(index, embed)
    if sum(_embed_chars(e) for e in embeds) > _EMBED_TOTAL:
        raise invalid_form("embeds", "Embed size exceeds maximum size of 6000", "MAX_EMBED_SIZE_EXCEEDED")
    extras = ("components", "sticker_ids", "poll")
    if not editing and not (content or embeds or files or any(payload.get(key) for key in extras)):
        raise ApiError(400, 50006, "Cannot send an empty message")


def _validate_embed(index: int, embed: dict[str, Any]) -> None:
    for key, limit in _EMBED_LIMITS.items():
        if len(embed.get(key) or "") > limit:
            raise invalid_form(f"embeds.{index}.{key}", f"Must be {limit} or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        raise invalid_form(f"embeds.{index}.fields", "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    for number, embed_field in enumerate(fields):
        if len(embed_field.get("name") or "") > 256 or len(embed_field.get("value") or "") > 1024:
            raise invalid_form(f"embeds.{index}.fields.{number}", "Field too long.", "BASE_TYPE_MAX_LENGTH")


def _embed_chars(embed: dict[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    return total


def without_content(message: dict[str, Any]) -> dict[str, Any]:
    """What a bot without the message-content intent sees of someone else's message."""
    stripped = dict(message, content="", embeds=[], attachments=[], components=[])
    stripped.pop("poll", None)
    return stripped


def require_message(state: State, channel_id: str, message_id: str) -> dict[str, Any]:
    message = state.messages.get(channel_id, {}).get(message_id)
    if message is None:
        raise not_found("Message")
    return message
