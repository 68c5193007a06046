"""The operator's db commands on PostgreSQL: migrate, check, backup, and copy from SQLite."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.store import Answer, Lookup, open_store
from tests.test_store import sql

GUILD = 10


async def _fill_sqlite(path: Path) -> None:
    """A small server's months on SQLite: questions, answers, votes, picks and a link."""
    store = await open_store(f"sqlite:///{path}")
    try:
        for n in range(30):
            entry = "error:2026" if n % 3 else None
            await store.add_lookup(
                Lookup("slash", f"question {n}", entry, 80.0, bool(entry), GUILD, 5)
            )
        for message in range(1, 6):
            await store.add_answer(Answer(message, "error:2026", GUILD, 5, f"question {message}"))
            for user in range(10):
                await store.vote(message, 1000 + user, user % 4 or None)
        for user in (1, 2, 3):
            await store.add_pick(GUILD, user, "my speaker is gone", "connect:device-picker")
        await store.link(GUILD, "green dot gone", "connect:device-picker", moderator_id=9)
    finally:
        await store.close()


async def test_copy_moves_everything_to_postgres_can_be_rerun_and_reports_agree(
    tmp_path: Path, pg_url: str, run_bot
):
    source = tmp_path / "helpdesk.sqlite3"
    await _fill_sqlite(source)
    first = run_bot("db", "copy", "--from", f"sqlite:///{source}", "--to", pg_url)
    assert first.returncode == 0, first.stderr.decode()
    assert b"votes: 50 rows, 50 in the target" in first.stdout
    again = run_bot("db", "copy", "--from", f"sqlite:///{source}", "--to", pg_url)
    assert again.returncode == 0 and b"every row is there" in again.stdout

    before, after = await open_store(f"sqlite:///{source}"), await open_store(pg_url)
    try:
        for table in ("lookups", "answers", "votes", "picks", "learned"):
            count = f"SELECT COUNT(*) FROM {table}"
            assert await sql(after, count) == await sql(before, count), table
        assert await after.stats(0, guild_id=GUILD) == await before.stats(0, guild_id=GUILD)
        assert await after.learned(GUILD) == await before.learned(GUILD)
        await after.add_lookup(Lookup("slash", "new", None, 0.0, False, GUILD, 5))  # ids go on
    finally:
        await before.close()
        await after.close()


def test_copy_refuses_a_missing_source_and_an_unknown_scheme(tmp_path: Path, pg_url: str, run_bot):
    missing = run_bot("db", "copy", "--from", f"sqlite:///{tmp_path / 'no.db'}", "--to", pg_url)
    assert missing.returncode == 2 and missing.stderr.decode().count("\n") == 1
    odd = run_bot("db", "copy", "--from", "mysql://x/y", "--to", pg_url)
    assert odd.returncode == 2 and b"not sqlite:///PATH or postgresql" in odd.stderr


def test_migrate_then_check_a_fresh_postgres(pg_url: str, run_bot):
    migrated = run_bot("db", "migrate", "--database", pg_url)
    assert migrated.returncode == 0, migrated.stderr.decode()
    checked = run_bot("db", "check", "--database", pg_url)
    assert checked.returncode == 0 and b"001_initial.sql" in checked.stdout
    assert b"votes 0" in checked.stdout


@pytest.mark.skipif(shutil.which("pg_restore") is None, reason="pg_restore is not installed")
async def test_backup_of_postgres_is_a_pg_dump_that_lists_the_tables(
    tmp_path: Path, pg_url: str, run_bot
):
    store = await open_store(pg_url)
    await store.add_answer(Answer(1, "auth:73", GUILD, 5))
    await store.close()
    target = tmp_path / "backup.dump"
    done = run_bot("db", "backup", str(target), "--database", pg_url)
    assert done.returncode == 0, done.stderr.decode()
    listing = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True, text=True)
    assert "TABLE public answers" in listing.stdout and "TABLE public votes" in listing.stdout


@pytest.mark.parametrize("command", ["check", "migrate", "export-learned"])
def test_an_unreachable_postgres_is_one_line_never_a_traceback(run_bot, command):
    down = run_bot("db", command, "--database", "postgresql://nobody@127.0.0.1:9/none")
    err = down.stderr.decode()
    assert down.returncode == 1 and err.startswith("error: PostgreSQL") and err.count("\n") == 1
