"""Unasked answers in help channels: confident matches only, no repeats, no floods."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import HelpdeskBot
from bot.delivery import retrying
from bot.helpdesk import NONE, Asked
from bot.screens import is_image
from bot.screens_log import Where

log = logging.getLogger(__name__)

CHANNEL_WINDOW = 60.0  # CHANNEL_RATE counts unasked answers per channel per this many seconds


class HelpChannels(commands.Cog):
    """Replies to pasted errors in the configured channels, their threads and forum posts."""

    def __init__(self, bot: HelpdeskBot) -> None:
        self.bot = bot
        self.settings = s = bot.settings
        # discord.py's cooldown maps, keyed by (channel, entry, user); they drop expired
        # buckets themselves, so memory stays bounded.
        cooldown = commands.CooldownMapping.from_cooldown
        self.limits = (
            cooldown(1, s.answer_cooldown, lambda k: k[:2]),  # same error, same channel
            cooldown(1, s.user_cooldown, lambda k: k[2]),  # same person
            cooldown(s.channel_rate, CHANNEL_WINDOW, lambda k: k[0]),  # a busy channel
        )

    async def cog_load(self) -> None:
        await self.bot.helpdesk.open_reader(self.bot, self.settings.ocr_log_channel_id)

    def _watched(self, channel: discord.abc.GuildChannel | discord.Thread) -> bool:
        ids = self.settings.help_channel_ids
        return channel.id in ids or getattr(channel, "parent_id", None) in ids

    def _take(self, channel_id: int, entry_id: str, user_id: int) -> bool:
        """Whether every limit allows this answer; if so, it counts against each of them."""
        buckets = [limit.get_bucket((channel_id, entry_id, user_id)) for limit in self.limits]
        if any(bucket.get_retry_after() for bucket in buckets):
            return False
        for bucket in buckets:
            bucket.update_rate_limit()
        return True

    def _may_answer(self, channel_id: int, user_id: int) -> bool:
        """Whether this person and channel may get an answer now (reading images costs)."""
        key = (channel_id, "", user_id)
        return not any(limit.get_bucket(key).get_retry_after() for limit in self.limits[1:])

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None:
            return
        if not message.content and not any(is_image(a) for a in message.attachments):
            return
        if not self._watched(message.channel):
            return
        helpdesk = self.bot.helpdesk
        attachments = message.attachments
        if attachments and not self._may_answer(message.channel.id, message.author.id):
            attachments = []  # no answer could go out: the images are not worth reading
        seen = await helpdesk.reader.see(message.content, attachments)
        # Matched first without storing: chatter in a help channel is not a question to keep.
        result = helpdesk.match(seen.text, "channel", message.guild.id)
        helpdesk.readings.record_all(
            seen, result, Where(message.guild.id, message.channel.id, message.id)
        )
        best = result.best
        if not result.confident or best is None:
            return
        if not self._take(message.channel.id, best.entry.id, message.author.id):
            log.info("help channel: not repeating %s in %s", best.entry.id, message.channel.id)
            return
        note = "" if seen.unread else helpdesk.screen_note(seen, result)  # no OCR: no word
        reply = await helpdesk.reply_for(result, private=False, note=note)
        sent = await retrying(
            "help-channel answer",
            lambda: message.reply(
                embed=reply.embed, view=reply.view, mention_author=False, allowed_mentions=NONE
            ),
        )
        asked = Asked("channel", message.guild.id, message.channel.id, message.created_at)
        await helpdesk.answered(asked, result, sent.id, reply.entry)


async def setup(bot: HelpdeskBot) -> None:
    if not bot.message_content:
        log.info("help channels: off (no HELP_CHANNEL_IDS or no Message Content intent)")
        return
    await bot.add_cog(HelpChannels(bot))
