"""Faults with PostgreSQL: a shard process killed mid-flood, and the server restarting."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests import pg
from tests.fakediscord import FakeDiscord, start_bot
from tests.support import bot_env
from tests.test_faults import first_saved
from tests.test_shards import guilds_on_both_shards

FLOOD = 300  # votes per server


async def stored_users(url: str) -> set[int]:
    conn = await asyncpg.connect(url)
    try:
        return {r[0] for r in await conn.fetch("SELECT user_id FROM votes")}
    finally:
        await conn.close()


def acked(voters, results) -> set[int]:
    """The voters told "Saved"."""
    return {
        v.id
        for v, r in zip(voters, results, strict=True)
        if not isinstance(r, BaseException) and "Saved" in r.content
    }


async def test_kill_9_of_one_shard_mid_flood_loses_none_of_its_votes_and_spares_the_other(
    pg_url, tmp_path
):
    async with FakeDiscord() as fake:
        fake.shard_count = fake.max_concurrency = 2
        guilds = await guilds_on_both_shards(fake)
        procs, answers = {}, {}
        for shard in (0, 1):
            env = bot_env(fake, tmp_path / "unused.sqlite3", LOG_LEVEL="WARNING")
            env |= {"DATABASE_URL": pg_url, "SHARD_COUNT": "2", "SHARD_IDS": str(shard)}
            procs[shard] = await start_bot(fake, ["run"], env=env, log_dir=tmp_path / f"s{shard}")
        for shard, guild in guilds.items():
            asker = fake.make_user(f"asker {shard}", guild=guild)
            reply = await fake.slash_command("spotify-error", {"query": "auth:73"}, user=asker)
            answers[shard] = reply.message
        voters = {
            s: [fake.make_user(f"v{s}-{n}", guild=guilds[s]) for n in range(FLOOD)] for s in (0, 1)
        }
        clicks = {
            s: [
                asyncio.create_task(fake.click("seb:v:1:auth:73", answers[s], user=v, timeout=15))
                for v in voters[s]
            ]
            for s in (0, 1)
        }
        await first_saved(clicks[0])
        await procs[0].kill()
        results = {s: await asyncio.gather(*clicks[s], return_exceptions=True) for s in (0, 1)}
        stored = await stored_users(pg_url)
        killed, spared = acked(voters[0], results[0]), acked(voters[1], results[1])
        assert killed and killed <= stored  # every vote it acknowledged is in the database
        assert len(spared) == FLOOD and spared <= stored  # the other shard never noticed
        await procs[1].stop()
        assert "Traceback" not in procs[1].log_text()


@pytest.fixture
def private_postgres():
    """A server of this test's own, to stop and start without disturbing other tests."""
    if pg.bindir() is None:
        pytest.skip("PostgreSQL is not installed here (no initdb)")
    folder = Path(tempfile.mkdtemp(prefix="seb-pg-restart-"))
    try:
        yield folder, pg.start(folder, pg.DURABLE)
    finally:
        pg.stop(folder, "immediate")
        shutil.rmtree(folder, ignore_errors=True)


async def healthz(port: int) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as r:
        return r.status, await r.text()


async def test_postgres_crashing_mid_flood_queues_the_writes_and_loses_none(
    private_postgres, tmp_path, unused_tcp_port
):
    folder, url = private_postgres
    async with FakeDiscord() as fake:
        env = bot_env(fake, tmp_path / "unused.sqlite3", LOG_LEVEL="WARNING")
        env |= {"DATABASE_URL": url, "HEALTH_PORT": str(unused_tcp_port)}
        proc = await start_bot(fake, ["run"], env=env, log_dir=tmp_path)
        answer = (await fake.slash_command("spotify-error", {"query": "auth:73"})).message
        voters = [fake.make_user(f"voter {n}") for n in range(FLOOD)]
        clicks = [
            asyncio.create_task(fake.click("seb:v:1:auth:73", answer, user=v, timeout=20))
            for v in voters
        ]
        await first_saved(clicks)
        await asyncio.to_thread(pg.stop, folder, "immediate")  # it crashes, mid-flood
        later = [fake.make_user(f"late {n}") for n in range(20)]
        waiting = [
            asyncio.create_task(fake.click("seb:v:2:auth:73", answer, user=v, timeout=20))
            for v in later
        ]
        for _ in range(300):  # until the health check says why (30 s at most: slow CI)
            status, body = await healthz(unused_tcp_port)
            if status == 503:
                break
            await asyncio.sleep(0.1)
        assert status == 503 and "database" in body
        # meanwhile questions are still answered (the vote counts wait for the database)
        asked = await fake.slash_command(
            "spotify-error", {"query": "error 2026"}, user=fake.make_user("asker")
        )
        assert asked.embeds[0]["title"].startswith("error:2026")
        await asyncio.to_thread(pg.restart, folder)  # then it is back
        results = await asyncio.gather(*clicks, *waiting, return_exceptions=True)
        told_saved = acked(voters + later, results)
        for _ in range(300):  # the queued votes land once the server is back (60 s at most)
            stored = await stored_users(url)
            if len(stored) == FLOOD + len(later):
                break
            await asyncio.sleep(0.2)
        assert told_saved <= stored and len(stored) == FLOOD + len(later)
        assert (await healthz(unused_tcp_port))[0] == 200
        await proc.stop()
        assert "Traceback" not in proc.log_text()  # the outage is told in lines, not dumps
        fake.assert_valid()


async def test_a_database_down_at_start_is_retried_and_a_refusing_one_is_one_line(pg_url, tmp_path):
    async with FakeDiscord() as fake:
        down = bot_env(
            fake, tmp_path / "x.sqlite3", DATABASE_URL="postgresql://bot:pw@127.0.0.1:9/x"
        )
        proc = await start_bot(fake, ["run"], env=down, log_dir=tmp_path / "down", ready=False)
        await proc.wait_ready(15, line=r"cannot reach the database .*trying again in 2 s")
        assert await proc.stop() == 0
        assert "Traceback" not in proc.log_text() and "pw@" not in proc.log_text()

        missing = pg_url.replace("/t_", "/nosuch_", 1)
        refused = bot_env(fake, tmp_path / "x.sqlite3", DATABASE_URL=missing)
        proc = await start_bot(fake, ["run"], env=refused, log_dir=tmp_path / "no", ready=False)
        assert await proc.wait(15) == 2
        assert "the database refused the connection" in proc.log_text()
        assert "Traceback" not in proc.log_text()
