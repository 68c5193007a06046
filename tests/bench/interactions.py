"""Interaction benchmark through the fake Discord on loopback: the real bot beside the ceiling.

Both bots answer the same query with the same bytes (the ceiling sends the bot's own reply to
it, computed once), alternating round by round; the share is the median over rounds.
Run: python -m tests.bench.interactions [--n 2000] [--concurrency 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bot.store import SQLiteStore
from tests.bench.stub_bot import QUERY
from tests.fakediscord import FakeDiscord, start_bot
from tests.fakediscord.payloads import custom_ids
from tests.support import TOKEN


async def phase(label: str, n: int, concurrency: int, act) -> dict[str, float]:
    """Run n interactions, `concurrency` in flight; latency is dispatch → callback."""
    latencies: list[float] = []
    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            result = await act(i)
            latencies.append(result.latency)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    row = {
        "per_s": n / elapsed,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1e3,
    }
    print(
        f"  {label:<34} {row['per_s']:7.0f}/s   p50 {row['p50_ms']:6.1f} ms"
        f"   p99 {row['p99_ms']:6.1f} ms"
    )
    return row


async def run_bot(
    fake: FakeDiscord,
    args: list[str],
    env: dict,
    entry: str | None,
    n: int,
    concurrency: int,
    db: Path | None,
) -> dict:
    proc = await start_bot(fake, args, env=env, entry=entry, log_dir=env.get("LOG_DIR"))
    out: dict[str, dict] = {}
    try:
        out["lookups"] = await phase(
            f"slash command {QUERY!r} → answer",
            n,
            concurrency,
            lambda i: fake.slash_command("spotify-error", {"query": QUERY}, timeout=30),
        )
        answer = await fake.slash_command("spotify-error", {"query": QUERY})
        first = next(c for c in custom_ids(answer.message) if c.startswith("seb:v:1:"))
        users = [fake.make_user(f"voter{i}") for i in range(n)]
        out["votes"] = await phase(
            "vote click → saved",
            n,
            concurrency,
            lambda i: fake.click(first, answer.message, user=users[i], timeout=30),
        )
        if db is not None:
            with sqlite3.connect(db) as conn:
                rows = conn.execute(
                    "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM votes"
                ).fetchone()
            print(f"  votes in SQLite: {rows[0]} rows, {rows[1]} users (expected {n} / {n})")
            out["vote_rows_ok"] = rows == (n, n)
    finally:
        await proc.stop()
    return out


async def store_votes(n: int, concurrency: int) -> None:
    """The store alone: sustained vote writes with group commit."""
    with tempfile.TemporaryDirectory() as tmp:
        store = await SQLiteStore.open(Path(tmp) / "votes.sqlite3")
        from bot.store import Answer

        await store.add_answer(Answer(1, "auth:73", 1, 1))
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                await store.vote(1, i, 1 + i % 4)

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - start
        (count,) = await store._one("SELECT COUNT(*) FROM votes", ())
        await store.close()
        print(
            f"  store: {n} votes committed in {elapsed:.2f} s = {n / elapsed:,.0f} votes/s;"
            f" rows {count} (expected {n})"
        )


async def main_async(n: int, concurrency: int, rounds: int) -> None:
    shares: dict[str, list[float]] = {"lookups": [], "votes": []}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:

        async def ceiling_run(fake: FakeDiscord, r: int) -> dict:
            print(
                f"round {r + 1}: ceiling, discord.py sending the bot's answer, computed"
                f" once ({n} interactions, {concurrency} in flight)"
            )
            env = {"PYTHONPATH": ".", "LOG_DIR": tmp}
            return await run_bot(fake, [], env, "tests.bench.stub_bot:main", n, concurrency, None)

        async def our_run(fake: FakeDiscord, r: int) -> dict:
            db = Path(tmp) / f"bench{r}.sqlite3"
            env = {
                "DISCORD_TOKEN": TOKEN,
                "DATABASE_URL": f"sqlite:///{db}",
                "LOG_DIR": tmp,
                "LOG_LEVEL": "INFO",
            }
            print(f"round {r + 1}: spotify-error-bot, real lookups, real votes in SQLite")
            return await run_bot(fake, ["run"], env, None, n, concurrency, db)

        for r in range(rounds):
            # Alternate who goes first, so drift on the machine hits both alike; a fresh
            # fake for every run, as its own bookkeeping grows with each interaction.
            runs = {}
            for who in ("ceiling", "ours") if r % 2 == 0 else ("ours", "ceiling"):
                async with FakeDiscord(validate=False) as fake:
                    runs[who] = await (ceiling_run if who == "ceiling" else our_run)(fake, r)
            ceiling, ours = runs["ceiling"], runs["ours"]
            ok = ok and ours["vote_rows_ok"]
            for key in shares:
                shares[key].append(ours[key]["per_s"] / ceiling[key]["per_s"])
                print(f"  {key}: {shares[key][-1]:.0%} of the ceiling")
    print(f"median of {rounds} alternating rounds:")
    for key, values in shares.items():
        print(
            f"  {key}: {statistics.median(values):.0%} of the ceiling"
            f" (rounds: {', '.join(f'{v:.0%}' for v in values)})"
        )
    print(f"  every vote stored once: {ok}")
    print("store alone:")
    await store_votes(20_000, 500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main_async(args.n, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
