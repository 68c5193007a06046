"""What every storage backend promises: the records, the interface, and question keys."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.learning import Learned

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Votes, picks and links per second are tiny next to this: it is for bursts and outages.
QUEUE_MAX = 10_000  # writes held in memory while the database refuses them
BATCH_MAX = 500  # writes committed together; one commit serves every vote in the batch
RETRY_FIRST, RETRY_MAX = 0.1, 5.0  # back-off while the database refuses writes (seconds)
CLOSE_TIMEOUT = 5.0


class StoreError(Exception):
    """A write that could not be saved; the caller must not report it as saved."""


class DatabaseUnreachable(Exception):
    """The database could not be reached at start (down, restarting, no route): retry."""


class DatabaseRefused(Exception):
    """The database answered but refused us (password, no such database): fix the setting."""


@dataclass(frozen=True, slots=True)
class Answer:
    message_id: int
    entry_id: str
    guild_id: int | None
    channel_id: int | None
    question: str | None = None  # what was asked, kept so a pick under it can be learned


@dataclass(frozen=True, slots=True)
class Lookup:
    """One question asked of the bot and what it found."""

    source: str  # slash | channel | context | pick
    query: str
    entry_id: str | None  # None: nothing matched
    score: float
    confident: bool
    guild_id: int | None
    channel_id: int | None


@dataclass(slots=True)
class Stats:
    """Counts over a period, for the moderators' report."""

    since: float
    lookups: int = 0
    matched: int = 0
    unmatched: int = 0
    answers: int = 0
    votes: int = 0
    top: list[tuple[str, int]] = field(default_factory=list)
    # entry id -> {step (None = none worked) -> votes}
    steps: dict[str, dict[int | None, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Unmatched:
    query: str
    count: int
    last_seen: float


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(backend: str) -> list[Migration]:
    """A backend's numbered migration files, in order (migrations/<backend>/NNN_name.sql)."""
    files = sorted((MIGRATIONS / backend).glob("[0-9]*.sql"))
    return [
        Migration(int(f.name.split("_", 1)[0]), f.name, f.read_text(encoding="utf-8"))
        for f in files
    ]


def question_key(text: str) -> str:
    """Case- and space-folded question text: the same question asked twice has one key."""
    return " ".join(text.casefold().split())


class Store(Protocol):
    """The operations the helpdesk, the cogs, the health check and the tools may use.

    Every write returns once committed, or raises StoreError; while the database refuses
    writes they wait in a bounded queue and `failing` says why.
    """

    failing: str | None
    shared: bool  # other processes write here too: cache nothing that they change

    @property
    def queued(self) -> int: ...
    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None: ...
    async def ping(self) -> None: ...
    async def add_lookup(self, lookup: Lookup) -> None: ...
    async def add_answer(self, answer: Answer) -> None: ...
    async def answer(self, message_id: int) -> Answer | None: ...
    async def vote(self, message_id: int, user_id: int, step: int | None) -> None: ...
    async def step_votes(self, entry_id: str) -> dict[int | None, int]: ...
    async def stats(
        self, since: float, *, guild_id: int, entry_id: str | None = None, top: int = 10
    ) -> Stats: ...
    async def unmatched(
        self, since: float, *, guild_id: int, limit: int = 10
    ) -> tuple[list[Unmatched], list[Unmatched]]: ...
    async def add_pick(self, guild_id: int, user_id: int, question: str, entry_id: str) -> None: ...
    async def link(
        self, guild_id: int, question: str, entry_id: str, moderator_id: int
    ) -> None: ...
    async def forget(self, guild_id: int, phrase: str) -> None: ...
    async def learned(self, guild_id: int | None = None) -> list[Learned]: ...
    async def purge(self) -> None: ...
    def identify_lock(self, bucket: int) -> AbstractAsyncContextManager[None]: ...
