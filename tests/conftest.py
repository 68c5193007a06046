"""Shared fixtures: one matcher, the CLI runner, the fake Discord and the bot against it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest

from bot.catalog import load_catalog
from bot.matcher import Matcher
from tests import pg
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


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server: the one CI started (SEB_TEST_POSTGRES), else one of our own.

    Without PostgreSQL installed the tests that need it skip, saying why; with CI=true
    they fail instead, so CI can never pass without testing the PostgreSQL backend.
    """
    given = os.environ.get(pg.ENV_URL)
    if given:
        yield given
        return
    if pg.bindir() is None:
        why = "PostgreSQL is not installed here (no initdb): its backend's tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    folder = Path(tempfile.mkdtemp(prefix="seb-pg-"))
    try:
        yield pg.start(folder)
    finally:
        pg.stop(folder, "immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server: str):
    """A fresh, empty database on the test server; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_server, f"CREATE DATABASE {name}"))
    yield postgres_server.replace("/postgres?", f"/{name}?", 1)
    asyncio.run(_admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path: Path) -> str:
    """Each store test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nested' / 'db.sqlite3'}"
    return request.getfixturevalue("pg_url")
