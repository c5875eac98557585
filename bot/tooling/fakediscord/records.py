"""What the fake saw, kept so tests can assert on it and wait for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Log(Generic[T]):
    """An append-only list that tests can wait on.

    Waiting checks what is already there first, so a test never misses something that happened
    between the action and the wait.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.items: list[T] = []
        self._changed = asyncio.Event()

    def append(self, item: T) -> None:
        self.items.append(item)
        # Wake every waiter; each re-checks its own predicate. A fresh event per round keeps it simple.
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(
        self, predicate: Callable[[T], bool] | None = None, *, timeout: float = 10.0, since: int = 0
    ) -> T:
        predicate = predicate or (lambda _item: True)
        checked = since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for item in self.items[checked:]:
                if predicate(item):
                    return item
            checked = len(self.items)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(timeout, since))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _timeout_message(self, timeout: float, since: int) -> str:
        recent = "\n  ".join(repr(item)[:300] for item in self.items[since:][-5:]) or "(nothing)"
        return f"no matching {self.what} within {timeout}s; last ones:\n  {recent}"

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]


@dataclass
class UploadedFile:
    """One file part of a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class SentMessage:
    """A message the bot created or edited, by any route.

    ``route`` is one of ``channel.create``, ``channel.edit``, ``interaction.callback``,
    ``webhook.create`` (interaction follow-up), ``webhook.edit`` (edit of @original or a follow-up).
    ``message`` is the stored message after the change.
    """

    route: str
    channel_id: str | None
    payload: dict[str, Any]
    files: list[UploadedFile] = field(default_factory=list)
    message: dict[str, Any] | None = None
    interaction_id: str | None = None

    @property
    def content(self) -> str:
        return (self.message or {}).get("content", self.payload.get("content") or "")

    @property
    def allowed_mentions(self) -> Any:
        return self.payload.get("allowed_mentions")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.payload.get("embeds") or []

    @property
    def is_edit(self) -> bool:
        return self.route.endswith(".edit")


@dataclass
class RequestRecord:
    """One REST request, with its JSON (or ``payload_json``) body and the status the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class GatewayFrame:
    """One gateway frame; ``direction`` is ``out`` (fake to client) or ``in`` (client to fake)."""

    direction: str
    session_id: str | None
    payload: dict[str, Any]

    @property
    def op(self) -> int:
        return self.payload.get("op", -1)

    @property
    def event(self) -> str | None:
        return self.payload.get("t")

    @property
    def data(self) -> Any:
        return self.payload.get("d")
