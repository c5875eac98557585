"""What every importer shares: the error type, the result, and field parsers with precise messages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.records import IncomingMessage
from bot.core.times import iso_to_unix

MAX_ERRORS_SHOWN = 10
# Discord's limit on a message's text (with Nitro; 2,000 without): anything longer is not a real message.
MAX_CONTENT = 4000


class ExportFormatError(ValueError):
    """A malformed export. The message names the file, the record and the field."""


@dataclass
class ParsedExport:
    path: Path
    messages: list[IncomingMessage] = field(default_factory=list)
    skipped_bots: int = 0
    _first_seen: dict[int, str] = field(default_factory=dict, repr=False)  # message id -> its record

    def keep(self, message: IncomingMessage, record: str, errors: RecordErrors, id_field: str) -> None:
        """Add a parsed message, unless an earlier record had its id: an error, not an overwrite."""
        if message.id in self._first_seen:
            errors.add(record, id_field, f"the same id as {self._first_seen[message.id]}")
            return
        self._first_seen[message.id] = record
        self.messages.append(message)


class RecordErrors:
    """Collects field errors across a file so one run reports them all, then raises once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[str] = []

    def add(self, record: str, field_name: str, problem: str) -> None:
        self.errors.append(f"{record}: field '{field_name}': {problem}")

    def parse_fields(self, record: str, parsers: dict[str, Callable[[], Any]]) -> dict[str, Any] | None:
        """Each field's value from its parser, every failure recorded; None when any field failed."""
        values: dict[str, Any] = {}
        for name, parse in parsers.items():
            try:
                values[name] = parse()
            except ValueError as exc:
                self.add(record, name, str(exc))
        return values if len(values) == len(parsers) else None

    def raise_if_any(self) -> None:
        """One line naming the file, the first bad record and its field; further ones listed below it."""
        if not self.errors:
            return
        first, rest = self.errors[0], self.errors[1:]
        message = f"{self.path}: {first}; nothing imported"
        if rest:
            shown_rest = rest[: MAX_ERRORS_SHOWN - 1]
            more = len(rest) - len(shown_rest)
            message += f" ({len(rest)} more malformed record(s) below)\n  " + "\n  ".join(shown_rest)
            message += f"\n  ... and {more} more" if more > 0 else ""
        raise ExportFormatError(message)


def is_number(text: str) -> bool:
    """ASCII digits only: ``"¹".isdigit()`` is true, and int() refuses it."""
    return text.isascii() and text.isdigit()


def parse_snowflake(value: object) -> int:
    text = str(value).strip()
    if not is_number(text) or not 0 < int(text) < 2**63:
        raise ValueError(f"not a Discord snowflake: {shown(value)}")
    return int(text)


def parse_content(value: object) -> str:
    """A message's text: a string Discord could have sent, which every database can store."""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    if len(value) > MAX_CONTENT:
        raise ValueError(f"{len(value):,} characters; Discord allows at most {MAX_CONTENT:,}")
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"not valid Unicode (a lone surrogate at character {exc.start})") from None
    return value


def parse_name(value: object) -> str | None:
    """An optional display name: text or nothing."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return parse_content(value)


def shown(value: object, limit: int = 40) -> str:
    """A bad value quoted in an error, cut short: the error stays one line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_timestamp(value: object) -> float:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not an ISO 8601 time: {shown(value)}")
    try:
        return iso_to_unix(value)
    except (ValueError, OverflowError):
        raise ValueError(f"not an ISO 8601 time: {shown(value)}") from None


def stable_id(kind: str, name: str) -> int:
    """A repeatable 62-bit id for exports that name things instead of numbering them."""
    digest = hashlib.blake2b(f"{kind}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2 or 1


def id_or_stable(kind: str, value: str) -> int:
    """An id given as a number, or the stable id of a name. A number that is no snowflake is an error."""
    value = value.strip()
    return parse_snowflake(value) if is_number(value) else stable_id(kind, value)
