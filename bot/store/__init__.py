"""Storage behind one interface; DATABASE_URL's scheme picks the backend."""

from __future__ import annotations

from pathlib import Path

from bot.store.base import (
    Answer,
    DatabaseRefused,
    DatabaseUnreachable,
    Lookup,
    Stats,
    Store,
    StoreError,
    Unmatched,
    question_key,
)
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SQLiteStore

__all__ = [
    "Answer",
    "DatabaseRefused",
    "DatabaseUnreachable",
    "Lookup",
    "PostgresStore",
    "SQLiteStore",
    "Stats",
    "Store",
    "StoreError",
    "Unmatched",
    "open_store",
    "question_key",
    "sqlite_path",
]
SQLITE = "sqlite:///"
POSTGRES = ("postgresql://", "postgres://")


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL, or None for another scheme."""
    return Path(url.removeprefix(SQLITE)) if url.startswith(SQLITE) else None


async def open_store(url: str, *, retention_days: int = 90) -> Store:
    """Open (and migrate) the store DATABASE_URL names: sqlite:///PATH or postgresql://…"""
    path = sqlite_path(url)
    if path is not None:
        return await SQLiteStore.open(path, retention_days=retention_days)
    if url.startswith(POSTGRES):
        return await PostgresStore.open(url, retention_days=retention_days)
    raise ValueError(f"DATABASE_URL: unknown scheme in {url.split(':', 1)[0]!r}")
