"""The SQLite store on a real file: migrations, votes, durability, reports and retention."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from bot.store import Answer, Lookup, Store, StoreError

DAY = 86400.0
OPEN_TIMEOUT = 5  # a store whose writer died never finishes opening: fail, don't hang


async def _open(path: Path, **kwargs) -> Store:
    return await asyncio.wait_for(Store.open(path, **kwargs), OPEN_TIMEOUT)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "folder" / "x.sqlite3"


@pytest.fixture
async def store(db_path: Path):
    store = await _open(db_path)
    yield store
    await store.close()


def _sql(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on a separate plain sqlite3 connection, as another process would."""
    with sqlite3.connect(path, timeout=5) as conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows


GUILD, OTHER_GUILD = 10, 11


def _lookup(
    path: Path, query: str | None, entry_id: str | None, at: float, guild_id: int = GUILD
) -> None:
    """A lookup row as Store.add_lookup writes it, at a chosen time."""
    key = None if query is None else " ".join(query.casefold().split())
    _sql(
        path,
        "INSERT INTO lookups (created_at, source, query, query_key, entry_id, score, confident,"
        " guild_id) VALUES (?, 'slash', ?, ?, ?, ?, ?, ?)",
        (at, query, key, entry_id, 90.0 if entry_id else 0.0, int(entry_id is not None), guild_id),
    )


def _asked(query: str, entry_id: str | None, guild_id: int = GUILD, source: str = "slash"):
    """A lookup record as the helpdesk makes one."""
    return Lookup(
        source, query, entry_id, 80.0 if entry_id else 0.0, entry_id is not None, guild_id, 20
    )


async def _answer(store: Store, message_id: int, entry_id: str) -> None:
    await store.add_answer(Answer(message_id, entry_id, 10, 20))


# ---------------------------------------------------------------- opening and migrations


async def test_open_creates_folder_file_and_schema(db_path: Path):
    """A fresh path gets its folders, the database, migration 001 and the pragmas."""
    assert not db_path.parent.exists()
    store = await _open(db_path)
    try:
        assert db_path.is_file()
        assert _sql(db_path, "SELECT version, name FROM schema_migrations") == [
            (1, "001_initial.sql"),
            (2, "002_query_key.sql"),
            (3, "003_per_guild_reports.sql"),
            (4, "004_learning.sql"),
        ]
        tables = {r[0] for r in _sql(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"lookups", "answers", "votes"} <= tables
        assert _sql(db_path, "PRAGMA journal_mode") == [("wal",)]
        async with store.db.execute("PRAGMA foreign_keys") as cur:
            assert await cur.fetchone() == (1,)
    finally:
        await store.close()


async def test_reopening_applies_nothing_and_keeps_data(db_path: Path):
    """Opening an existing database again adds no migration row and loses no vote."""
    store = await _open(db_path)
    await _answer(store, 1, "error:2026")
    await store.vote(1, 100, 2)
    await store.close()
    before = _sql(db_path, "SELECT * FROM schema_migrations")

    store = await _open(db_path)
    try:
        assert _sql(db_path, "SELECT * FROM schema_migrations") == before
        assert await store.step_votes("error:2026") == {2: 1}
    finally:
        await store.close()


# ---------------------------------------------------------------- votes


async def test_one_vote_per_user_per_answer(store: Store, db_path: Path):
    """Voting again changes the user's step; it never adds a second vote."""
    await _answer(store, 1, "error:2026")
    await store.vote(1, 100, 1)
    await store.vote(1, 100, 3)
    assert await store.step_votes("error:2026") == {3: 1}
    assert _sql(db_path, "SELECT user_id, step FROM votes") == [(100, 3)]


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


async def test_vote_is_on_disk_when_vote_returns(store: Store, db_path: Path):
    """Once vote() returns, another connection to the file sees the vote."""
    await _answer(store, 7, "error:7")
    await store.vote(7, 555, 4)
    assert _sql(db_path, "SELECT message_id, user_id, step FROM votes") == [(7, 555, 4)]


async def test_recording_an_answer_again_keeps_its_votes(store: Store, db_path: Path):
    """A click and the answer's own record can both record it: saved votes must survive."""
    await _answer(store, 7, "error:7")
    await store.vote(7, 555, 4)
    await store.add_answer(Answer(7, "error:7", 10, 20))
    assert _sql(db_path, "SELECT message_id, user_id, step FROM votes") == [(7, 555, 4)]


async def test_thousand_concurrent_votes_all_land(store: Store, db_path: Path):
    """1,000 users voting at once: every vote is saved with its own step."""
    await _answer(store, 1, "error:2026")
    await asyncio.gather(*(store.vote(1, user, user % 5 or None) for user in range(1000)))
    assert _sql(db_path, "SELECT COUNT(*) FROM votes") == [(1000,)]
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
    """A write SQLite cannot take raises StoreError, and the next vote is still saved."""
    await _answer(store, 1, "error:2026")
    with pytest.raises(StoreError):
        await asyncio.wait_for(bad(store), 0.5)
    await asyncio.wait_for(store.vote(1, 100, 1), 0.5)
    assert await store.step_votes("error:2026") == {1: 1}


# ---------------------------------------------------------------- reports


async def test_stats_counts_lookups_answers_votes_and_steps(store: Store, db_path: Path):
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
    _lookup(db_path, "old", "auth:3", now - 30 * DAY)
    _lookup(db_path, "old", "auth:3", now - 30 * DAY)
    _sql(
        db_path,
        "INSERT INTO answers (message_id, entry_id, guild_id, created_at)"
        " VALUES (3, 'error:2026', 10, ?)",
        (now - 30 * DAY,),
    )
    _sql(db_path, "INSERT INTO votes VALUES (3, 100, 3, ?)", (now - 30 * DAY,))

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


async def test_unmatched_recent_and_frequent(store: Store, db_path: Path):
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
        _lookup(db_path, query, None, at)
    _lookup(db_path, "auth 3", "auth:3", now - 5)  # matched: never listed

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


async def test_unmatched_frequent_groups_non_ascii_case(store: Store, db_path: Path):
    """'ÉCHEC DE CONNEXION' and 'échec de connexion' are one frequent question."""
    now = time.time()
    _lookup(db_path, "ÉCHEC DE CONNEXION", None, now - 20)
    _lookup(db_path, "échec de connexion", None, now - 10)
    _, frequent = await store.unmatched(now - DAY, guild_id=GUILD)
    assert [r.count for r in frequent] == [2]


async def test_reports_cover_only_the_server_they_are_asked_in(store: Store, db_path: Path):
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


async def test_purge_forgets_old_texts_but_keeps_counts(db_path: Path):
    """Texts older than retention_days are cleared; the lookups still count in reports."""
    store = await _open(db_path, retention_days=30)
    try:
        now = time.time()
        _lookup(db_path, "old secret text", None, now - 31 * DAY)
        _lookup(db_path, "old matched text", "auth:3", now - 31 * DAY)
        _lookup(db_path, "recent text", None, now - 29 * DAY)
        await store.purge()
        rows = _sql(db_path, "SELECT query FROM lookups ORDER BY created_at")
        assert rows == [(None,), (None,), ("recent text",)]
        stats = await store.stats(0, guild_id=GUILD)
        assert (stats.lookups, stats.matched, stats.unmatched) == (3, 1, 2)
        recent, frequent = await store.unmatched(0, guild_id=GUILD)
        assert [r.query for r in recent] == ["recent text"]
        assert [r.query for r in frequent] == ["recent text"]
    finally:
        await store.close()


async def test_opening_applies_the_retention(db_path: Path):
    """A restart clears texts that aged past the retention while the bot was down."""
    store = await _open(db_path, retention_days=7)
    await store.close()
    _lookup(db_path, "left behind", None, time.time() - 8 * DAY)
    store = await _open(db_path, retention_days=7)
    try:
        assert _sql(db_path, "SELECT query FROM lookups") == [(None,)]
    finally:
        await store.close()


async def _refusing_writes(store: Store, pragma: str, restore: str, db_path: Path) -> None:
    """Votes made while the database refuses writes wait, unacknowledged, and land after."""
    await _answer(store, 1, "auth:73")
    await store.db.execute(pragma)
    pending = [asyncio.ensure_future(store.vote(1, user, 1)) for user in range(5)]
    await asyncio.sleep(0.5)
    assert not any(p.done() for p in pending)  # nobody was told "saved"
    assert store.failing is not None and store.queued == 5
    assert _sql(db_path, "SELECT COUNT(*) FROM votes") == [(0,)]
    await store.db.execute(restore)
    await asyncio.wait_for(asyncio.gather(*pending), 10)
    assert _sql(db_path, "SELECT COUNT(*) FROM votes") == [(5,)]
    assert store.failing is None


async def test_a_read_only_database_holds_votes_until_writable(store: Store, db_path: Path):
    """SQLITE_READONLY on the writer is waited out, the same path as locked or full."""
    await _refusing_writes(store, "PRAGMA query_only = ON", "PRAGMA query_only = OFF", db_path)
