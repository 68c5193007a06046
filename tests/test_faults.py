"""Faults through the fake Discord: gateway, REST errors, a refusing database, kill -9."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from pathlib import Path

from tests.fakediscord import FakeDiscord, start_bot
from tests.support import bot_env, votes, wait_for_rows


def hold_write_lock(db: Path, seconds: float) -> threading.Thread:
    """Another process-like writer holding SQLite's write lock (what 'database locked' is)."""
    ready = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        ready.set()
        threading.Event().wait(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    ready.wait(5)
    return thread


async def test_gateway_drop_and_silence_are_survived(fake: FakeDiscord, tmp_path: Path):
    env = bot_env(fake, tmp_path / "db.sqlite3", FAKE_DISCORD_HEARTBEAT_TIMEOUT="2")
    proc = await start_bot(fake, ["run"], env=env, log_dir=tmp_path)
    await fake.drop_gateway()
    await fake.wait_for_resume(1, timeout=10)
    assert (await fake.slash_command("spotify-error", {"query": "auth:73"})).embeds
    fake.gateway.ack_heartbeats = False  # a silent, half-dead connection
    await fake.wait_for_resume(2, timeout=15)
    fake.gateway.ack_heartbeats = True
    assert (await fake.slash_command("spotify-error", {"query": "error 2026"})).embeds
    assert await proc.stop() == 0


async def test_rest_429_and_5xx_are_retried_and_the_answer_arrives(fake, tmp_path):
    proc = await start_bot(
        fake, ["run"], env=bot_env(fake, tmp_path / "db.sqlite3"), log_dir=tmp_path
    )
    fake.fail_next("POST", r"/interactions/.*/callback", 429, retry_after=0.3)
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"}, timeout=10)
    assert answer.embeds[0]["title"].startswith("auth:73")
    fake.fail_next("POST", r"/channels/\d+/messages", 503)
    reply = await fake.post_message(fake.channel_id("help"), "Error code: accesspoint:39", wait=10)
    assert reply["embeds"][0]["title"].startswith("accesspoint:39")
    statuses = [r.status for r in fake.requests if r.method == "POST"]
    assert 429 in statuses and 503 in statuses
    await proc.stop()


async def test_discord_failing_every_retry_is_logged_and_the_bot_goes_on(fake, tmp_path):
    proc = await start_bot(
        fake, ["run"], env=bot_env(fake, tmp_path / "db.sqlite3"), log_dir=tmp_path
    )
    help_id = fake.channel_id("help")
    fake.fail_next("POST", r"/channels/\d+/messages", 503, count=4)  # the reply + 3 retries
    await fake.dispatch_message(help_id, "Error code: accesspoint:39")
    # 0.5 + 1 + 2 s of back-off between the four tries, then one clear line
    gave_up = re.escape("help-channel answer: Discord failed 4 times (503")
    await proc.wait_ready(timeout=20, line=gave_up)
    reply = await fake.post_message(help_id, "auth:73 again", author=fake.make_user("next"))
    assert reply["embeds"][0]["title"].startswith("auth:73")
    await proc.stop()


async def answer_then_lock(fake: FakeDiscord, tmp_path: Path, seconds: float) -> tuple:
    """Start the bot, post an answer, then hold the database's write lock for `seconds`."""
    db = tmp_path / "db.sqlite3"
    proc = await start_bot(fake, ["run"], env=bot_env(fake, db), log_dir=tmp_path)
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    await wait_for_rows(db, "SELECT COUNT(*) FROM answers", 1)
    holder = await asyncio.to_thread(hold_write_lock, db, seconds)
    return db, proc, answer, holder


async def test_slow_database_defers_the_vote_and_saves_it(fake, tmp_path):
    db, proc, answer, holder = await answer_then_lock(fake, tmp_path, 4.0)
    voter = fake.make_user("patient")
    click = await fake.click("seb:v:1:auth:73", answer.message, user=voter)
    assert click.type == 5  # deferred inside Discord's 3 s, not failed
    followup = await click.wait_followup(timeout=15)
    assert "Saved" in followup["content"]
    assert votes(db) == [(int(answer.message["id"]), voter.id, 1)]
    holder.join()
    await proc.stop()


async def test_locked_database_queues_votes_and_never_claims_them_saved(fake, tmp_path):
    db, proc, answer, holder = await answer_then_lock(fake, tmp_path, 14.0)
    voters = [fake.make_user(f"queued{i}") for i in range(3)]
    clicks = await asyncio.gather(
        *(fake.click("seb:v:2:auth:73", answer.message, user=v) for v in voters)
    )
    notes = await asyncio.gather(*(c.wait_followup(timeout=15) for c in clicks))
    for note in notes:
        assert "queued" in note["content"] and "not saved yet" in note["content"].lower()
    assert votes(db) == []  # nothing claimed, nothing written yet
    holder.join()
    await wait_for_rows(db, "SELECT COUNT(*) FROM votes", 3, timeout=15)
    assert "database refuses writes" in proc.log_text()
    await proc.stop()


async def first_saved(clicks: list[asyncio.Task], timeout: float = 15) -> None:
    """Wait until some click has been told "Saved" (a fixed sleep is too short on slow CI)."""
    pending = set(clicks)
    deadline = asyncio.get_running_loop().time() + timeout
    while pending:
        left = deadline - asyncio.get_running_loop().time()
        done, pending = await asyncio.wait(
            pending, timeout=max(left, 0), return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            raise AssertionError(f"no vote acknowledged within {timeout} s")
        if any(t.exception() is None and "Saved" in t.result().content for t in done):
            return


async def vote_flood(fake: FakeDiscord, db: Path, tmp_path: Path, n: int, stop) -> tuple:
    """Start the bot, flood one answer with n votes, call `stop(proc)` mid-flood.

    Returns (results of the clicks, ids of the users told "Saved", what stop returned).
    """
    proc = await start_bot(
        fake, ["run"], env=bot_env(fake, db, LOG_LEVEL="WARNING"), log_dir=tmp_path
    )
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    voters = [fake.make_user(f"flood{i}") for i in range(n)]
    clicks = [
        asyncio.create_task(fake.click("seb:v:1:auth:73", answer.message, user=v, timeout=10))
        for v in voters
    ]
    await first_saved(clicks)  # mid-flood: votes acknowledged and many more in flight
    stopped = await stop(proc)
    results = await asyncio.gather(*clicks, return_exceptions=True)
    acked = {
        v.id
        for v, r in zip(voters, results, strict=True)
        if not isinstance(r, BaseException) and "Saved" in r.content
    }
    return results, acked, stopped


async def test_kill_9_during_a_vote_flood_loses_no_acknowledged_vote(fake, tmp_path):
    db = tmp_path / "db.sqlite3"
    _, acked, _ = await vote_flood(fake, db, tmp_path, 600, lambda proc: proc.kill())
    assert acked, "the flood ended before any vote was acknowledged"
    proc = await start_bot(fake, ["run"], env=bot_env(fake, db), log_dir=tmp_path / "after")
    stored = {user for _, user, _ in votes(db)}
    assert acked <= stored, f"{len(acked - stored)} acknowledged votes lost"
    await proc.stop()


async def test_sigterm_finishes_in_flight_votes_and_exits_cleanly(fake, tmp_path):
    db = tmp_path / "db.sqlite3"

    async def terminate(proc) -> tuple[int, float]:
        started = asyncio.get_running_loop().time()
        code = await proc.stop(timeout=10)
        return code, asyncio.get_running_loop().time() - started

    results, acked, (code, took) = await vote_flood(fake, db, tmp_path, 300, terminate)
    assert code == 0 and took < 10
    answered = [r for r in results if not isinstance(r, BaseException)]
    assert len(answered) == len(results)  # every click got an answer: saved, or "restarting"
    assert acked <= {user for _, user, _ in votes(db)}
