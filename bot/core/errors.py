"""Errors whose message is meant for the person who ran a command.

The engine raises these; the bot's central app-command error handler shows their text ephemerally
and logs nothing louder than INFO, since they are the user's mistake, not the bot's.
"""

from __future__ import annotations


class UserError(Exception):
    """A request that cannot be done as asked; ``str(error)`` tells the user why."""


class UnknownArgument(UserError, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is no argument called `{name}` in this server. Try `/arguments list`.")
        self.name = name


class BadTime(UserError, ValueError):
    """A time or duration that cannot be understood."""


class ScheduleError(BadTime):
    """A schedule (time of day or cron expression) or timezone that cannot be understood."""


class ChannelNotUsable(UserError):
    """A channel the bot cannot see, or cannot post in."""
