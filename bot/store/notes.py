"""Context notes already posted (for the cooldown), and how often arguments come up (for what notes say)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.database import Database
from bot.store.sql import chunks


@dataclass(frozen=True)
class Usage:
    """Accepted tags of one argument: messages and distinct authors since a moment, and all time."""

    messages: int = 0
    authors: int = 0
    total: int = 0


def _marks(n: int) -> str:
    return ",".join("?" * n)


class NoteStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, guild_id: int, channel_id: int, argument_id: int, message_id: int, posted_at: float) -> bool:
        """Claim a message for a note before posting it; False when it already has one."""
        changed = await self.db.execute(
            "INSERT INTO context_notes(guild_id, channel_id, argument_id, message_id, posted_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(message_id) DO NOTHING",
            (guild_id, channel_id, argument_id, message_id, posted_at),
        )
        return changed == 1

    async def forget(self, guild_id: int, message_id: int) -> None:
        """Undo ``record`` when the note could not be posted, so the cooldown does not start."""
        await self.db.execute("DELETE FROM context_notes WHERE guild_id = ? AND message_id = ?", (guild_id, message_id))

    async def forget_messages(self, guild_id: int, message_ids: Sequence[int]) -> int:
        """Drop the notes posted on these messages (their author was forgotten)."""
        removed = 0
        for chunk in chunks(list(message_ids)):
            removed += await self.db.execute(
                f"DELETE FROM context_notes WHERE guild_id = ? AND message_id IN ({_marks(len(chunk))})",
                [guild_id, *chunk],
            )
        return removed

    async def last_posted(
        self, guild_id: int, channel_ids: Sequence[int], since: float
    ) -> dict[tuple[int, int], float]:
        """(channel id, argument id) -> time of the latest note there since ``since``."""
        if not channel_ids:
            return {}
        rows = await self.db.fetchall(
            "SELECT channel_id, argument_id, MAX(posted_at) FROM context_notes"
            f" WHERE guild_id = ? AND posted_at >= ? AND channel_id IN ({_marks(len(channel_ids))})"
            " GROUP BY channel_id, argument_id",
            [guild_id, since, *channel_ids],
        )
        return {(row[0], row[1]): row[2] for row in rows}

    async def noted(self, guild_id: int, message_ids: Sequence[int]) -> set[int]:
        if not message_ids:
            return set()
        rows = await self.db.fetchall(
            f"SELECT message_id FROM context_notes WHERE guild_id = ? AND message_id IN ({_marks(len(message_ids))})",
            [guild_id, *message_ids],
        )
        return {row[0] for row in rows}

    async def usage(self, guild_id: int, argument_ids: Sequence[int], since: float) -> dict[int, Usage]:
        """How often each argument came up: accepted tags (a moderator's "is not" does not count)."""
        if not argument_ids:
            return {}
        rows = await self.db.fetchall(
            "SELECT t.argument_id, SUM(CASE WHEN m.created_at >= ? THEN 1 ELSE 0 END),"
            " COUNT(DISTINCT CASE WHEN m.created_at >= ? THEN m.author_id END), COUNT(*)"
            " FROM tags t JOIN messages m ON m.id = t.message_id"
            f" WHERE t.guild_id = ? AND t.accepted = 1 AND t.argument_id IN ({_marks(len(argument_ids))})"
            " GROUP BY t.argument_id",
            [since, since, guild_id, *argument_ids],
        )
        found = {row[0]: Usage(row[1] or 0, row[2], row[3]) for row in rows}
        return {argument_id: found.get(argument_id, Usage()) for argument_id in argument_ids}
