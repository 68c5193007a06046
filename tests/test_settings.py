"""Settings from the environment and .env: defaults, clear errors, and the token kept secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA.GabcdE.abcdefghijklmnopqrstuvwxyz0123"


def _load(env_file: Path | None = None, **env: str) -> Settings:
    return load_settings(env=env, env_file=env_file)


def _error(**env: str) -> str:
    with pytest.raises(SettingsError) as info:
        _load(**env)
    return str(info.value)


# ---------------------------------------------------------------- the token


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_token_is_named(token: str | None):
    """No (or a blank) DISCORD_TOKEN: the error names the setting."""
    env = {} if token is None else {"DISCORD_TOKEN": token}
    assert "DISCORD_TOKEN" in _error(**env)


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        f"Bot {TOKEN}",  # pasted with the HTTP prefix
        TOKEN.replace(".", ""),
        TOKEN.rsplit(".", 1)[0],
        f"{TOKEN}\u200b",  # an invisible character copied along
    ],
)
def test_malformed_token_is_named_but_never_shown(token: str):
    """A token of the wrong shape is refused; the message names it but never echoes it."""
    message = _error(DISCORD_TOKEN=token)
    assert "DISCORD_TOKEN" in message
    assert token not in message
    assert TOKEN.split(".")[0] not in message and "not-a-token" not in message


def test_valid_token_and_defaults():
    """Only a token set: the documented defaults apply."""
    settings = _load(DISCORD_TOKEN=f"  {TOKEN}\n")
    assert settings.token == TOKEN
    assert settings.database_path == Path("data/helpdesk.sqlite3")
    assert settings.retention_days == 90
    assert settings.help_channel_ids == frozenset()
    assert settings.mod_role_ids == frozenset()
    assert settings.dev_guild_id is None
    assert settings.catalog_path is None
    assert settings.meanings is True
    assert _load(DISCORD_TOKEN=TOKEN, MEANINGS=" OFF ").meanings is False


def test_repr_never_shows_the_token():
    """Logging the settings object does not leak the token."""
    settings = _load(DISCORD_TOKEN=TOKEN)
    for text in (repr(settings), str(settings)):
        assert TOKEN not in text
        assert "MTIzNDU2" not in text


# ---------------------------------------------------------------- other settings


def test_channel_and_role_ids_tolerate_spaces_and_empty_items():
    """'123 , 456,,789 ' is three channel ids."""
    settings = _load(
        DISCORD_TOKEN=TOKEN,
        HELP_CHANNEL_IDS=" 123456789012345678 , 456,,789 ",
        MOD_ROLE_IDS="42",
        DEV_GUILD_ID=" 7 ",
    )
    assert settings.help_channel_ids == {123456789012345678, 456, 789}
    assert settings.mod_role_ids == {42}
    assert settings.dev_guild_id == 7


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HELP_CHANNEL_IDS", "123, general"),
        ("HELP_CHANNEL_IDS", "#help"),
        ("MOD_ROLE_IDS", "@moderators"),
        ("DEV_GUILD_ID", "my-server"),
        ("RETENTION_DAYS", "ninety"),
        ("RETENTION_DAYS", "-1"),
        ("CHANNEL_RATE", "1.5"),
        ("ANSWER_COOLDOWN", "5m"),
        ("MEANINGS", "maybe"),
    ],
)
def test_bad_value_names_its_setting(name: str, value: str):
    """A malformed value is refused with an error that names the setting."""
    assert name in _error(DISCORD_TOKEN=TOKEN, **{name: value})


def test_database_url_is_sqlite_or_postgres_and_its_password_is_never_shown():
    """Another scheme is refused by name, without repeating the URL's password."""
    message = _error(DISCORD_TOKEN=TOKEN, DATABASE_URL="mysql://bot:hunter2@db/helpdesk")
    assert "DATABASE_URL" in message and "hunter2" not in message
    assert _load(DISCORD_TOKEN=TOKEN, DATABASE_URL="sqlite:///var/x.db").database_path == Path(
        "var/x.db"
    )
    assert _load(DISCORD_TOKEN=TOKEN, DATABASE_URL="sqlite:////srv/bot/x.db").database_path == Path(
        "/srv/bot/x.db"
    )
    pg = _load(DISCORD_TOKEN=TOKEN, DATABASE_URL="postgresql://bot:hunter2@db:5432/helpdesk")
    assert pg.database_path is None
    assert pg.database_name == "postgresql://bot:***@db:5432/helpdesk"
    assert "hunter2" not in repr(pg)


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [("", "", (None, None)), ("4", "", (4, (0, 1, 2, 3))), ("4", "1-2", (4, (1, 2))),
     ("8", "0,5-6", (8, (0, 5, 6)))],
)  # fmt: skip
def test_shards_are_a_count_and_this_processs_ids(count, ids, expected):
    settings = _load(DISCORD_TOKEN=TOKEN, SHARD_COUNT=count, SHARD_IDS=ids)
    assert (settings.shard_count, settings.shard_ids) == expected


@pytest.mark.parametrize(
    ("count", "ids"), [("2", "2"), ("", "0"), ("0", ""), ("2", "a-b"), ("x", "")]
)
def test_bad_shards_are_one_line_naming_the_setting(count, ids):
    message = _error(DISCORD_TOKEN=TOKEN, SHARD_COUNT=count, SHARD_IDS=ids)
    assert "SHARD_" in message and "\n" not in message


# ---------------------------------------------------------------- the .env file


ENV_FILE = f"""\
# Bot settings: copy to .env
DISCORD_TOKEN="{TOKEN}"
export HELP_CHANNEL_IDS='111, 222'

RETENTION_DAYS = 30
#DATABASE_URL=postgres://nope
   # MOD_ROLE_IDS=not-an-id
LOG_FORMAT=json
"""


def test_env_file_is_read_with_quotes_stripped_and_comments_ignored(tmp_path: Path):
    """Values come from .env: quotes stripped, `export` allowed, # lines ignored."""
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_FILE, encoding="utf-8")
    settings = _load(env_file)
    assert settings.token == TOKEN
    assert settings.help_channel_ids == {111, 222}
    assert settings.retention_days == 30
    assert settings.database_path == Path("data/helpdesk.sqlite3")
    assert settings.mod_role_ids == frozenset()
    assert settings.log_format == "json"


def test_environment_wins_over_env_file(tmp_path: Path):
    """A variable set in the environment overrides the same one in .env."""
    env_file = tmp_path / ".env"
    env_file.write_text(ENV_FILE, encoding="utf-8")
    settings = _load(env_file, RETENTION_DAYS="7", HELP_CHANNEL_IDS="333")
    assert settings.retention_days == 7
    assert settings.help_channel_ids == {333}
    assert settings.token == TOKEN  # still from the file


def test_missing_env_file_is_fine(tmp_path: Path):
    """No .env file: the environment alone is enough."""
    assert _load(tmp_path / "absent.env", DISCORD_TOKEN=TOKEN).token == TOKEN


def test_env_file_saved_with_a_bom_is_read(tmp_path: Path):
    """A .env saved by a Windows editor (UTF-8 with BOM) still provides DISCORD_TOKEN."""
    env_file = tmp_path / ".env"
    env_file.write_text(f"DISCORD_TOKEN={TOKEN}\n", encoding="utf-8-sig")
    assert _load(env_file).token == TOKEN


# ---------------------------------------------------------------- through the command line


def _run(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    """`python -m bot run` in an empty folder with a minimal environment."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_run_without_token_exits_2_with_one_line(tmp_path: Path):
    """`run` without DISCORD_TOKEN exits 2 with one line naming it, no traceback."""
    assert "DISCORD_TOKEN" in _one_line_error(_run(tmp_path))


def test_run_with_malformed_token_exits_2_without_echoing_it(tmp_path: Path):
    """`run` with a malformed token exits 2 naming DISCORD_TOKEN, never printing the value."""
    proc = _run(tmp_path, DISCORD_TOKEN="not-a-token")
    assert "DISCORD_TOKEN" in _one_line_error(proc)
    assert "not-a-token" not in proc.stderr + proc.stdout


def test_run_with_non_utf8_env_file_exits_2_with_one_line(tmp_path: Path):
    """A .env saved as Windows-1252 (a 'café' comment) gives a one-line error, no traceback."""
    (tmp_path / ".env").write_bytes("# Réglages du café\nLOG_LEVEL=INFO\n".encode("cp1252"))
    line = _one_line_error(_run(tmp_path))
    assert ".env" in line or "DISCORD_TOKEN" in line
