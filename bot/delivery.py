"""Getting answers to Discord: retries on its 5xx answers, and coalesced edits of vote counts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord

log = logging.getLogger(__name__)

REFRESH_INTERVAL = 5.0  # at most one edit of an answer's vote counts per this many seconds
# After a 5xx from Discord. For channel messages only: discord.py's HTTP client retries 500,
# 502 and 504 but gives up on 503; interaction answers (its webhook client) retry every 5xx.
RETRY_DELAYS = (0.5, 1.0, 2.0)
T = TypeVar("T")


async def retrying(
    what: str, send: Callable[[], Awaitable[T]], delays: tuple[float, ...] = RETRY_DELAYS
) -> T:
    """Send, retrying Discord's 5xx answers with back-off (discord.py itself gives up on 503)."""
    for attempt, delay in enumerate((*delays, None), 1):
        try:
            return await send()
        except discord.DiscordServerError as exc:
            if delay is None:
                log.error(
                    "%s: Discord failed %d times (%s %s); giving up",
                    what,
                    attempt,
                    exc.status,
                    exc.text[:100],
                )
                raise
            log.warning(
                "%s: Discord answered %s; retry %d in %.1f s", what, exc.status, attempt, delay
            )
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def send(interaction: discord.Interaction, **kwargs) -> int:
    """Answer an interaction: its response, or a follow-up once it has one; the message's id."""
    if interaction.response.is_done():
        message = await interaction.followup.send(wait=True, **kwargs)
        return message.id
    callback = await interaction.response.send_message(**kwargs)
    return callback.message_id


class Refresher:
    """Edits an answer's vote counts, coalescing bursts of votes into one edit per interval."""

    def __init__(self, interval: float = REFRESH_INTERVAL) -> None:
        self.interval = interval
        self._running: dict[int, asyncio.Task] = {}
        self._dirty: set[int] = set()

    def schedule(self, key: int, edit: Callable[[], Awaitable[None]]) -> None:
        if key in self._running:
            self._dirty.add(key)
            return
        self._running[key] = asyncio.create_task(self._run(key, edit))

    async def _run(self, key: int, edit: Callable[[], Awaitable[None]]) -> None:
        try:
            while True:
                self._dirty.discard(key)
                try:
                    await edit()
                except Exception as exc:  # Discord or the database: the next vote tries again
                    log.warning(
                        "refresh of answer %s failed: %s", key, str(exc) or type(exc).__name__
                    )
                await asyncio.sleep(self.interval)
                if key not in self._dirty:
                    return
        finally:
            self._running.pop(key, None)

    async def close(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
