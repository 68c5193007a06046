"""Every screenshot reading for moderators: one log line, and a post in OCR_LOG_CHANNEL_ID."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import discord
from discord.utils import escape_mentions

from bot.matcher import Result
from bot.metrics import Metrics
from bot.screens import Reading, Seen

log = logging.getLogger(__name__)

POSTED_TEXT_MAX = 1500  # characters of a reading posted; a message holds 2,000
NONE = discord.AllowedMentions.none()


@dataclass(frozen=True, slots=True)
class Where:
    """The message a reading belongs to: the asker's own, or (slash) the bot's answer."""

    guild_id: int | None
    channel_id: int | None
    message_id: int | None

    @property
    def jump_url(self) -> str:
        guild = self.guild_id or "@me"
        tail = f"/{self.message_id}" if self.message_id else ""
        return f"https://discord.com/channels/{guild}/{self.channel_id}{tail}"


class ReadingLog:
    """Logs each reading in one line; posts it to a channel too when one is set."""

    def __init__(
        self,
        client: discord.Client | None = None,
        channel_id: int | None = None,
        metrics: Metrics | None = None,
    ):
        self.client = client
        self.channel_id = channel_id
        self.metrics = metrics
        self.started = client is not None
        self._posts: set[asyncio.Task] = set()  # kept until done, so none is collected early

    def record_all(self, seen: Seen, result: Result, where: Where) -> None:
        """Each image of a question, with the entry its whole text matched."""
        best = result.best
        for reading in seen.readings:
            self.record(reading, where, best.entry.id if best else None, result.confident)

    def record(self, reading: Reading, where: Where, entry_id: str | None, confident: bool) -> None:
        """One line per reading: where, characters read, the entry matched, seconds taken."""
        log.info(
            "screenshot guild=%s channel=%s message=%s file=%r chars=%d entry=%s confident=%s"
            " seconds=%.2f%s",
            where.guild_id,
            where.channel_id,
            where.message_id,
            reading.name[:100],
            len(reading.text),
            entry_id,
            confident,
            reading.seconds,
            f" problem={reading.problem!r}" if reading.problem else "",
        )
        if self.metrics is not None:
            outcome = (
                "unreadable"
                if reading.problem
                else "no text"
                if not reading.text.strip()
                else "matched"
                if entry_id
                else "unmatched"
            )
            self.metrics.screenshots.labels(outcome).inc()
            if not reading.problem:
                self.metrics.ocr_seconds.observe(reading.seconds)
        if self.client is not None and self.channel_id is not None:
            task = asyncio.create_task(self._post(post_text(reading, where, entry_id, confident)))
            self._posts.add(task)
            task.add_done_callback(self._posts.discard)

    async def _post(self, content: str) -> None:
        try:
            channel = self.client.get_channel(self.channel_id) or await self.client.fetch_channel(
                self.channel_id
            )
            await channel.send(content, allowed_mentions=NONE)
        except (discord.HTTPException, AttributeError) as exc:  # AttributeError: no text channel
            log.warning("could not post a screenshot reading to %s: %s", self.channel_id, exc)


def post_text(reading: Reading, where: Where, entry_id: str | None, confident: bool) -> str:
    """What the moderators' channel shows: the outcome, a jump link and the text read."""
    outcome = f"**{entry_id}** ({'sure' if confident else 'not sure'})" if entry_id else "no match"
    name = reading.name[:100].replace("`", "'")
    head = (
        f"Screenshot `{name}` {where.jump_url} — {len(reading.text)} characters"
        f" in {reading.seconds:.2f} s → {outcome}"
    )
    if reading.problem:
        return f"{head}\nNot read: {escape_mentions(reading.problem)}"
    text = reading.text[:POSTED_TEXT_MAX].replace("`", "'")
    return f"{head}\n```\n{text or '(no text found)'}\n```"
