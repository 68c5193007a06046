"""The ceiling: discord.py answering a constant embed and acking a button, nothing else.

The constant is a real answer (error:2026's embed and vote buttons, rendered once), so both
bots send the same bytes and the difference is the bot's own work: matching, SQLite, building.
"""

from __future__ import annotations

import asyncio
import re
import signal

import discord
from discord.ext import commands

from bot.catalog import load_catalog
from bot.embeds import answer_embed

ENTRY = load_catalog().get("error:2026")
EMBED = answer_embed(ENTRY)


class Vote(discord.ui.DynamicItem[discord.ui.Button], template=r"seb:v:(?P<step>\w+):(?P<e>.+)"):
    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="Step 1 worked", custom_id=custom_id))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]) -> Vote:
        return cls(item.custom_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Saved", ephemeral=True)


def main(argv: list[str]) -> int:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    bot.add_dynamic_items(Vote)

    @bot.tree.command(name="spotify-error", description="constant")
    async def spotify_error(interaction: discord.Interaction, query: str) -> None:
        view = discord.ui.View(timeout=None)
        for step in range(1, min(len(ENTRY.steps), 9) + 1):
            view.add_item(Vote(f"seb:v:{step}:error:2026"))
        view.add_item(Vote("seb:v:none:error:2026"))
        await interaction.response.send_message(embed=EMBED, view=view)

    async def run() -> int:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with bot:
            runner = asyncio.create_task(bot.start("stub-token"))
            await stop.wait()
        await asyncio.gather(runner, return_exceptions=True)
        return 0

    return asyncio.run(run())
