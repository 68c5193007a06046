"""All SQL of the bot: lookups, posted answers and votes in SQLite, behind a small async API."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from bot.learning import PICKS_TO_LEARN, Learned

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BATCH_MAX = 500  # writes committed together; one commit serves every vote in the batch
QUEUE_MAX = 10_000  # writes held in memory while the database refuses them
BUSY_MS = 1000  # SQLite's own wait for a lock, before our back-off takes over
RETRY_FIRST, RETRY_MAX = 0.1, 5.0
CLOSE_TIMEOUT = 5.0


class StoreError(Exception):
    """A write that could not be saved; the caller must not report it as saved."""


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


class Store:
    """SQLite through one aiosqlite connection; writes are batched and awaited until committed."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        path: Path,
        retention_days: int,
    ) -> None:
        self.db = db  # the one writer
        self.reader = reader  # reads never wait behind a write being retried
        self.path = path
        self.retention_days = retention_days
        self.failing: str | None = None  # the error while the database refuses writes
        self._queue: asyncio.Queue[tuple[str, tuple, asyncio.Future]] = asyncio.Queue(QUEUE_MAX)
        self._in_flight = 0
        self._writer = asyncio.create_task(self._write_loop(), name="store-writer")

    @classmethod
    async def open(cls, path: Path, *, retention_days: int = 90) -> Store:
        """Create the folder and database if needed and apply pending migrations."""
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process kill
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        await _migrate(db)
        reader = await aiosqlite.connect(path)
        await reader.execute("PRAGMA query_only=ON")
        store = cls(db, reader, path, retention_days)
        await store.purge()
        return store

    @property
    def queued(self) -> int:
        """Writes accepted but not yet committed."""
        return self._queue.qsize() + self._in_flight

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Finish queued writes (waiting at most `timeout` for a failing database), then close."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            log.error("store: closing with %d writes NOT saved: %s", self.queued, self.failing)
        self._writer.cancel()
        await self.reader.close()
        await self.db.close()

    async def _write(self, sql: str, params: tuple) -> None:
        """Queue one write and wait until it is committed (or fails for good)."""
        future = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait((sql, params, future))
        except asyncio.QueueFull:
            log.error(
                "store: %d writes waiting; refusing more until the database recovers", QUEUE_MAX
            )
            raise StoreError("too many writes waiting for the database") from None
        await future

    async def ping(self) -> None:
        """A write round trip: proves the database takes writes now."""
        await self._write("UPDATE schema_migrations SET name = name WHERE 0", ())

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH_MAX and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._in_flight = len(batch)
            try:
                await self._save(batch)
            finally:
                self._in_flight = 0
                for _ in batch:
                    self._queue.task_done()

    async def _save(self, batch: list[tuple[str, tuple, asyncio.Future]]) -> None:
        """Commit a batch; wait out a locked, read-only or full database; isolate bad rows."""
        delay = RETRY_FIRST
        while True:
            try:
                await self._commit(batch)
            except sqlite3.OperationalError as exc:
                if self.failing is None:
                    log.error(
                        "store: database refuses writes (%s); %d writes wait in memory",
                        exc,
                        self.queued,
                    )
                self.failing = str(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            except Exception as exc:  # bad data (or a bug): retrying cannot help, others must go on
                if len(batch) > 1:
                    for item in batch:
                        await self._save([item])
                    return
                log.error("store: write rejected: %s", exc)
                _settle(batch, StoreError(str(exc)))
                return
            if self.failing is not None:
                log.warning("store: database takes writes again")
                self.failing = None
            _settle(batch, None)
            return

    async def _commit(self, batch: list[tuple[str, tuple, asyncio.Future]]) -> None:
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            i = 0
            while i < len(batch):  # runs of the same statement go in one executemany
                j = i
                while j < len(batch) and batch[j][0] == batch[i][0]:
                    j += 1
                await self.db.executemany(batch[i][0], [b[1] for b in batch[i:j]])
                i = j
            await self.db.commit()
        except BaseException:
            if self.db.in_transaction:
                await self.db.rollback()
            raise

    async def add_lookup(self, lookup: Lookup) -> None:
        await self._write(
            "INSERT INTO lookups (created_at, source, query, query_key, entry_id, score,"
            " confident, guild_id, channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                lookup.source,
                lookup.query,
                question_key(lookup.query),
                lookup.entry_id,
                lookup.score,
                int(lookup.confident),
                lookup.guild_id,
                lookup.channel_id,
            ),
        )

    async def add_answer(self, answer: Answer) -> None:
        """Record a posted answer once; the first record wins.

        Never REPLACE: that deletes the row, and its votes with it (ON DELETE CASCADE), when a
        click records the answer before the answer's own record lands.
        """
        await self._write(
            "INSERT INTO answers (message_id, entry_id, guild_id, channel_id, created_at,"
            " question) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
            (
                answer.message_id,
                answer.entry_id,
                answer.guild_id,
                answer.channel_id,
                time.time(),
                answer.question,
            ),
        )

    async def answer(self, message_id: int) -> Answer | None:
        async with self.reader.execute(
            "SELECT message_id, entry_id, guild_id, channel_id, question FROM answers"
            " WHERE message_id = ?",
            (message_id,),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else Answer(*row)

    async def vote(self, message_id: int, user_id: int, step: int | None) -> None:
        """Record or change one user's vote on one answer; returns once committed."""
        await self._write(
            "INSERT INTO votes (message_id, user_id, step, voted_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (message_id, user_id) DO UPDATE SET step = excluded.step,"
            " voted_at = excluded.voted_at",
            (message_id, user_id, step, time.time()),
        )

    async def step_votes(self, entry_id: str) -> dict[int | None, int]:
        """All-time votes per step of one entry (None: none of the steps worked)."""
        async with self.reader.execute(
            "SELECT v.step, COUNT(*) FROM votes v JOIN answers a USING (message_id)"
            " WHERE a.entry_id = ? GROUP BY v.step",
            (entry_id,),
        ) as cur:
            return {step: n for step, n in await cur.fetchall()}

    async def stats(
        self, since: float, *, guild_id: int, entry_id: str | None = None, top: int = 10
    ) -> Stats:
        """One server's lookups, answers and votes since a time; per-step votes per entry."""
        stats = Stats(since=since)
        # One entry's report or every entry's: ":entry IS NULL" keeps all rows.
        args = {"since": since, "guild": guild_id, "entry": entry_id, "top": top}
        stats.lookups, stats.matched = await self._one(
            "SELECT COUNT(*), COUNT(entry_id) FROM lookups WHERE guild_id = :guild"
            " AND created_at >= :since AND (:entry IS NULL OR entry_id = :entry)",
            args,
        )
        stats.unmatched = stats.lookups - stats.matched if entry_id is None else 0
        (stats.answers,) = await self._one(
            "SELECT COUNT(*) FROM answers WHERE guild_id = :guild"
            " AND created_at >= :since AND (:entry IS NULL OR entry_id = :entry)",
            args,
        )
        (stats.votes,) = await self._one(
            "SELECT COUNT(*) FROM votes v JOIN answers a USING (message_id) WHERE a.guild_id"
            " = :guild AND v.voted_at >= :since AND (:entry IS NULL OR a.entry_id = :entry)",
            args,
        )
        async with self.reader.execute(
            "SELECT entry_id, COUNT(*) AS n FROM lookups WHERE guild_id = :guild"
            " AND created_at >= :since AND entry_id IS NOT NULL"
            " AND (:entry IS NULL OR entry_id = :entry)"
            " GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT :top",
            args,
        ) as cur:
            stats.top = [(e, n) for e, n in await cur.fetchall()]
        async with self.reader.execute(
            "SELECT a.entry_id, v.step, COUNT(*) FROM votes v JOIN answers a USING (message_id)"
            " WHERE a.guild_id = :guild AND v.voted_at >= :since"
            " AND (:entry IS NULL OR a.entry_id = :entry) GROUP BY a.entry_id, v.step",
            args,
        ) as cur:
            for entry, step, n in await cur.fetchall():
                stats.steps.setdefault(entry, {})[step] = n
        return stats

    async def unmatched(
        self, since: float, *, guild_id: int, limit: int = 10
    ) -> tuple[list[Unmatched], list[Unmatched]]:
        """One server's most recent and most frequent questions that nothing matched."""
        async with self.reader.execute(
            "SELECT query, 1, created_at FROM lookups WHERE guild_id = ? AND entry_id IS NULL"
            " AND query IS NOT NULL AND created_at >= ? ORDER BY created_at DESC LIMIT ?",
            (guild_id, since, limit),
        ) as cur:
            recent = [Unmatched(*row) for row in await cur.fetchall()]
        async with self.reader.execute(
            # SQLite takes the bare `query` from the row of MAX(created_at): the latest wording.
            "SELECT query, COUNT(*) AS n, MAX(created_at) FROM lookups"
            " WHERE guild_id = ? AND entry_id IS NULL AND query IS NOT NULL AND created_at >= ?"
            " GROUP BY query_key ORDER BY n DESC, MAX(created_at) DESC LIMIT ?",
            (guild_id, since, limit),
        ) as cur:
            frequent = [Unmatched(*row) for row in await cur.fetchall()]
        return recent, frequent

    async def add_pick(self, guild_id: int, user_id: int, question: str, entry_id: str) -> None:
        """Remember that a user chose this entry for this question (a later pick replaces it)."""
        await self._write(
            "INSERT INTO picks (guild_id, query_key, user_id, question, entry_id, picked_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, query_key, user_id) DO UPDATE"
            " SET entry_id = excluded.entry_id, picked_at = excluded.picked_at",
            (guild_id, question_key(question), user_id, question, entry_id, time.time()),
        )

    async def link(self, guild_id: int, question: str, entry_id: str, moderator_id: int) -> None:
        """A moderator's answer to a question: learned for this server from now on."""
        await self._write(
            "INSERT INTO learned (guild_id, query_key, phrase, entry_id, linked_by, linked_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, query_key) DO UPDATE"
            " SET entry_id = excluded.entry_id, linked_by = excluded.linked_by,"
            " linked_at = excluded.linked_at",
            (guild_id, question_key(question), question, entry_id, moderator_id, time.time()),
        )

    async def forget(self, guild_id: int, phrase: str) -> None:
        """Unlearn a phrase: the moderator's link and the picks that taught it."""
        key = question_key(phrase)
        await self._write(
            "DELETE FROM learned WHERE guild_id = ? AND query_key = ?", (guild_id, key)
        )
        await self._write("DELETE FROM picks WHERE guild_id = ? AND query_key = ?", (guild_id, key))

    async def learned(self, guild_id: int | None = None) -> list[Learned]:
        """Learned phrases (of one server, or all): moderators' links, then agreed picks."""
        args = {"guild": guild_id, "users": PICKS_TO_LEARN}
        async with self.reader.execute(
            "SELECT guild_id, phrase, entry_id, 1 FROM learned"
            " WHERE :guild IS NULL OR guild_id = :guild"
            " UNION ALL SELECT p.guild_id, MIN(p.question), p.entry_id, 0 FROM picks p"
            " WHERE (:guild IS NULL OR p.guild_id = :guild) AND NOT EXISTS (SELECT 1 FROM"
            " learned l WHERE l.guild_id = p.guild_id AND l.query_key = p.query_key)"
            " GROUP BY p.guild_id, p.query_key, p.entry_id"
            " HAVING COUNT(DISTINCT p.user_id) >= :users",
            args,
        ) as cur:
            return [Learned(g, phrase, e, bool(mod)) for g, phrase, e, mod in await cur.fetchall()]

    async def purge(self) -> None:
        """Forget query texts and picks older than the retention limit (the counts stay)."""
        cutoff = time.time() - self.retention_days * 86400
        await self._write(
            "UPDATE lookups SET query = NULL, query_key = NULL WHERE created_at < ?"
            " AND query IS NOT NULL",
            (cutoff,),
        )
        await self._write(
            "UPDATE answers SET question = NULL WHERE created_at < ? AND question IS NOT NULL",
            (cutoff,),
        )
        await self._write("DELETE FROM picks WHERE picked_at < ?", (cutoff,))

    async def _one(self, sql: str, params: tuple | dict) -> tuple:
        async with self.reader.execute(sql, params) as cur:
            return await cur.fetchone()


def question_key(text: str) -> str:
    """Case- and space-folded question text: the same question asked twice has one key."""
    return " ".join(text.casefold().split())


def _settle(batch: list[tuple[str, tuple, asyncio.Future]], error: Exception | None) -> None:
    for *_, future in batch:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


async def _migrate(db: aiosqlite.Connection) -> None:
    """Apply numbered migration files not yet recorded in schema_migrations."""
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    async with db.execute("SELECT version FROM schema_migrations") as cur:
        done = {v for (v,) in await cur.fetchall()}
    for file in sorted(MIGRATIONS.glob("[0-9]*.sql")):
        version = int(file.name.split("_", 1)[0])
        if version in done:
            continue
        sql = file.read_text(encoding="utf-8")
        await db.executescript(
            f"BEGIN;\n{sql}\nINSERT INTO schema_migrations VALUES"
            f" ({version}, '{file.name}', {time.time()});\nCOMMIT;"
        )
        log.info("store: applied migration %s", file.name)
