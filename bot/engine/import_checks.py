"""Checks an import's ids against the store before anything is written.

Message and channel ids are global in Discord. An export whose ids already belong to another server
(a copied file, a forged one, a CSV that numbers its channels from 1) would otherwise be skipped
silently, or worse, share a channel with that server, so that deleting it in one server deletes the
other's messages. Such an import is refused whole, naming the file, the record and the field.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.importers import ExportFormatError, ParsedExport
from bot.store import Store


async def check_ids_against_other_guilds(store: Store, exports: Sequence[ParsedExport]) -> None:
    message_owner: dict[int, tuple[int, str]] = {}  # id -> (guild, where), across this import's files
    channel_owner: dict[int, tuple[int, str]] = {}
    for export in exports:
        for message in export.messages:
            for owners, key, field in (
                (message_owner, message.id, "id"),
                (channel_owner, message.channel_id, "channel"),
            ):
                guild, where = owners.setdefault(key, (message.guild_id, str(export.path)))
                if guild != message.guild_id:
                    raise ExportFormatError(
                        f"{export.path}: message {message.id}: field '{field}': {key} belongs to server {guild}"
                        f" in {where}, not to server {message.guild_id}; nothing imported"
                    )
    stored_messages = await store.messages.guilds_of(list(message_owner))
    stored_channels = await store.messages.channel_guilds(list(channel_owner))
    for owners, stored, field in ((message_owner, stored_messages, "id"), (channel_owner, stored_channels, "channel")):
        for key, (guild, where) in owners.items():
            if key in stored and stored[key] != guild:
                raise ExportFormatError(
                    f"{where}: {'message' if field == 'id' else 'channel'} {key}: field '{field}': already stored"
                    f" for server {stored[key]}, not server {guild}; nothing imported"
                )
