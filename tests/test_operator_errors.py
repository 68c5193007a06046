"""What an operator meets when something is wrong: one clear line and a documented exit code."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import SQLiteStore
from tests.fakediscord import FakeDiscord, start_bot
from tests.fakediscord.process import BotProcess
from tests.support import TOKEN, bot_env

ROOT = Path(__file__).resolve().parent.parent
CATALOG_ENTRY = """\
entries:
  - id: custom:1
    title: Operator's own error
    severity: warn
    platforms: [windows]
    categories: [custom]
    messages: ["The flux capacitor is misaligned."]
    causes: [Too much flux]
    steps: [Realign the flux capacitor]
    source: operator
"""


def bot_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` in `cwd` with a minimal environment."""
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(proc: subprocess.CompletedProcess, code: int) -> str:
    """The command exited with `code` and said what is wrong in one line, no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# ---------------------------------------------------------------- lookup and catalog check


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_lookup_limit_below_one_is_a_usage_error(tmp_path: Path, limit: str):
    assert "--limit" in one_line(bot_cli(tmp_path, "lookup", "--limit", limit, "error 2026"), 2)


def test_lookup_query_and_stdin_together_is_a_usage_error(tmp_path: Path):
    line = one_line(bot_cli(tmp_path, "lookup", "--stdin", "error 2026"), 2)
    assert "--stdin" in line and "not both" in line


def test_lookup_and_catalog_check_read_catalog_path_from_dot_env(tmp_path: Path):
    """CATALOG_PATH in .env counts for lookup and catalog check, as it does for run."""
    catalog = tmp_path / "my-catalog"
    catalog.mkdir()
    (catalog / "custom.yaml").write_text(CATALOG_ENTRY, encoding="utf-8")
    (tmp_path / ".env").write_text(f"CATALOG_PATH={catalog}\n", encoding="utf-8")
    found = bot_cli(tmp_path, "lookup", "The flux capacitor is misaligned.")
    assert found.returncode == 0 and found.stdout.startswith("custom:1 — Operator's own error")
    check = bot_cli(tmp_path, "catalog", "check")
    assert check.returncode == 0 and "catalog OK: 1 entries" in check.stdout


def test_a_bad_setting_in_dot_env_is_one_line_for_every_command(tmp_path: Path):
    (tmp_path / ".env").write_text("DATABASE_URL=mysql://nope\n", encoding="utf-8")
    for args in (("db", "check"), ("lookup", "error 2026"), ("run",)):
        env = {"DISCORD_TOKEN": TOKEN} if args == ("run",) else {}
        assert "DATABASE_URL" in one_line(bot_cli(tmp_path, *args, **env), 2), args


# ---------------------------------------------------------------- db check and db backup


async def _bot_database(path: Path) -> None:
    store = await SQLiteStore.open(path)
    await store.close()
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO lookups (created_at, source, query, score, confident)"
            " VALUES (0, 'slash', ?, 0, 0)",
            [(f"question {i} " * 20,) for i in range(3000)],
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
    db.close()


@pytest.fixture
def corrupt_db(tmp_path: Path) -> Path:
    """A real bot database with a run of its pages overwritten."""
    path = tmp_path / "bot.sqlite3"
    asyncio.run(_bot_database(path))
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 6] = b"\x5a" * (4096 * 3)
    path.write_bytes(bytes(data))
    return path


def test_db_check_reports_a_corrupt_database_and_what_to_do(tmp_path: Path, corrupt_db: Path):
    proc = bot_cli(tmp_path, "db", "check", "--database", str(corrupt_db))
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert "PROBLEMS FOUND" in proc.stdout and "malformed" in proc.stdout
    assert "db backup" in proc.stdout and ".recover" in proc.stdout


def test_db_check_on_a_file_that_is_no_database(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
    proc = bot_cli(tmp_path, "db", "check", "--database", "notes.txt")
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert "not a SQLite database" in proc.stdout


def test_db_check_on_a_sqlite_file_without_the_bots_schema(tmp_path: Path):
    with sqlite3.connect(tmp_path / "other.db") as db:
        db.execute("CREATE TABLE songs (title TEXT)")
    proc = bot_cli(tmp_path, "db", "check", "--database", "other.db")
    assert proc.returncode == 1 and "without this bot's tables" in proc.stdout


def test_db_backup_from_a_file_that_is_no_database(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
    line = one_line(bot_cli(tmp_path, "db", "backup", "--database", "notes.txt", "copy.db"), 1)
    assert "not a SQLite database" in line
    assert not (tmp_path / "copy.db").exists()


def test_db_backup_from_a_corrupt_database_replaces_no_earlier_copy(
    tmp_path: Path, corrupt_db: Path
):
    (tmp_path / "copy.db").write_bytes(b"yesterday's good copy")
    proc = bot_cli(tmp_path, "db", "backup", "--force", "--database", str(corrupt_db), "copy.db")
    assert "malformed" in one_line(proc, 1)
    assert (tmp_path / "copy.db").read_bytes() == b"yesterday's good copy"


def test_db_backup_to_bad_targets_is_a_usage_error(tmp_path: Path):
    asyncio.run(_bot_database(tmp_path / "bot.db"))
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    for target, words in (("afile/sub/copy.db", "cannot create"), ("folder", "is a folder")):
        line = one_line(bot_cli(tmp_path, "db", "backup", "--database", "bot.db", target), 2)
        assert words in line, target


# ---------------------------------------------------------------- run


class Unreachable:
    """Where the bot looks for Discord: a loopback port nothing listens on (refused at once)."""

    http_base = "http://127.0.0.1:9/api/v10"
    gateway_url = "ws://127.0.0.1:9/"
    identify_payloads: tuple = ()


async def test_run_without_a_route_to_discord_retries_one_line_each(tmp_path: Path):
    """No route at start: a line per attempt, waits growing, no traceback; SIGTERM exits 0."""
    env = {"DISCORD_TOKEN": TOKEN, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    proc = await BotProcess(Unreachable(), ["run"], env=env, log_dir=tmp_path).start()
    try:
        await proc.wait_ready(line=r"trying again in 2 s", timeout=20)
    finally:
        code = await proc.stop()
    assert code == 0
    log = proc.log_text()
    assert "Traceback" not in log
    attempts = [line for line in log.splitlines() if "cannot reach Discord" in line]
    assert len(attempts) >= 2 and "trying again in 1 s" in attempts[0], log
    assert len(log.strip().splitlines()) == len(attempts) + 1  # and the intents note
    assert "voice will NOT be supported" not in log


async def test_run_with_a_token_discord_rejects_exits_2_with_one_line(tmp_path: Path):
    async with FakeDiscord(token="another-token") as fake:
        env = bot_env(fake, tmp_path / "db.sqlite3", LOG_LEVEL="INFO")
        proc = await start_bot(fake, ["run"], env=env, log_dir=tmp_path, ready=False)
        assert await proc.wait(20) == 2
    log = proc.log_text()
    assert "Traceback" not in log
    assert [line for line in log.splitlines() if "ERROR" in line] == [
        line for line in log.splitlines() if "rejected DISCORD_TOKEN" in line
    ]
    assert "rejected DISCORD_TOKEN" in log and TOKEN not in log
