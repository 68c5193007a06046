"""`run` and `sync`: start the bot until stopped, or push the command definitions once."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import aiohttp
import discord

from bot import logs
from bot.client import HelpdeskBot, bot_for
from bot.settings import Settings, SettingsError, load_settings
from bot.store import DatabaseRefused, DatabaseUnreachable

log = logging.getLogger(__name__)

# Reaching Discord at start: a server often boots before its network is up, so keep trying,
# waiting twice as long each time up to a minute (one log line per attempt).
CONNECT_FIRST, CONNECT_MAX = 1.0, 60.0
UNREACHABLE = (aiohttp.ClientError, OSError, asyncio.TimeoutError, discord.DiscordServerError)


def _settings() -> Settings | None:
    """Settings with logging set up from them, or None after saying what is wrong."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    logs.configure(settings.log_level, settings.log_format)
    return settings


async def _serve(settings: Settings) -> int:
    content = True
    delay = CONNECT_FIRST
    stopping = asyncio.Event()
    closing: set[asyncio.Future] = set()  # the shutdown a signal began, kept until it ends
    loop = asyncio.get_running_loop()
    while True:
        bot = bot_for(settings, message_content=content)

        def stop(b: HelpdeskBot = bot) -> None:
            stopping.set()
            closing.add(asyncio.ensure_future(b.close()))

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        loop.add_signal_handler(
            signal.SIGHUP, lambda b=bot: asyncio.ensure_future(b.reload_catalog())
        )
        try:
            async with bot:
                await bot.start(settings.token)
            await bot.close()  # waits for the shutdown a signal may have begun
            return 0
        except discord.PrivilegedIntentsRequired:
            if not bot.message_content:
                raise
            log.warning(
                "the Message Content intent is not enabled for this application in the Developer"
                " Portal: help-channel answers are off; slash commands, the context menu and"
                " buttons keep working"
            )
            content = False
        except discord.LoginFailure:
            log.error("Discord rejected DISCORD_TOKEN: reset it in the Developer Portal")
            return 2
        except DatabaseRefused as exc:
            log.error("the database refused the connection (%s): check DATABASE_URL", exc)
            return 2
        except (DatabaseUnreachable, *UNREACHABLE) as exc:
            if stopping.is_set():
                return 0
            what = "the database" if isinstance(exc, DatabaseUnreachable) else "Discord"
            reason = str(exc) if isinstance(exc, DatabaseUnreachable) else _reason(exc)
            log.warning("cannot reach %s (%s); trying again in %.0f s", what, reason, delay)
            try:
                await asyncio.wait_for(stopping.wait(), delay)
                return 0  # stopped while waiting
            except TimeoutError:
                delay = min(delay * 2, CONNECT_MAX)


def _reason(exc: BaseException) -> str:
    """A short reason for a failed connection: the OS's words, not a traceback."""
    cause = getattr(exc, "os_error", None) or exc
    return f"{type(exc).__name__}: {cause}"[:200]


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings is None:
        return 2
    if not settings.help_channel_ids:
        log.info("HELP_CHANNEL_IDS is empty: no unasked answers, so no message intents requested")
    return asyncio.run(_serve(settings))


async def _sync(settings: Settings, guild_id: int | None) -> int:
    bot = HelpdeskBot(settings, message_content=False)
    async with bot:
        await bot.login(settings.token)  # runs setup_hook: the cogs define the commands
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
        print(
            f"synced {len(synced)} commands {'to guild ' + str(guild_id) if guild else 'globally'}"
        )
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    settings = _settings()
    return 2 if settings is None else asyncio.run(_sync(settings, args.guild))


def add_commands(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="start the Discord bot (settings from the environment)")
    run.set_defaults(func=cmd_run)
    sync = sub.add_parser("sync", help="push the slash commands to Discord, then exit")
    sync.add_argument(
        "--guild",
        type=int,
        default=None,
        help="sync to one guild (instant) instead of globally (up to an hour)",
    )
    sync.set_defaults(func=cmd_sync)
