"""Settings in one typed place, read from the environment and an optional .env file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

# Three base64url parts separated by dots: what the Developer Portal hands out.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


class SettingsError(Exception):
    """A setting that is missing or malformed; the message names it and never its value."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the operator can set; see .env.example for each one's meaning."""

    token: str = field(repr=False)
    database_path: Path = Path("data/helpdesk.sqlite3")
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


def _database_path(raw: str) -> Path:
    if not raw.startswith("sqlite:///"):
        raise SettingsError(
            "DATABASE_URL: only sqlite:///PATH is supported, e.g. sqlite:///data/x.db"
        )
    return Path(raw.removeprefix("sqlite:///"))


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
    return Settings(
        token=token,
        database_path=_database_path(get("DATABASE_URL", "sqlite:///data/helpdesk.sqlite3")),
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
    )
