"""The store on both backends, a real SQLite file and a real PostgreSQL server: migrations,
votes, durability, reports and retention."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import asyncpg
import pytest

from bot.store import Answer, Lookup, PostgresStore, SQLiteStore, Store, StoreError, open_store

DAY = 86400.0
OPEN_TIMEOUT = 10  # a store whose writer died never finishes opening: fail, don't hang
GUILD, OTHER_GUILD = 10, 11


async def _open(url: str, **kwargs) -> Store:
    return await asyncio.wait_for(open_store(url, **kwargs), OPEN_TIMEOUT)


@pytest.fixture
async def store(store_url: str):
    store = await _open(store_url)
    yield store
    await store.close()


async def sql(store: Store, statement: str) -> list[tuple]:
    """One statement on a separate connection, as another process would run it."""
    if isinstance(store, PostgresStore):
        async with store.pool.acquire() as conn:
            return [tuple(row) for row in await conn.fetch(statement)]
    with closing(sqlite3.connect(store.path, timeout=5)) as conn, conn:
        return conn.execute(statement).fetchall()


async def _lookup(
    store: Store, query: str | None, entry_id: str | None, at: float, guild_id: int = GUILD
) -> None:
    """A lookup as the helpdesk records one, dated `at`."""
    await store.add_lookup(_asked(query or "", entry_id, guild_id))
    last = "(SELECT MAX(id) FROM lookups)"
    await sql(store, f"UPDATE lookups SET created_at = {at} WHERE id = {last}")
    if query is None:
        await sql(store, f"UPDATE lookups SET query = NULL, query_key = NULL WHERE id = {last}")


def _asked(query: str, entry_id: str | None, guild_id: int = GUILD, source: str = "slash"):
    """A lookup record as the helpdesk makes one."""
    return Lookup(
        source, query, entry_id, 80.0 if entry_id else 0.0, entry_id is not None, guild_id, 20
    )


async def _answer(store: Store, message_id: int, entry_id: str) -> None:
    await store.add_answer(Answer(message_id, entry_id, 10, 20))


# ---------------------------------------------------------------- opening and migrations


async def test_open_creates_the_schema_and_records_its_migrations(store: Store):
    """A fresh database gets every table, and each migration is recorded once."""
    recorded = await sql(store, "SELECT version FROM schema_migrations ORDER BY version")
    assert [v for (v,) in recorded] == sorted({v for (v,) in recorded}) and recorded[0] == (1,)
    for table in ("lookups", "answers", "votes", "picks", "learned"):
        assert await sql(store, f"SELECT COUNT(*) FROM {table}") == [(0,)]


async def test_two_processes_opening_together_migrate_once(store_url: str):
    """Two starts at the same moment: one migrates under the lock, the other finds it done."""
    opened = await asyncio.gather(_open(store_url), _open(store_url), return_exceptions=True)
    stores = [s for s in opened if not isinstance(s, BaseException)]
    try:
        assert len(stores) == 2, opened
        first, second = stores
        versions = await sql(first, "SELECT version FROM schema_migrations")
        assert len(versions) == len(set(versions))
        await _answer(second, 1, "auth:73")
        await first.vote(1, 100, 2)
        assert await second.step_votes("auth:73") == {2: 1}
    finally:
        for store in stores:
            await store.close()


async def test_sqlite_opens_a_new_folder_with_wal_and_foreign_keys(tmp_path: Path):
    path = tmp_path / "nested" / "folder" / "x.sqlite3"
    store = await _open(f"sqlite:///{path}")
    try:
        assert path.is_file()
        assert await sql(store, "PRAGMA journal_mode") == [("wal",)]
        async with store.db.execute("PRAGMA foreign_keys") as cur:
            assert await cur.fetchone() == (1,)
    finally:
        await store.close()


async def test_reopening_applies_nothing_and_keeps_data(store_url: str):
    """Opening an existing database again adds no migration row and loses no vote."""
    store = await _open(store_url)
    await _answer(store, 1, "error:2026")
    await store.vote(1, 100, 2)
    before = await sql(store, "SELECT * FROM schema_migrations")
    await store.close()

    store = await _open(store_url)
    try:
        assert await sql(store, "SELECT * FROM schema_migrations") == before
        assert await store.step_votes("error:2026") == {2: 1}
    finally:
        await store.close()


# ---------------------------------------------------------------- votes


async def test_one_vote_per_user_per_answer(store: Store):
    """Voting again changes the user's step; it never adds a second vote."""
    await _answer(store, 1, "error:2026")
    await store.vote(1, 100, 1)
    await store.vote(1, 100, 3)
    assert await store.step_votes("error:2026") == {3: 1}
    assert await sql(store, "SELECT user_id, step FROM votes") == [(100, 3)]


async def test_users_and_answers_count_separately(store: Store):
    """Different users count separately; answers of one entry add up; None is 'none worked'."""
    await _answer(store, 1, "error:2026")
    await _answer(store, 2, "error:2026")
    await _answer(store, 3, "auth:3")
    await store.vote(1, 100, 1)
    await store.vote(1, 101, 1)
    await store.vote(2, 100, 1)  # same user, another answer of the same entry
    await store.vote(2, 102, None)
    await store.vote(3, 100, 2)
    assert await store.step_votes("error:2026") == {1: 3, None: 1}
    assert await store.step_votes("auth:3") == {2: 1}
    assert await store.step_votes("never:asked") == {}


async def test_vote_is_on_disk_when_vote_returns(store: Store):
    """Once vote() returns, another connection sees the vote."""
    await _answer(store, 7, "error:7")
    await store.vote(7, 555, 4)
    assert await sql(store, "SELECT message_id, user_id, step FROM votes") == [(7, 555, 4)]


async def test_recording_an_answer_again_keeps_its_votes(store: Store):
    """A click and the answer's own record can both record it: saved votes must survive."""
    await _answer(store, 7, "error:7")
    await store.vote(7, 555, 4)
    await store.add_answer(Answer(7, "error:7", 10, 20))
    assert await sql(store, "SELECT message_id, user_id, step FROM votes") == [(7, 555, 4)]


async def test_thousand_concurrent_votes_all_land(store: Store):
    """1,000 users voting at once: every vote is saved with its own step."""
    await _answer(store, 1, "error:2026")
    await asyncio.gather(*(store.vote(1, user, user % 5 or None) for user in range(1000)))
    assert await sql(store, "SELECT COUNT(*) FROM votes") == [(1000,)]
    assert await store.step_votes("error:2026") == {None: 200, 1: 200, 2: 200, 3: 200, 4: 200}


async def test_a_bad_vote_fails_alone(store: Store):
    """A vote for an answer never recorded is refused; votes sharing its commit are saved."""
    await _answer(store, 1, "error:2026")
    results = await asyncio.gather(
        store.vote(1, 100, 1),
        store.vote(404, 101, 1),  # no such answer: the foreign key refuses it
        store.vote(1, 102, 2),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["NoneType", "StoreError", "NoneType"]
    assert await store.step_votes("error:2026") == {1: 1, 2: 1}


BAD_WRITES = {
    "user id past 64 bits": lambda store: store.vote(1, 2**64, 1),  # OverflowError
    "lone surrogate in a query": lambda store: store.add_lookup(_asked("\ud800", None)),
}


@pytest.mark.parametrize("bad", BAD_WRITES.values(), ids=BAD_WRITES.keys())
async def test_an_unsavable_write_fails_alone_and_later_writes_work(store: Store, bad):
    """A write the database cannot take raises StoreError, and the next vote is still saved."""
    await _answer(store, 1, "error:2026")
    with pytest.raises(StoreError):
        await asyncio.wait_for(bad(store), 0.5)
    await asyncio.wait_for(store.vote(1, 100, 1), 0.5)
    assert await store.step_votes("error:2026") == {1: 1}


# ---------------------------------------------------------------- reports


async def test_stats_counts_lookups_answers_votes_and_steps(store: Store):
    """The report counts a period's lookups, answers and votes; older rows stay out."""
    now = time.time()
    for entry_id in ("error:2026", "error:2026", "auth:3", None, None):
        await store.add_lookup(_asked("q", entry_id))
    await _answer(store, 1, "error:2026")
    await _answer(store, 2, "auth:3")
    await store.vote(1, 100, 1)
    await store.vote(1, 101, 1)
    await store.vote(1, 102, None)
    await store.vote(2, 100, 2)
    # Last month's activity, written as an older process would have.
    await _lookup(store, "old", "auth:3", now - 30 * DAY)
    await _lookup(store, "old", "auth:3", now - 30 * DAY)
    await store.add_answer(Answer(3, "error:2026", GUILD, None))
    await store.vote(3, 100, 3)
    await sql(store, f"UPDATE answers SET created_at = {now - 30 * DAY} WHERE message_id = 3")
    await sql(store, f"UPDATE votes SET voted_at = {now - 30 * DAY} WHERE message_id = 3")

    week = await store.stats(now - 7 * DAY, guild_id=GUILD)
    assert (week.lookups, week.matched, week.unmatched) == (5, 3, 2)
    assert (week.answers, week.votes) == (2, 4)
    assert week.top == [("error:2026", 2), ("auth:3", 1)]
    assert week.steps == {"error:2026": {1: 2, None: 1}, "auth:3": {2: 1}}

    ever = await store.stats(0, guild_id=GUILD)
    assert (ever.lookups, ever.matched, ever.answers, ever.votes) == (7, 5, 3, 5)
    assert ever.top == [("auth:3", 3), ("error:2026", 2)]
    assert ever.steps["error:2026"] == {1: 2, None: 1, 3: 1}
    assert (await store.stats(0, top=1, guild_id=GUILD)).top == [("auth:3", 3)]


async def test_stats_for_one_entry_counts_only_that_entry(store: Store):
    """With entry_id, every count and the per-step votes cover that entry only."""
    for entry_id in ("error:2026", "auth:3", "auth:3", None):
        await store.add_lookup(_asked("q", entry_id, source="channel"))
    await _answer(store, 1, "error:2026")
    await _answer(store, 2, "auth:3")
    await store.vote(1, 100, 1)
    await store.vote(2, 100, 2)
    await store.vote(2, 101, None)

    one = await store.stats(0, entry_id="auth:3", guild_id=GUILD)
    assert (one.lookups, one.matched, one.answers, one.votes) == (2, 2, 1, 2)
    assert one.top == [("auth:3", 2)]
    assert one.steps == {"auth:3": {2: 1, None: 1}}


async def test_unmatched_recent_and_frequent(store: Store):
    """Recent lists the newest unmatched texts; frequent groups them ignoring case and padding,
    shown in their latest wording."""
    now = time.time()
    rows = [
        ("Error 2026 help", now - 50),
        ("error 2026 help ", now - 40),
        ("  ERROR 2026 HELP", now - 30),
        ("my app crashed", now - 20),
        ("spotify wont open", now - 10),
        ("ancient question", now - 40 * DAY),
    ]
    for query, at in rows:
        await _lookup(store, query, None, at)
    await _lookup(store, "auth 3", "auth:3", now - 5)  # matched: never listed

    recent, frequent = await store.unmatched(now - DAY, guild_id=GUILD)
    assert [r.query for r in recent] == [q for q, _ in rows[4::-1]]
    assert [(r.query, r.count) for r in frequent] == [
        ("  ERROR 2026 HELP", 3),
        ("spotify wont open", 1),
        ("my app crashed", 1),
    ]
    assert frequent[0].last_seen == pytest.approx(now - 30)
    recent, frequent = await store.unmatched(now - DAY, limit=2, guild_id=GUILD)
    assert len(recent) == len(frequent) == 2


async def test_unmatched_frequent_groups_non_ascii_case(store: Store):
    """'ÉCHEC DE CONNEXION' and 'échec de connexion' are one frequent question."""
    now = time.time()
    await _lookup(store, "ÉCHEC DE CONNEXION", None, now - 20)
    await _lookup(store, "échec de connexion", None, now - 10)
    _, frequent = await store.unmatched(now - DAY, guild_id=GUILD)
    assert [r.count for r in frequent] == [2]


async def test_reports_cover_only_the_server_they_are_asked_in(store: Store):
    """Another server's questions, answers and votes never reach this server's reports."""
    await store.add_lookup(_asked("ours unmatched", None))
    await store.add_lookup(_asked("auth 3", "auth:3"))
    await store.add_lookup(_asked("their secret question", None, guild_id=OTHER_GUILD))
    await store.add_lookup(_asked("their error", "error:2026", guild_id=OTHER_GUILD))
    await _answer(store, 1, "auth:3")
    await store.add_answer(Answer(2, "error:2026", OTHER_GUILD, 21))
    await store.vote(1, 100, 1)
    await store.vote(2, 100, 2)
    await store.vote(2, 101, None)

    ours = await store.stats(0, guild_id=GUILD)
    assert (ours.lookups, ours.matched, ours.unmatched, ours.answers, ours.votes) == (2, 1, 1, 1, 1)
    assert ours.top == [("auth:3", 1)] and ours.steps == {"auth:3": {1: 1}}
    recent, frequent = await store.unmatched(0, guild_id=GUILD)
    assert [r.query for r in recent] == [r.query for r in frequent] == ["ours unmatched"]
    theirs = await store.stats(0, guild_id=OTHER_GUILD, entry_id="error:2026")
    assert (theirs.lookups, theirs.answers, theirs.votes) == (1, 1, 2)
    # The counts under an answer stay global: anonymous numbers that help everyone.
    assert await store.step_votes("error:2026") == {2: 1, None: 1}


# ---------------------------------------------------------------- retention


async def test_purge_forgets_old_texts_but_keeps_counts(store_url: str):
    """Texts older than retention_days are cleared; the lookups still count in reports."""
    store = await _open(store_url, retention_days=30)
    try:
        now = time.time()
        await _lookup(store, "old secret text", None, now - 31 * DAY)
        await _lookup(store, "old matched text", "auth:3", now - 31 * DAY)
        await _lookup(store, "recent text", None, now - 29 * DAY)
        await store.purge()
        rows = await sql(store, "SELECT query FROM lookups ORDER BY created_at")
        assert rows == [(None,), (None,), ("recent text",)]
        stats = await store.stats(0, guild_id=GUILD)
        assert (stats.lookups, stats.matched, stats.unmatched) == (3, 1, 2)
        recent, frequent = await store.unmatched(0, guild_id=GUILD)
        assert [r.query for r in recent] == ["recent text"]
        assert [r.query for r in frequent] == ["recent text"]
    finally:
        await store.close()


async def test_opening_applies_the_retention(store_url: str):
    """A restart clears texts that aged past the retention while the bot was down."""
    store = await _open(store_url, retention_days=7)
    await _lookup(store, "left behind", None, time.time() - 8 * DAY)
    await store.close()
    store = await _open(store_url, retention_days=7)
    try:
        assert await sql(store, "SELECT query FROM lookups") == [(None,)]
    finally:
        await store.close()


# ---------------------------------------------------------------- a database refusing writes


async def _refusing_writes(store: Store, refuse, allow) -> None:
    """Votes made while the database refuses writes wait, unacknowledged, and land after."""
    await _answer(store, 1, "auth:73")
    await refuse()
    pending = [asyncio.ensure_future(store.vote(1, user, 1)) for user in range(5)]
    await asyncio.sleep(0.5)
    assert not any(p.done() for p in pending)  # nobody was told "saved"
    assert store.failing is not None and store.queued == 5
    assert await sql(store, "SELECT COUNT(*) FROM votes") == [(0,)]
    await allow()
    await asyncio.wait_for(asyncio.gather(*pending), 15)
    assert await sql(store, "SELECT COUNT(*) FROM votes") == [(5,)]
    assert store.failing is None


async def test_a_read_only_sqlite_database_holds_votes_until_writable(tmp_path: Path):
    """SQLITE_READONLY on the writer is waited out, the same path as locked or full."""
    store = await _open(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert isinstance(store, SQLiteStore)
    try:
        await _refusing_writes(
            store,
            lambda: store.db.execute("PRAGMA query_only = ON"),
            lambda: store.db.execute("PRAGMA query_only = OFF"),
        )
    finally:
        await store.close()


async def test_a_read_only_postgres_database_holds_votes_until_writable(pg_url: str):
    """The server turns the database read-only and drops the pool's connections: the writes
    wait in the queue, unacknowledged, and land once it takes writes again."""
    store = await _open(pg_url)
    name = pg_url.split("@/")[1].split("?")[0]

    async def set_read_only(on: bool) -> None:
        admin = await asyncpg.connect(pg_url)  # not the pool's: every one of those is dropped
        try:
            flag = "on" if on else "off"
            await admin.execute("SET default_transaction_read_only = off")  # this session
            await admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = {flag}")
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()

    try:
        await _refusing_writes(store, lambda: set_read_only(True), lambda: set_read_only(False))
    finally:
        await store.close()
