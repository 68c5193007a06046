"""/spotify-error with autocomplete, and the 'Identify Spotify error' message menu."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HelpdeskBot
from bot.embeds import shorten
from bot.helpdesk import DEFER_AFTER
from bot.screens import Seen
from bot.screens_log import Where

log = logging.getLogger(__name__)

NOTHING_ASKED = "Give the code or text of the error (`query:`), or a `screenshot:` of it."


class Lookup(commands.Cog):
    """Answers people who ask."""

    def __init__(self, bot: HelpdeskBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Identify Spotify error", callback=self.identify)
        self.bot.tree.add_command(self.menu)

    async def cog_load(self) -> None:
        await self.bot.helpdesk.open_reader(self.bot, self.bot.settings.ocr_log_channel_id)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        self.bot.helpdesk.reader.close()

    async def _see(
        self,
        interaction: discord.Interaction,
        typed: str,
        attachments: list[discord.Attachment],
        *,
        ephemeral: bool,
    ) -> Seen:
        """Read the images; when that takes a while, keep the interaction alive first."""
        if not attachments:
            return Seen(typed)
        seeing = asyncio.ensure_future(self.bot.helpdesk.reader.see(typed, attachments))
        done, _ = await asyncio.wait({seeing}, timeout=DEFER_AFTER)
        if not done:  # Discord wants an answer within 3 s
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        return await seeing

    @app_commands.command(
        name="spotify-error", description="Explain a Spotify error and how to fix it"
    )
    @app_commands.describe(
        query="The code (auth:73, error 2026) or the text of the error dialog",
        private="Only you see the answer",
        screenshot="A screenshot of the error dialog (PNG, JPEG, WebP or GIF)",
    )
    async def spotify_error(
        self,
        interaction: discord.Interaction,
        query: str = "",
        private: bool = False,
        screenshot: discord.Attachment | None = None,
    ) -> None:
        helpdesk = self.bot.helpdesk
        if not query.strip() and screenshot is None:
            await interaction.response.send_message(NOTHING_ASKED, ephemeral=True)
            return
        attachments = [screenshot] if screenshot is not None else []
        seen = await self._see(interaction, query, attachments, ephemeral=private)
        result = helpdesk.match(seen.text, "slash", interaction.guild_id)
        note = helpdesk.screen_note(seen, result)
        reply = await helpdesk.reply_for(result, private=private, note=note)
        # Nothing found is only useful to the asker: keep the channel clean.
        ephemeral = private or reply.entry is None
        if ephemeral and not private and interaction.response.is_done():
            # Deferred in public while the screenshot was read: take the "thinking…" back, so
            # the note can go to the asker alone.
            await interaction.delete_original_response()
        answer_id = await helpdesk.respond(
            interaction,
            reply,
            ephemeral=ephemeral,
            source="slash",
            result=result,
        )
        where = Where(interaction.guild_id, interaction.channel_id, answer_id)
        helpdesk.readings.record_all(seen, result, where)

    @spotify_error.autocomplete("query")
    async def query_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        entries = self.bot.helpdesk.matcher.complete(current, limit=25)
        return [
            app_commands.Choice(name=shorten(f"{e.id} — {e.title}", 100), value=e.id[:100])
            for e in entries[:25]
        ]

    async def identify(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Look up a message's text and images for the person who asked; only they see it."""
        helpdesk = self.bot.helpdesk
        text = "\n".join([message.content, *(e.description or "" for e in message.embeds)]).strip()
        seen = await self._see(interaction, text, message.attachments, ephemeral=True)
        result = helpdesk.match(seen.text, "context", interaction.guild_id)
        await helpdesk.respond(
            interaction,
            await helpdesk.reply_for(result, private=True, note=helpdesk.screen_note(seen, result)),
            ephemeral=True,
            source="context",
            result=result,
        )
        helpdesk.readings.record_all(
            seen,
            result,
            Where(message.guild.id if message.guild else None, message.channel.id, message.id),
        )


async def setup(bot: HelpdeskBot) -> None:
    await bot.add_cog(Lookup(bot))
