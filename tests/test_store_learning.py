"""The store's lessons on both backends: picks, links, per server, and the retention."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.learning import Learned
from bot.store import Store, open_store
from tests.test_store import sql

GUILD, OTHER = 1, 2
QUESTION = "Spotify wants me to move to another country??"


@pytest.fixture
async def store(store_url: str):
    opened = await open_store(store_url)
    yield opened
    await opened.close()


async def test_a_moderators_link_is_learned_for_that_server_only(store: Store):
    await store.link(GUILD, QUESTION, "accounts:408", moderator_id=9)
    assert await store.learned(GUILD) == [Learned(GUILD, QUESTION, "accounts:408", True)]
    assert await store.learned(OTHER) == []


async def test_three_different_users_picking_the_same_entry_teach_it(store: Store):
    for _ in range(5):  # one user, however often, is one voice
        await store.add_pick(GUILD, 100, QUESTION, "accounts:408")
    await store.add_pick(
        GUILD, 101, "spotify wants me to MOVE to another country??", "accounts:408"
    )
    assert await store.learned(GUILD) == []
    await store.add_pick(GUILD, 102, QUESTION, "accounts:408")
    [learned] = await store.learned(GUILD)
    assert (learned.entry_id, learned.by_moderator) == ("accounts:408", False)
    assert await store.learned(OTHER) == []


async def test_picks_that_disagree_teach_nothing_and_a_changed_pick_counts_once(store: Store):
    await store.add_pick(GUILD, 100, QUESTION, "accounts:408")
    await store.add_pick(GUILD, 101, QUESTION, "auth:73")
    await store.add_pick(GUILD, 102, QUESTION, "accounts:408")
    await store.add_pick(GUILD, 101, QUESTION, "error:2026")  # changes 101's pick
    assert await store.learned(GUILD) == []


async def test_a_link_outranks_picks_and_forgetting_removes_both(store: Store):
    for user in (100, 101, 102):
        await store.add_pick(GUILD, user, QUESTION, "auth:73")
    await store.link(GUILD, QUESTION, "accounts:408", moderator_id=9)
    assert [(x.entry_id, x.by_moderator) for x in await store.learned(GUILD)] == [
        ("accounts:408", True)
    ]
    await store.forget(GUILD, QUESTION.upper())
    assert await store.learned(GUILD) == []
    await store.add_pick(GUILD, 103, QUESTION, "auth:73")  # old picks are gone: one voice
    assert await store.learned(GUILD) == []


async def test_old_picks_are_purged_with_the_query_texts(store_url: str):
    store = await open_store(store_url, retention_days=1)
    try:
        for user in (100, 101, 102):
            await store.add_pick(GUILD, user, QUESTION, "auth:73")
        await sql(store, f"UPDATE picks SET picked_at = {time.time() - 3 * 86400}")
        await store.purge()
        assert await store.learned(GUILD) == []
    finally:
        await store.close()


async def test_export_learned_writes_the_catalogs_keywords_format(tmp_path: Path, run_bot):
    db = tmp_path / "db.sqlite3"
    store = await open_store(f"sqlite:///{db}")
    await store.link(GUILD, QUESTION, "accounts:408", moderator_id=9)
    await store.link(OTHER, "the green dot is gone", "connect:device-picker", moderator_id=8)
    await store.close()
    out = run_bot("db", "export-learned", "--database", str(db))
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout) == [
        {"id": "accounts:408", "keywords": [QUESTION]},
        {"id": "connect:device-picker", "keywords": ["the green dot is gone"]},
    ]
    one = run_bot("db", "export-learned", "--database", str(db), "--guild", str(OTHER))
    assert yaml.safe_load(one.stdout) == [
        {"id": "connect:device-picker", "keywords": ["the green dot is gone"]}
    ]
    missing = run_bot("db", "export-learned", "--database", str(tmp_path / "none.sqlite3"))
    assert missing.returncode == 2 and missing.stderr.decode().count("\n") == 1
