"""The ceiling: discord.py sending the real bot's answer to one query, computed once.

The constant is what spotify-error-bot itself replies to the benchmark's query (its embed, vote
buttons and any select, built by the bot's own code), so both bots send the same bytes and the
difference is the bot's own work per interaction: matching, building the reply, SQLite, logs.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal

import discord
from discord.ext import commands

from bot.helpdesk import saved_note
from bot.loading import load_matcher
from bot.replies import compose_reply

QUERY = os.environ.get("BENCH_QUERY", "2026")


class Vote(discord.ui.DynamicItem[discord.ui.Button], template=r"seb:v:(?P<step>\w+):(?P<e>.+)"):
    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="Step 1 worked", custom_id=custom_id))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]) -> Vote:
        return cls(item.custom_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(saved_note(1), ephemeral=True)


def main(argv: list[str]) -> int:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    bot.add_dynamic_items(Vote)
    reply = compose_reply(load_matcher().match(QUERY), {}, private=False)

    @bot.tree.command(name="spotify-error", description="constant")
    async def spotify_error(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(embed=reply.embed, view=reply.view)

    async def run() -> int:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with bot:
            runner = asyncio.create_task(bot.start("stub-token"))
            await stop.wait()
        await asyncio.gather(runner, return_exceptions=True)
        return 0

    return asyncio.run(run())
