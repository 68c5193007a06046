"""Shared fixtures: one matcher, the CLI runner, the fake Discord and the bot against it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog import load_catalog
from bot.matcher import Matcher
from tests.fakediscord import FakeDiscord, start_bot
from tests.support import TOKEN, bot_env

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def matcher() -> Matcher:
    """One matcher over the bundled catalog, shared by every test."""
    return Matcher(load_catalog())


@pytest.fixture
def run_bot():
    """Run `python -m bot ARGS` from the project root; returns the CompletedProcess (bytes)."""

    def run(*args: str, stdin: bytes | None = None, env: dict | None = None):
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            env=env,
            timeout=60,
        )

    return run


@pytest.fixture
async def fake():
    async with FakeDiscord() as server:
        yield server
    server.assert_valid()  # every request the bot sent satisfied Discord's schema and limits


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path):
    proc = await start_bot(
        fake, ["run"], env=bot_env(fake, tmp_path / "db.sqlite3"), log_dir=tmp_path
    )
    yield proc
    await proc.stop()
    assert TOKEN not in proc.log_text()
