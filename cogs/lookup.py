"""/spotify-error with autocomplete, and the 'Identify Spotify error' message menu."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HelpdeskBot
from bot.embeds import shorten

log = logging.getLogger(__name__)


class Lookup(commands.Cog):
    """Answers people who ask."""

    def __init__(self, bot: HelpdeskBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Identify Spotify error", callback=self.identify)
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @app_commands.command(
        name="spotify-error", description="Explain a Spotify error and how to fix it"
    )
    @app_commands.describe(
        query="The code (auth:73, error 2026) or the text of the error dialog",
        private="Only you see the answer",
    )
    async def spotify_error(
        self, interaction: discord.Interaction, query: str, private: bool = False
    ) -> None:
        helpdesk = self.bot.helpdesk
        result = helpdesk.match(query, "slash", interaction.guild_id)
        reply = await helpdesk.reply_for(result, private=private)
        # Nothing found is only useful to the asker: keep the channel clean.
        await helpdesk.respond(
            interaction,
            reply,
            ephemeral=private or reply.entry is None,
            source="slash",
            result=result,
        )

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
        """Look up a message's text for the person who asked; only they see the answer."""
        helpdesk = self.bot.helpdesk
        text = "\n".join([message.content, *(e.description or "" for e in message.embeds)]).strip()
        result = helpdesk.match(text, "context", interaction.guild_id)
        await helpdesk.respond(
            interaction,
            await helpdesk.reply_for(result, private=True),
            ephemeral=True,
            source="context",
            result=result,
        )


async def setup(bot: HelpdeskBot) -> None:
    await bot.add_cog(Lookup(bot))
