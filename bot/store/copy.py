"""`db copy`: move every row from one database to another, rerunnable, and verify it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg

from bot.store import sqlite_path
from bot.store.postgres import migrate as migrate_postgres
from bot.store.sqlite import SQLiteStore


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


# Parents before children (votes reference answers); the same columns on both backends.
TABLES = (
    Table("answers", ("message_id", "entry_id", "guild_id", "channel_id", "created_at",
                      "question"), ("message_id",)),
    Table("votes", ("message_id", "user_id", "step", "voted_at"), ("message_id", "user_id")),
    Table("lookups", ("id", "created_at", "source", "query", "query_key", "entry_id", "score",
                      "confident", "guild_id", "channel_id"), ("id",)),
    Table("picks", ("guild_id", "query_key", "user_id", "question", "entry_id", "picked_at"),
          ("guild_id", "query_key", "user_id")),
    Table("learned", ("guild_id", "query_key", "phrase", "entry_id", "linked_by", "linked_at"),
          ("guild_id", "query_key")),
)  # fmt: skip
BOOLEAN = {"confident"}  # SQLite stores 0/1, PostgreSQL a boolean
CHUNK = 5_000  # rows per executemany


@dataclass(frozen=True, slots=True)
class Copied:
    table: str
    source: int  # rows in the source
    found: int  # of those, present in the target afterwards


class CopyError(Exception):
    """The copy could not be done; the message says why in one line."""


async def copy(source: str, target: str) -> list[Copied]:
    """Copy every table; rows the target has already are kept (so a rerun is safe)."""
    if source == target:
        raise CopyError("--from and --to name the same database")
    reader, writer = await _open(source), await _open(target)
    try:
        await writer.prepare()
        out = []
        for table in TABLES:
            rows = await reader.rows(table)
            for start in range(0, len(rows), CHUNK):
                await writer.insert(table, rows[start : start + CHUNK])
            have = await writer.keys(table)
            found = sum(tuple(row[i] for i in _key_index(table)) in have for row in rows)
            out.append(Copied(table.name, len(rows), found))
        await writer.finish()
        return out
    finally:
        await reader.close()
        await writer.close()


def _key_index(table: Table) -> list[int]:
    return [table.columns.index(k) for k in table.key]


class _SQLite:
    def __init__(self, path) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None

    async def prepare(self) -> None:
        store = await SQLiteStore.open(self.path)  # creates it if need be, and migrates
        await store.close()

    def _conn(self) -> sqlite3.Connection:
        if self.db is None:
            if not self.path.is_file():
                raise CopyError(f"no database at {self.path}")
            self.db = sqlite3.connect(self.path)
        return self.db

    async def rows(self, table: Table) -> list[tuple]:
        sql = f"SELECT {', '.join(table.columns)} FROM {table.name}"
        try:
            return self._conn().execute(sql).fetchall()
        except sqlite3.DatabaseError as exc:
            raise CopyError(f"{self.path}: {exc}") from None

    async def insert(self, table: Table, rows: list[tuple]) -> None:
        marks = ", ".join("?" * len(table.columns))
        rows = [_typed(table, row, int) for row in rows]
        with self._conn() as db:
            db.executemany(
                f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})"
                " ON CONFLICT DO NOTHING",
                rows,
            )

    async def keys(self, table: Table) -> set[tuple]:
        sql = f"SELECT {', '.join(table.key)} FROM {table.name}"
        return set(self._conn().execute(sql).fetchall())

    async def finish(self) -> None:
        return None

    async def close(self) -> None:
        if self.db is not None:
            self.db.close()


class _Postgres:
    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: asyncpg.Connection | None = None

    async def _connect(self) -> asyncpg.Connection:
        if self.conn is None:
            self.conn = await asyncpg.connect(self.url, timeout=10)
        return self.conn

    async def prepare(self) -> None:
        await migrate_postgres(await self._connect())

    async def rows(self, table: Table) -> list[tuple]:
        conn = await self._connect()
        found = await conn.fetch(f"SELECT {', '.join(table.columns)} FROM {table.name}")
        return [tuple(r) for r in found]

    async def insert(self, table: Table, rows: list[tuple]) -> None:
        conn = await self._connect()
        marks = ", ".join(f"${i}" for i in range(1, len(table.columns) + 1))
        async with conn.transaction():
            await conn.executemany(
                f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})"
                " ON CONFLICT DO NOTHING",
                [_typed(table, row, bool) for row in rows],
            )

    async def keys(self, table: Table) -> set[tuple]:
        conn = await self._connect()
        return {
            tuple(r) for r in await conn.fetch(f"SELECT {', '.join(table.key)} FROM {table.name}")
        }

    async def finish(self) -> None:
        """Copied ids are explicit: move the id sequence past them."""
        conn = await self._connect()
        await conn.execute(
            "SELECT setval('lookups_id_seq', GREATEST((SELECT MAX(id) FROM lookups), 1))"
        )

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


async def _open(url: str) -> _SQLite | _Postgres:
    path = sqlite_path(url)
    if path is not None:
        return _SQLite(path)
    if url.startswith(("postgresql://", "postgres://")):
        return _Postgres(url)
    raise CopyError(f"{url.split(':', 1)[0]!r} is not sqlite:///PATH or postgresql://…")


def _typed(table: Table, row: Iterable, flag: type) -> tuple:
    """The row with its yes/no columns as this backend stores them (int or bool)."""
    return tuple(
        flag(v) if c in BOOLEAN and v is not None else v
        for c, v in zip(table.columns, row, strict=True)
    )
