"""Two processes, one shard each, sharing one PostgreSQL, against the fake Discord."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.fakediscord import FakeDiscord, start_bot
from tests.support import bot_env

VOTERS = 200  # per server: 400 votes across the two processes
IDENTIFY_SPACING = 5.0  # Discord's one IDENTIFY per bucket per 5 s, which the lock keeps


def shard_of(guild_id: int, count: int = 2) -> int:
    return (guild_id >> 22) % count


async def guilds_on_both_shards(fake: FakeDiscord) -> dict[int, object]:
    """One guild per shard: the first guild, and new ones until the other shard has one."""
    found = {shard_of(fake.guild.id): fake.guild}
    n = 0
    while len(found) < 2:
        n += 1
        guild = await fake.add_guild(f"Server {n}")
        found.setdefault(shard_of(guild.id), guild)
    return found


async def stored_votes(url: str) -> list[tuple]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch("SELECT message_id, user_id FROM votes")]
    finally:
        await conn.close()


async def test_each_server_is_answered_once_by_its_shard_and_every_vote_is_stored(pg_url, tmp_path):
    async with FakeDiscord() as fake:
        fake.shard_count = 2
        guilds = await guilds_on_both_shards(fake)
        helps = ",".join(str(fake.channel_id("help", g)) for g in guilds.values())
        procs = {}
        for shard in (0, 1):
            env = bot_env(fake, tmp_path / "unused.sqlite3", HELP_CHANNEL_IDS=helps)
            env |= {"DATABASE_URL": pg_url, "SHARD_COUNT": "2", "SHARD_IDS": str(shard)}
            procs[shard] = await start_bot(
                fake, ["run"], env=env, log_dir=tmp_path / f"shard{shard}", timeout=30
            )
        identified = [p["shard"] for p in fake.identify_payloads]
        assert sorted(identified) == [[0, 2], [1, 2]]

        answers = {}
        for shard, guild in guilds.items():
            paster = fake.make_user(f"paster {shard}", guild=guild)
            reply = await fake.post_message(
                fake.channel_id("help", guild), "error 2026 again", author=paster
            )
            assert reply["embeds"][0]["title"].startswith("error:2026")
            answers[shard] = reply
        for shard, guild in guilds.items():
            # The answer's log line follows the reply: wait for it, then look at both logs.
            await procs[shard].wait_ready(10, line=rf"answer source=channel .* guild={guild.id}")
            mine, other = procs[shard].log_text(), procs[1 - shard].log_text()
            assert mine.count("answer source=channel entry=error:2026") == 1
            assert f"guild={guild.id}" not in other

        async def vote(shard: int, n: int) -> str:
            voter = fake.make_user(f"voter {shard}-{n}", guild=guilds[shard])
            result = await fake.click("seb:v:1:error:2026", answers[shard], user=voter, timeout=30)
            return result.content

        acks = await asyncio.gather(*(vote(s, n) for s in (0, 1) for n in range(VOTERS)))
        assert all("Saved" in a for a in acks)
        stored = await stored_votes(pg_url)
        assert len(stored) == len(set(stored)) == 2 * VOTERS

        for shard, guild in guilds.items():
            mod = fake.make_user(f"mod {shard}", roles=["Moderator"], guild=guild)
            stats = await fake.slash_command("fix-stats", user=mod)
            assert f"**Votes** {VOTERS}" in stats.embeds[0]["description"]
        # The counts under an answer are read from the shared database, not a stale cache:
        # an answer posted now by either process shows every vote, wherever it was cast.
        later = await fake.slash_command(
            "spotify-error", {"query": "error 2026"}, user=fake.make_user("late", guild=guilds[0])
        )
        steps = next(f for f in later.embeds[0]["fields"] if f["name"] == "Steps")
        assert f"worked for {2 * VOTERS} people" in steps["value"]
        for proc in procs.values():
            await proc.stop()
        fake.assert_valid()


async def test_identify_waits_for_its_bucket_across_processes(pg_url, tmp_path):
    """With max_concurrency 1, the second process IDENTIFYs at least 5 s after the first."""
    async with FakeDiscord() as fake:
        fake.shard_count, fake.max_concurrency = 2, 1
        procs = []
        for shard in (0, 1):
            env = bot_env(fake, tmp_path / "unused.sqlite3")
            env |= {"DATABASE_URL": pg_url, "SHARD_COUNT": "2", "SHARD_IDS": str(shard)}
            procs.append(
                await start_bot(fake, ["run"], env=env, log_dir=tmp_path / f"s{shard}", ready=False)
            )
        for proc in procs:
            await proc.wait_ready(30, line=r"connected as")
        times = fake.gateway.identify_times
        assert len(times) == 2 and times[1] - times[0] >= IDENTIFY_SPACING - 0.2
        for proc in procs:
            await proc.stop()
