"""PostgreSQL through an asyncpg pool: several processes and shards share one database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import asyncpg

from bot.learning import PICKS_TO_LEARN, Learned
from bot.store.base import (
    CLOSE_TIMEOUT,
    Answer,
    DatabaseRefused,
    DatabaseUnreachable,
    Lookup,
    Stats,
    Unmatched,
    migrations,
    question_key,
)
from bot.store.writes import Write, WriteQueue, runs

log = logging.getLogger(__name__)

# Up to one writer and a few readers per process; none kept open while idle, so a database
# restart does not leave the pool retrying (and logging) to refill a floor.
POOL_MIN, POOL_MAX = 0, 5
CONNECT_TIMEOUT = 10.0
# pg_advisory_lock keys: one for migrations, one space for IDENTIFY buckets.
MIGRATION_LOCK = 0x5EB_0001
IDENTIFY_LOCK = 0x5EB_0002
# Discord allows one IDENTIFY per bucket (shard_id % max_concurrency) every 5 seconds.
IDENTIFY_INTERVAL = 5.0
# The database refuses for now (restarting, unreachable, read-only, full): writes wait.
TRANSIENT = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.ReadOnlySQLTransactionError,
    asyncpg.InsufficientResourcesError,
)


class PostgresStore:
    """The store on PostgreSQL; the same promises as SQLite's, for many processes."""

    shared = True  # other processes write here: vote counts are read, never cached

    def __init__(self, pool: asyncpg.Pool, url: str, retention_days: int) -> None:
        self.pool = pool
        self.url = url
        self.retention_days = retention_days
        self.writes = WriteQueue(self._commit, TRANSIENT, "store-writer")
        self._write = self.writes.write

    @classmethod
    async def open(cls, url: str, *, retention_days: int = 90) -> PostgresStore:
        """Connect, apply pending migrations under an advisory lock, purge old texts."""
        pool = await asyncpg.create_pool(
            url, min_size=POOL_MIN, max_size=POOL_MAX, timeout=CONNECT_TIMEOUT
        )  # connects on first use
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, TRANSIENT):
                raise DatabaseUnreachable(str(exc) or type(exc).__name__) from None
            if isinstance(exc, asyncpg.PostgresError):  # a wrong password, no such database
                raise DatabaseRefused(str(exc)) from None
            raise
        store = cls(pool, url, retention_days)
        await store.purge()
        return store

    @property
    def failing(self) -> str | None:
        return self.writes.failing

    @property
    def queued(self) -> int:
        return self.writes.queued

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        await self.writes.close(timeout)
        with contextlib.suppress(Exception):  # a server already gone: nothing left to close
            await asyncio.wait_for(self.pool.close(), timeout)

    async def ping(self) -> None:
        await self._write("UPDATE schema_migrations SET name = name WHERE FALSE", ())

    async def _commit(self, batch: list[Write]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            for sql, params in runs(batch):
                await conn.executemany(sql, params)

    @contextlib.asynccontextmanager
    async def identify_lock(self, bucket: int) -> AsyncIterator[None]:
        """Across every process on this database: one IDENTIFY per bucket per 5 seconds."""
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1, $2)", IDENTIFY_LOCK, bucket)
            try:
                yield
                await asyncio.sleep(IDENTIFY_INTERVAL)  # the next one waits out Discord's limit
            finally:
                # A connection that is gone has released its locks with it.
                with contextlib.suppress(asyncpg.PostgresError, *TRANSIENT):
                    await conn.execute("SELECT pg_advisory_unlock($1, $2)", IDENTIFY_LOCK, bucket)

    async def _fetch(self, sql: str, *args) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await conn.fetch(sql, *args)

    async def add_lookup(self, lookup: Lookup) -> None:
        await self._write(
            "INSERT INTO lookups (created_at, source, query, query_key, entry_id, score,"
            " confident, guild_id, channel_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            (
                time.time(),
                lookup.source,
                lookup.query,
                question_key(lookup.query),
                lookup.entry_id,
                lookup.score,
                lookup.confident,
                lookup.guild_id,
                lookup.channel_id,
            ),
        )

    async def add_answer(self, answer: Answer) -> None:
        """Record a posted answer once; the first record wins (never REPLACE: see SQLite's)."""
        await self._write(
            "INSERT INTO answers (message_id, entry_id, guild_id, channel_id, created_at,"
            " question) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING",
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
        rows = await self._fetch(
            "SELECT message_id, entry_id, guild_id, channel_id, question FROM answers"
            " WHERE message_id = $1",
            message_id,
        )
        return Answer(*rows[0]) if rows else None

    async def vote(self, message_id: int, user_id: int, step: int | None) -> None:
        await self._write(
            "INSERT INTO votes (message_id, user_id, step, voted_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (message_id, user_id) DO UPDATE SET step = excluded.step,"
            " voted_at = excluded.voted_at",
            (message_id, user_id, step, time.time()),
        )

    async def step_votes(self, entry_id: str) -> dict[int | None, int]:
        rows = await self._fetch(
            "SELECT v.step, COUNT(*) FROM votes v JOIN answers a USING (message_id)"
            " WHERE a.entry_id = $1 GROUP BY v.step",
            entry_id,
        )
        return {step: n for step, n in rows}

    async def stats(
        self, since: float, *, guild_id: int, entry_id: str | None = None, top: int = 10
    ) -> Stats:
        stats = Stats(since=since)
        where = "guild_id = $1 AND {t} >= $2 AND ($3::text IS NULL OR entry_id = $3)"
        args = (guild_id, since, entry_id)
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT COUNT(*), COUNT(entry_id) FROM lookups WHERE "
                + where.format(t="created_at"),
                *args,
            )
            stats.lookups, stats.matched = row
            stats.unmatched = stats.lookups - stats.matched if entry_id is None else 0
            stats.answers = await conn.fetchval(
                "SELECT COUNT(*) FROM answers WHERE " + where.format(t="created_at"), *args
            )
            stats.votes = await conn.fetchval(
                "SELECT COUNT(*) FROM votes v JOIN answers a USING (message_id)"
                " WHERE a.guild_id = $1 AND v.voted_at >= $2"
                " AND ($3::text IS NULL OR a.entry_id = $3)",
                *args,
            )
            top_rows = await conn.fetch(
                "SELECT entry_id, COUNT(*) AS n FROM lookups WHERE "
                + where.format(t="created_at")
                + " AND entry_id IS NOT NULL GROUP BY entry_id ORDER BY n DESC, entry_id"
                " LIMIT $4",
                *args,
                top,
            )
            stats.top = [(e, n) for e, n in top_rows]
            step_rows = await conn.fetch(
                "SELECT a.entry_id, v.step, COUNT(*) FROM votes v JOIN answers a"
                " USING (message_id) WHERE a.guild_id = $1 AND v.voted_at >= $2"
                " AND ($3::text IS NULL OR a.entry_id = $3) GROUP BY a.entry_id, v.step",
                *args,
            )
        for entry, step, n in step_rows:
            stats.steps.setdefault(entry, {})[step] = n
        return stats

    async def unmatched(
        self, since: float, *, guild_id: int, limit: int = 10
    ) -> tuple[list[Unmatched], list[Unmatched]]:
        recent = await self._fetch(
            "SELECT query, 1, created_at FROM lookups WHERE guild_id = $1 AND entry_id IS NULL"
            " AND query IS NOT NULL AND created_at >= $2 ORDER BY created_at DESC LIMIT $3",
            guild_id,
            since,
            limit,
        )
        frequent = await self._fetch(
            # the latest wording of each question, as SQLite's bare column gives it
            "SELECT (ARRAY_AGG(query ORDER BY created_at DESC))[1], COUNT(*) AS n,"
            " MAX(created_at) FROM lookups WHERE guild_id = $1 AND entry_id IS NULL"
            " AND query IS NOT NULL AND created_at >= $2"
            " GROUP BY query_key ORDER BY n DESC, MAX(created_at) DESC LIMIT $3",
            guild_id,
            since,
            limit,
        )
        return [Unmatched(*r) for r in recent], [Unmatched(*r) for r in frequent]

    async def add_pick(self, guild_id: int, user_id: int, question: str, entry_id: str) -> None:
        await self._write(
            "INSERT INTO picks (guild_id, query_key, user_id, question, entry_id, picked_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (guild_id, query_key, user_id)"
            " DO UPDATE SET entry_id = excluded.entry_id, picked_at = excluded.picked_at",
            (guild_id, question_key(question), user_id, question, entry_id, time.time()),
        )

    async def link(self, guild_id: int, question: str, entry_id: str, moderator_id: int) -> None:
        await self._write(
            "INSERT INTO learned (guild_id, query_key, phrase, entry_id, linked_by, linked_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (guild_id, query_key) DO UPDATE"
            " SET entry_id = excluded.entry_id, linked_by = excluded.linked_by,"
            " linked_at = excluded.linked_at",
            (guild_id, question_key(question), question, entry_id, moderator_id, time.time()),
        )

    async def forget(self, guild_id: int, phrase: str) -> None:
        key = question_key(phrase)
        await self._write(
            "DELETE FROM learned WHERE guild_id = $1 AND query_key = $2", (guild_id, key)
        )
        await self._write(
            "DELETE FROM picks WHERE guild_id = $1 AND query_key = $2", (guild_id, key)
        )

    async def learned(self, guild_id: int | None = None) -> list[Learned]:
        rows = await self._fetch(
            "SELECT guild_id, phrase, entry_id, TRUE FROM learned"
            " WHERE $1::bigint IS NULL OR guild_id = $1"
            " UNION ALL SELECT p.guild_id, MIN(p.question), p.entry_id, FALSE FROM picks p"
            " WHERE ($1::bigint IS NULL OR p.guild_id = $1) AND NOT EXISTS (SELECT 1 FROM"
            " learned l WHERE l.guild_id = p.guild_id AND l.query_key = p.query_key)"
            " GROUP BY p.guild_id, p.query_key, p.entry_id"
            " HAVING COUNT(DISTINCT p.user_id) >= $2",
            guild_id,
            PICKS_TO_LEARN,
        )
        return [Learned(g, phrase, e, mod) for g, phrase, e, mod in rows]

    async def purge(self) -> None:
        cutoff = time.time() - self.retention_days * 86400
        await self._write(
            "UPDATE lookups SET query = NULL, query_key = NULL WHERE created_at < $1"
            " AND query IS NOT NULL",
            (cutoff,),
        )
        await self._write(
            "UPDATE answers SET question = NULL WHERE created_at < $1 AND question IS NOT NULL",
            (cutoff,),
        )
        await self._write("DELETE FROM picks WHERE picked_at < $1", (cutoff,))


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations; an advisory lock lets one of several starting processes in."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
        )
        done = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for migration in migrations("postgres"):
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    time.time(),
                )
            log.info("store: applied migration %s", migration.name)
            applied.append(migration.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
