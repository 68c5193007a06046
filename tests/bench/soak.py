"""Soak: 50,000 interactions and 20,000 votes through the fake Discord; bounded, stops itself.

Run: python -m tests.bench.soak [--interactions 50000] [--votes 20000]
Reports errors, votes present in SQLite, and the bot's resident memory after warm-up and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from tests.bench.matcher import DEV
from tests.fakediscord import FakeDiscord, start_bot
from tests.support import TOKEN

CONCURRENCY = 100


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def run(n_interactions: int, n_votes: int) -> int:
    dev = [c["query"] for c in json.loads(DEV.read_text())] if DEV.exists() else ["error 2026"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "soak.sqlite3"
        async with FakeDiscord(validate=False) as fake:
            env = {
                "DISCORD_TOKEN": TOKEN,
                "DATABASE_URL": f"sqlite:///{db}",
                "LOG_LEVEL": "WARNING",
            }
            proc = await start_bot(fake, ["run"], env=env, log_dir=tmp)
            answers = [
                await fake.slash_command("spotify-error", {"query": q})
                for q in ("auth:73", "error 2026", "accesspoint:39", "error 7")
            ]
            ids = [a.message["embeds"][0]["title"].split(" — ")[0] for a in answers]
            errors = 0
            warm_rss = 0
            start = time.perf_counter()

            async def interaction(i: int) -> None:
                nonlocal errors
                try:
                    if i % 10 == 9:
                        await fake.autocomplete(
                            "spotify-error",
                            {"query": dev[i % len(dev)][:8]},
                            focused="query",
                            timeout=30,
                        )
                    else:
                        # every fifth one is a question nothing matches, each different
                        query = f"no such thing {i}" if i % 5 == 4 else dev[i % len(dev)]
                        await fake.slash_command("spotify-error", {"query": query}, timeout=30)
                except Exception:
                    errors += 1

            async def vote(i: int) -> None:
                nonlocal errors
                k = i % len(answers)
                user = fake.make_user(f"soak{i}")
                try:
                    r = await fake.click(
                        f"seb:v:1:{ids[k]}", answers[k].message, user=user, timeout=30
                    )
                    errors += "Saved" not in r.content
                except Exception:
                    errors += 1

            async def pool(total: int, act, offset: int = 0) -> None:
                it = iter(range(offset, offset + total))

                async def worker() -> None:
                    for i in it:
                        await act(i)

                await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

            warm = min(5000, n_interactions // 10)
            await pool(warm, interaction)
            warm_rss = rss_kib(proc.pid)
            await pool(n_interactions - warm, interaction, warm)
            await pool(n_votes, vote)
            elapsed = time.perf_counter() - start
            end_rss = rss_kib(proc.pid)
            await proc.stop()
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT COUNT(*), COUNT(DISTINCT user_id) FROM votes").fetchone()
    growth = (end_rss - warm_rss) / warm_rss * 100 if warm_rss else float("nan")
    print(
        f"soak: {n_interactions} interactions + {n_votes} votes in {elapsed:.0f} s"
        f" ({(n_interactions + n_votes) / elapsed:.0f}/s), errors {errors}"
    )
    print(f"  votes in SQLite: {stored[0]} rows from {stored[1]} users (expected {n_votes})")
    print(
        f"  bot RSS after warm-up {warm_rss / 1024:.1f} MiB, at the end {end_rss / 1024:.1f}"
        f" MiB: growth {growth:+.1f}%"
    )
    ok = errors == 0 and stored == (n_votes, n_votes) and growth < 10
    print("  PASS" if ok else "  FAIL")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=50_000)
    parser.add_argument("--votes", type=int, default=20_000)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(run(args.interactions, args.votes)))


if __name__ == "__main__":
    main()
