"""What every importer shares: the error type, the result, and field parsers with precise messages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.records import IncomingMessage
from bot.core.times import iso_to_unix

MAX_ERRORS_SHOWN = 10


class ExportFormatError(ValueError):
    """A malformed export. The message names the file, the record and the field."""


@dataclass
class ParsedExport:
    path: Path
    messages: list[IncomingMessage] = field(default_factory=list)
    skipped_bots: int = 0


class RecordErrors:
    """Collects field errors across a file so one run reports them all, then raises once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[str] = []

    def add(self, record: str, field_name: str, problem: str) -> None:
        self.errors.append(f"{record}: field '{field_name}': {problem}")

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        shown = "\n  ".join(self.errors[:MAX_ERRORS_SHOWN])
        more = len(self.errors) - MAX_ERRORS_SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise ExportFormatError(
            f"{self.path}: {len(self.errors)} malformed record(s), nothing imported:\n  {shown}{tail}"
        )


def parse_snowflake(value: object) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise ValueError(f"not a Discord snowflake: {value!r}")
    return int(text)


def parse_timestamp(value: object) -> float:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    try:
        return iso_to_unix(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from None


def stable_id(kind: str, name: str) -> int:
    """A repeatable 62-bit id for exports that name things instead of numbering them."""
    digest = hashlib.blake2b(f"{kind}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2 or 1


def id_or_stable(kind: str, value: str) -> int:
    value = value.strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**63 else stable_id(kind, value)
