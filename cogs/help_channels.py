"""Unasked answers in help channels: confident matches only, no repeats, no floods."""

from __future__ import annotations

import logging
import time
from collections import deque

import discord
from discord.ext import commands

from bot.client import HelpdeskBot
from bot.delivery import retrying
from bot.helpdesk import NONE

log = logging.getLogger(__name__)

MAX_TRACKED = 10_000  # bounded memory for the cooldown maps


class HelpChannels(commands.Cog):
    """Replies to pasted errors in the configured channels, their threads and forum posts."""

    def __init__(self, bot: HelpdeskBot) -> None:
        self.bot = bot
        self.settings = bot.settings
        self.answered: dict[tuple[int, str], float] = {}  # (channel, entry) -> when
        self.users: dict[int, float] = {}  # user -> last unasked answer
        self.channels: dict[int, deque[float]] = {}  # channel -> recent answer times

    def _watched(self, channel: discord.abc.GuildChannel | discord.Thread) -> bool:
        ids = self.settings.help_channel_ids
        return channel.id in ids or getattr(channel, "parent_id", None) in ids

    def _allowed(self, channel_id: int, user_id: int, entry_id: str, now: float) -> bool:
        s = self.settings
        if now - self.answered.get((channel_id, entry_id), -1e9) < s.answer_cooldown:
            return False
        if now - self.users.get(user_id, -1e9) < s.user_cooldown:
            return False
        recent = self.channels.setdefault(channel_id, deque())
        while recent and now - recent[0] > 60:
            recent.popleft()
        return len(recent) < s.channel_rate

    def _remember(self, channel_id: int, user_id: int, entry_id: str, now: float) -> None:
        for table in (self.answered, self.users, self.channels):
            if len(table) > MAX_TRACKED:
                table.clear()  # rare; forgetting cooldowns only risks one extra answer
        self.answered[(channel_id, entry_id)] = now
        self.users[user_id] = now
        self.channels.setdefault(channel_id, deque()).append(now)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or not message.content:
            return
        if not self._watched(message.channel):
            return
        helpdesk = self.bot.helpdesk
        # Matched first without storing: chatter in a help channel is not a question to keep.
        result = helpdesk.match(message.content, "channel")
        best = result.best
        if not result.confident or best is None:
            return
        now = time.monotonic()
        if not self._allowed(message.channel.id, message.author.id, best.entry.id, now):
            log.info("help channel: not repeating %s in %s", best.entry.id, message.channel.id)
            return
        self._remember(message.channel.id, message.author.id, best.entry.id, now)
        reply = await helpdesk.reply_for(result)
        sent = await retrying(
            "help-channel answer",
            lambda: message.reply(
                embed=reply.embed, view=reply.view, mention_author=False, allowed_mentions=NONE
            ),
        )
        await helpdesk.answered(
            result,
            "channel",
            sent,
            reply.entry,
            message.guild.id,
            message.channel.id,
            message.created_at,
        )


async def setup(bot: HelpdeskBot) -> None:
    if not bot.message_content:
        log.info("help channels: off (no HELP_CHANNEL_IDS or no Message Content intent)")
        return
    await bot.add_cog(HelpChannels(bot))
