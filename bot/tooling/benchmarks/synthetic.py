"""Deterministic Discord-like messages for benchmarks: chat lengths (median about 12 words), many authors."""

from __future__ import annotations

import random

from bot.core.records import IncomingMessage

_OPENERS = ["honestly", "tbh", "look,", "no,", "lol", "ok but", "imo", "idk,", "sure, but", "nah"]
_TOPICS = [
    "stalin played both sides in 1939 and waited to see who would win",
    "the west kept the ussr at arm's length all through the thirties",
    "the red army trained german officers at kazan and lipetsk",
    "munich showed moscow that london and paris would sell anyone out",
    "the secret protocol carved up poland and the baltics",
    "soviet oil and grain fed the german war machine until 1941",
    "the pact bought time but the ussr wasted it anyway",
    "the winter war made the red army look weak to hitler",
    "anyone read the new book on the roman economy",
    "napoleon was not even short by the standards of his time",
    "what are you all reading this weekend",
    "the franco-soviet treaty of 1935 never had any teeth",
    "poland would never let soviet troops cross its territory",
    "chamberlain sent a low level mission to moscow by slow boat",
]
_TAILS = [
    "",
    "",
    "",
    "and that's the point",
    "source: any decent history of the period",
    "change my mind",
    "read roberts on this",
    "it's not that simple",
    "which nobody here admits",
]


def discord_like_messages(
    count: int,
    guild_id: int = 1,
    channels: int = 2,
    authors: int = 40,
    start: float = 1_760_000_000.0,
    seed: int = 7,
    *,
    spacing: float = 30.0,
    first_id: int = 10**17,
    reply_share: float = 0.0,
) -> list[IncomingMessage]:
    """``count`` messages ``spacing`` seconds apart from ``start``; a ``reply_share`` of them reply to
    one of the 50 messages before."""
    rng = random.Random(seed)
    messages: list[IncomingMessage] = []
    for index in range(count):
        words = rng.choice(_TOPICS).split()
        # Trim or pad so lengths spread around a median of about 12 words, as in real chat.
        keep = max(3, min(len(words), int(rng.gauss(10, 4))))
        text = " ".join([rng.choice(_OPENERS), *words[:keep], rng.choice(_TAILS), f"#{index}"]).strip()
        author = rng.randrange(authors)
        replying = reply_share and messages and rng.random() < reply_share
        messages.append(
            IncomingMessage(
                id=first_id + index,
                guild_id=guild_id,
                channel_id=guild_id * 100 + rng.randrange(channels),
                author_id=1000 + author,
                created_at=start + index * spacing,
                reply_to_id=messages[rng.randrange(max(0, index - 50), index)].id if replying else None,
                content=text,
                author_name=f"member{author}",
                channel_name="debate",
                guild_name="bench",
            )
        )
    return messages
