"""A fake Discord (REST + gateway on loopback) that the real discord.py client can talk to.

Used by the end-to-end tests, ``clio sandbox`` and ``clio bench --burst`` to run the bot without a token.
It needs only aiohttp and imports nothing else of Clio's: it speaks the wire protocol that discord.py
speaks, and never imports discord.py.
"""

from .errors import ApiError
from .interactions import InteractionRecord
from .records import GatewayFrame, Log, RequestRecord, SentMessage, UploadedFile
from .server import FakeDiscord
from .state import MANAGE_MESSAGES, VIEW_CHANNEL, Guild, overwrite, snowflake_time

__all__ = [
    "MANAGE_MESSAGES",
    "VIEW_CHANNEL",
    "ApiError",
    "FakeDiscord",
    "GatewayFrame",
    "Guild",
    "InteractionRecord",
    "Log",
    "RequestRecord",
    "SentMessage",
    "UploadedFile",
    "overwrite",
    "snowflake_time",
]
