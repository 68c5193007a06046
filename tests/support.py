"""Helpers for tests that run the real bot against the fake Discord."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tests.fakediscord import FakeDiscord

# The seven entries whose dialog says "A firewall may be blocking Spotify.", in catalog order.
FIREWALL_IDS = [
    "auth:3",
    "accounts:103",
    "session:103",
    "desktop_login_accounts:5",
    "accesspoint:17",
    "accesspoint:39",
    "error:30",
]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def bot_env(fake: FakeDiscord, db: Path, **extra: str) -> dict[str, str]:
    env = {
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite:///{db}",
        "HELP_CHANNEL_IDS": f"{fake.channel_id('help')},{fake.channel_id('support-forum')}",
        "DEV_GUILD_ID": str(fake.guild.id),
        "LOG_LEVEL": "DEBUG",
    }
    env.update(extra)
    return env


def votes(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT message_id, user_id, step FROM votes").fetchall()


async def wait_for_rows(db: Path, sql: str, n: int, timeout: float = 5.0) -> None:
    """Lookups are written just after the answer is sent: wait until they are."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with sqlite3.connect(db) as conn:
            if conn.execute(sql).fetchone()[0] >= n:
                return
        assert asyncio.get_running_loop().time() < deadline, f"fewer than {n} rows: {sql}"
        await asyncio.sleep(0.05)
