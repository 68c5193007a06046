"""Store benchmark: votes/s on PostgreSQL beside SQLite, then a two-process flood.

Run: python -m tests.bench.store [--votes 20000] [--flood 20000] [--concurrency 200]

Part 1 calls the store directly: `--votes` concurrent votes on one answer, committed in
batches by the write queue (group commit), 1,000 in flight, on a SQLite file and on a
throwaway PostgreSQL
server (fsync on, as in production). Part 2 runs two real bot processes (SHARD_COUNT=2, one
shard each) on that PostgreSQL against the fake Discord and floods both with `--flood` vote
clicks in all, then counts what was stored: none lost, none doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg

from bot.store import Answer, open_store
from tests import pg
from tests.fakediscord import FakeDiscord, start_bot
from tests.support import bot_env
from tests.test_shards import guilds_on_both_shards

IN_FLIGHT = 1_000  # votes waiting at once, as a busy bot's interactions would be


async def votes_per_second(url: str, n: int) -> float:
    store = await open_store(url)
    users = iter(range(n))

    async def voter() -> None:
        for user in users:
            await store.vote(1, user, user % 5 or None)

    try:
        await store.add_answer(Answer(1, "error:2026", 1, 1))
        started = time.perf_counter()
        await asyncio.gather(*(voter() for _ in range(IN_FLIGHT)))
        return n / (time.perf_counter() - started)
    finally:
        await store.close()


async def flood(url: str, total: int, concurrency: int, logs: Path) -> None:
    async with FakeDiscord() as fake:
        fake.shard_count = fake.max_concurrency = 2
        guilds = await guilds_on_both_shards(fake)
        procs, answers = [], {}
        for shard in (0, 1):
            env = bot_env(fake, logs / "unused.sqlite3", LOG_LEVEL="WARNING")
            env |= {"DATABASE_URL": url, "SHARD_COUNT": "2", "SHARD_IDS": str(shard)}
            procs.append(await start_bot(fake, ["run"], env=env, log_dir=logs / f"s{shard}"))
        for shard, guild in guilds.items():
            asker = fake.make_user(f"asker {shard}", guild=guild)
            answers[shard] = (
                await fake.slash_command("spotify-error", {"query": "auth:73"}, user=asker)
            ).message
        voters = [(n % 2, fake.make_user(f"voter {n}", guild=guilds[n % 2])) for n in range(total)]
        work = iter(voters)
        acked = 0

        async def worker() -> None:
            nonlocal acked
            for shard, voter in work:
                result = await fake.click("seb:v:1:auth:73", answers[shard], user=voter, timeout=60)
                acked += "Saved" in result.content

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        took = time.perf_counter() - started
        conn = await asyncpg.connect(url)
        rows = await conn.fetch("SELECT message_id, user_id FROM votes")
        await conn.close()
        keys = [tuple(r) for r in rows]
        print(
            f"two processes, {total:,} vote clicks: {total / took:,.0f}/s through the fake"
            f" Discord; acknowledged {acked:,}, stored {len(keys):,},"
            f" lost {total - len(set(keys)):,}, doubled {len(keys) - len(set(keys)):,}"
        )
        for proc in procs:
            await proc.stop()


async def main_async(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="seb-bench-pg-"))
    try:
        url = pg.start(folder, "-c fsync=on")  # PostgreSQL as it runs in production
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = await votes_per_second(f"sqlite:///{tmp}/bench.sqlite3", args.votes)
            conn = await asyncpg.connect(url)
            await conn.execute("CREATE DATABASE bench")
            await conn.close()
            postgres = await votes_per_second(url.replace("/postgres?", "/bench?"), args.votes)
            print(f"store, {args.votes:,} votes, {IN_FLIGHT:,} in flight (group commit):")
            print(f"  SQLite (WAL, synchronous=NORMAL)   {sqlite:9,.0f} votes/s")
            print(f"  PostgreSQL (fsync on)              {postgres:9,.0f} votes/s   target 2,000")
            conn = await asyncpg.connect(url)
            await conn.execute("CREATE DATABASE flood")
            await conn.close()
            await flood(
                url.replace("/postgres?", "/flood?"), args.flood, args.concurrency, Path(tmp)
            )
    finally:
        pg.stop(folder, "fast")
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=20_000)
    parser.add_argument("--flood", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=200)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
