"""The embedded default: SQLite through aiosqlite, one writer committing batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite

from bot.learning import PICKS_TO_LEARN, Learned
from bot.store.base import (
    CLOSE_TIMEOUT,
    Answer,
    Lookup,
    Stats,
    Unmatched,
    migrations,
    question_key,
)
from bot.store.writes import Write, WriteQueue, runs

log = logging.getLogger(__name__)

BUSY_MS = 1000  # SQLite's own wait for a lock, before the write queue's back-off takes over
MIGRATION_WAIT = 30.0  # seconds a start waits for another process's migrations to finish


class SQLiteStore:
    """SQLite through one aiosqlite writer and one reader; writes return once committed."""

    shared = False  # one process: what it caches stays true

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
        # A locked, read-only or full database raises OperationalError: writes wait it out.
        self.writes = WriteQueue(self._commit, (sqlite3.OperationalError,), "store-writer")
        self._write = self.writes.write
        self._identify = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, retention_days: int = 90) -> SQLiteStore:
        """Create the folder and database if needed and apply pending migrations."""
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            # Switching a new file to WAL needs it alone: another starting process may hold it.
            await _until_unlocked(lambda: db.execute("PRAGMA journal_mode=WAL"))
            await db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a kill
            await db.execute("PRAGMA foreign_keys=ON")
            await _migrate(db)
            reader = await aiosqlite.connect(path)
        except BaseException:
            await db.close()  # or its thread keeps the process from exiting
            raise
        await reader.execute("PRAGMA query_only=ON")
        store = cls(db, reader, path, retention_days)
        await store.purge()
        return store

    @property
    def failing(self) -> str | None:
        return self.writes.failing

    @property
    def queued(self) -> int:
        """Writes accepted but not yet committed."""
        return self.writes.queued

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Finish queued writes (waiting at most `timeout` for a failing database), then close."""
        await self.writes.close(timeout)
        await self.reader.close()
        await self.db.close()

    async def ping(self) -> None:
        """A write round trip: proves the database takes writes now."""
        await self._write("UPDATE schema_migrations SET name = name WHERE 0", ())

    @contextlib.asynccontextmanager
    async def identify_lock(self, bucket: int) -> AsyncIterator[None]:
        """One process: its own lock is enough (discord.py spaces its shards' IDENTIFYs)."""
        async with self._identify:
            yield

    async def _commit(self, batch: list[Write]) -> None:
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in runs(batch):
                await self.db.executemany(sql, params)
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


async def _migrate(db: aiosqlite.Connection) -> None:
    """Apply the numbered migrations not yet recorded, under the database's write lock.

    BEGIN IMMEDIATE takes the lock before schema_migrations is read, so of two processes
    starting together one migrates and the other then finds nothing left to do.
    """
    await _until_unlocked(lambda: db.execute("BEGIN IMMEDIATE"))
    try:
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at REAL NOT NULL)"
        )
        async with db.execute("SELECT version FROM schema_migrations") as cur:
            done = {v for (v,) in await cur.fetchall()}
        for migration in migrations("sqlite"):
            if migration.version in done:
                continue
            for statement in _statements(migration.sql):
                await db.execute(statement)
            await db.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
            log.info("store: applied migration %s", migration.name)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


async def _until_unlocked(statement) -> None:
    """Run a statement that needs the write lock, waiting out another process's migration
    (which can take longer than busy_timeout)."""
    deadline = time.monotonic() + MIGRATION_WAIT
    while True:
        try:
            await statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def _statements(script: str) -> list[str]:
    """A migration file's statements, one by one (so they run inside our transaction)."""
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return [s for s in out if s.strip(" ;\n")]
