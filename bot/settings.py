"""Settings in one typed place, read from the environment and an optional .env file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.store import POSTGRES, sqlite_path

# Three base64url parts separated by dots: what the Developer Portal hands out.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


DEFAULT_DATABASE = "sqlite:///data/helpdesk.sqlite3"


class SettingsError(Exception):
    """A setting that is missing or malformed; the message names it and never its value."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the operator can set; see .env.example for each one's meaning."""

    token: str = field(repr=False)
    database_url: str = field(default=DEFAULT_DATABASE, repr=False)  # may carry a password
    help_channel_ids: frozenset[int] = frozenset()
    mod_role_ids: frozenset[int] = frozenset()
    dev_guild_id: int | None = None
    catalog_path: Path | None = None
    retention_days: int = 90
    log_level: str = "INFO"
    log_format: str = "text"
    answer_cooldown: float = 300.0  # same error, same thread: answer once in this many seconds
    user_cooldown: float = 30.0
    channel_rate: int = 6  # unasked answers per channel per minute
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    ocr_log_channel_id: int | None = None  # each screenshot reading is posted here too
    shard_count: int | None = None  # SHARD_COUNT: run these shards (AutoShardedBot)
    shard_ids: tuple[int, ...] | None = None  # SHARD_IDS, e.g. 0-3: this process's shards
    meanings: bool = True  # MEANINGS=off: words alone rank (about 100 MB and 0.5 s less)

    @property
    def database_path(self) -> Path | None:
        """The SQLite file, or None when the database is PostgreSQL."""
        return sqlite_path(self.database_url)

    @property
    def database_name(self) -> str:
        """The database for logs and messages, without a password."""
        return redact_url(self.database_url)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (python-dotenv: quotes, `export` and # comments)."""
    if not path.is_file():
        return {}
    try:
        # -sig: editors on Windows add a BOM
        values = dotenv_values(path, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    return {key: value or "" for key, value in values.items()}


def _ids(name: str, raw: str) -> frozenset[int]:
    ids = set()
    for part in filter(None, (p.strip() for p in raw.split(","))):
        if not part.isdigit():
            raise SettingsError(f"{name}: {part!r} is not a numeric Discord id")
        ids.add(int(part))
    return frozenset(ids)


def _number(name: str, raw: str, kind: type = int) -> int | float:
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number") from None
    if value < 0:
        raise SettingsError(f"{name}: must not be negative")
    return value


def _database_url(raw: str) -> str:
    raw = raw.strip()
    if (sqlite_path(raw) is not None and raw != "sqlite:///") or raw.startswith(POSTGRES):
        return raw
    raise SettingsError(
        "DATABASE_URL: use sqlite:///PATH (e.g. sqlite:///data/x.db) or"
        " postgresql://USER:PASSWORD@HOST/DB"
    )


def redact_url(url: str) -> str:
    """A database URL without its password, for logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _shards(count_raw: str, ids_raw: str) -> tuple[int | None, tuple[int, ...] | None]:
    """SHARD_COUNT and SHARD_IDS ("0-3", "0,2", "5"); the ids must be below the count."""
    if not count_raw:
        if ids_raw:
            raise SettingsError("SHARD_IDS: set SHARD_COUNT too (how many shards in all)")
        return None, None
    count = int(_number("SHARD_COUNT", count_raw))
    if count < 1:
        raise SettingsError("SHARD_COUNT: must be 1 or more")
    if not ids_raw:
        return count, tuple(range(count))
    ids: set[int] = set()
    for part in filter(None, (p.strip() for p in ids_raw.split(","))):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise SettingsError(f"SHARD_IDS: {part!r} is not a shard number or range like 0-3")
        ids.update(range(int(low), int(high or low) + 1))
    if not ids or max(ids) >= count:
        raise SettingsError(f"SHARD_IDS: shards are numbered 0 to {count - 1}")
    return count, tuple(sorted(ids))


def _values(env: dict[str, str] | None, env_file: Path | None) -> dict[str, str]:
    """The .env file's values overlaid by the environment's."""
    values = read_env_file(env_file) if env_file is not None else {}
    values.update(os.environ if env is None else env)
    return values


def load_settings(
    env: dict[str, str] | None = None,
    env_file: Path | None = Path(".env"),
    *,
    need_token: bool = True,
) -> Settings:
    """Read settings; the process environment wins over the .env file.

    Every command reads its settings here; only `run` and `sync` need the token.
    """
    values = _values(env, env_file)
    token = values.get("DISCORD_TOKEN", "").strip()
    if not need_token:
        token = ""
    elif not token:
        raise SettingsError(
            "DISCORD_TOKEN is not set: put the bot token from the Developer Portal"
            " in the environment or in .env"
        )
    elif not _TOKEN_SHAPE.match(token):
        raise SettingsError(
            "DISCORD_TOKEN does not look like a bot token (three dot-separated"
            " parts); copy it again from the Developer Portal → Bot → Reset Token"
        )
    get = values.get
    log_format = get("LOG_FORMAT", "text").lower()
    if log_format not in ("text", "json"):
        raise SettingsError("LOG_FORMAT: must be text or json")
    dev_guild = get("DEV_GUILD_ID", "").strip()
    catalog = get("CATALOG_PATH", "").strip()
    health = get("HEALTH_PORT", "").strip()
    ocr_log = get("OCR_LOG_CHANNEL_ID", "").strip()
    shard_count, shard_ids = _shards(get("SHARD_COUNT", "").strip(), get("SHARD_IDS", "").strip())
    meanings = get("MEANINGS", "on").strip().lower()
    if meanings not in ("on", "off"):
        raise SettingsError("MEANINGS: must be on or off")
    return Settings(
        token=token,
        database_url=_database_url(get("DATABASE_URL", DEFAULT_DATABASE)),
        help_channel_ids=_ids("HELP_CHANNEL_IDS", get("HELP_CHANNEL_IDS", "")),
        mod_role_ids=_ids("MOD_ROLE_IDS", get("MOD_ROLE_IDS", "")),
        dev_guild_id=next(iter(_ids("DEV_GUILD_ID", dev_guild))) if dev_guild else None,
        catalog_path=Path(catalog) if catalog else None,
        retention_days=int(_number("RETENTION_DAYS", get("RETENTION_DAYS", "90"))),
        log_level=get("LOG_LEVEL", "INFO").upper(),
        log_format=log_format,
        answer_cooldown=float(_number("ANSWER_COOLDOWN", get("ANSWER_COOLDOWN", "300"), float)),
        user_cooldown=float(_number("USER_COOLDOWN", get("USER_COOLDOWN", "30"), float)),
        channel_rate=int(_number("CHANNEL_RATE", get("CHANNEL_RATE", "6"))),
        health_port=int(_number("HEALTH_PORT", health)) if health else None,
        health_host=get("HEALTH_HOST", "127.0.0.1").strip() or "127.0.0.1",
        ocr_log_channel_id=next(iter(_ids("OCR_LOG_CHANNEL_ID", ocr_log))) if ocr_log else None,
        shard_count=shard_count,
        shard_ids=shard_ids,
        meanings=meanings == "on",
    )
