"""Moderators teach the bot: link unmatched questions to entries, list and remove lessons."""

from __future__ import annotations

import hashlib
import logging
import re
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import is_moderator, moderators_only
from bot.client import HelpdeskBot
from bot.embeds import chunks, quote_user_text, shorten
from bot.learning import Learned
from bot.store import question_key

log = logging.getLogger(__name__)

LINKS_SHOWN = 5  # one select per question; a message holds five rows of components
OPTIONS_MAX = 25  # Discord's options per select
MODAL_TIMEOUT = 600.0  # a moderator typing an id has ten minutes
KEY_CHARS = 16  # hex characters of a question's key in a custom_id
NOT_A_MODERATOR = "Only moderators can teach the bot."
OTHER = "\u2026other"  # the select's last option: type an id the select has no room for
GONE = "That question is no longer in the report; run the command again."


def _option(entry) -> discord.SelectOption:
    return discord.SelectOption(
        label=shorten(entry.id, 100), value=entry.id[:100], description=shorten(entry.title, 100)
    )


def key_of(text: str) -> str:
    """A short, stable name of a question for a custom_id (which holds 100 characters)."""
    return hashlib.sha1(question_key(text).encode()).hexdigest()[:KEY_CHARS]


class LinkSelect(
    discord.ui.DynamicItem[discord.ui.Select], template=r"seb:link:(?P<key>[0-9a-f]{16})"
):
    """ "This is accounts:408": links one unmatched question to the chosen entry."""

    def __init__(self, key: str, question: str = "", guesses: list = (), row: int = 0) -> None:
        options = [_option(e) for e in guesses[: OPTIONS_MAX - 1]]
        options.append(discord.SelectOption(label="Another entry… (type its id)", value=OTHER))
        super().__init__(
            discord.ui.Select(
                custom_id=f"seb:link:{key}",
                placeholder=shorten(f"Link “{' '.join(question.split())}” to…", 150),
                options=options,
                row=row,
            )
        )
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> LinkSelect:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        if not is_moderator(interaction):
            await interaction.response.send_message(NOT_A_MODERATOR, ephemeral=True)
            return
        bot = interaction.client
        unmatched = await bot.helpdesk.store.unmatched(0, guild_id=interaction.guild_id, limit=200)
        question = next((r.query for r in unmatched[1] if key_of(r.query) == self.key), None)
        if question is None:
            await interaction.response.send_message(GONE, ephemeral=True)
        elif self.item.values[0] == OTHER:
            await interaction.response.send_modal(LinkModal(bot, question))
        else:
            await link(bot, interaction, question, self.item.values[0])


class LinkModal(discord.ui.Modal, title="Link the question to an entry"):
    """The catalog has more entries than a select shows: the moderator types the id."""

    entry_id = discord.ui.TextInput(label="Catalog id", placeholder="accounts:408", max_length=80)

    def __init__(self, bot: HelpdeskBot, question: str) -> None:
        super().__init__(timeout=MODAL_TIMEOUT)
        self.bot, self.question = bot, question

    async def on_submit(self, interaction: discord.Interaction) -> None:
        typed = self.entry_id.value.strip()
        if self.bot.helpdesk.matcher.catalog.get(typed) is None:
            await interaction.response.send_message(
                f"`{quote_user_text(typed, 80)}` is not a catalog id: nothing was learned.",
                ephemeral=True,
            )
            return
        await link(self.bot, interaction, self.question, typed)


async def link(bot: HelpdeskBot, interaction: discord.Interaction, question: str, entry_id: str):
    """Teach the server the question's entry and say so privately."""
    await bot.helpdesk.lessons.link(interaction.guild_id, question, entry_id, interaction.user.id)
    await interaction.response.send_message(
        f"Learned: “{quote_user_text(question, 120)}” is `{entry_id}`. Asked again in this"
        " server, it gets that answer.",
        ephemeral=True,
    )


class ForgetSelect(discord.ui.DynamicItem[discord.ui.Select], template=r"seb:forget"):
    """Removes one learned phrase of this server."""

    def __init__(self, learned: list[Learned] = ()) -> None:
        options = [
            discord.SelectOption(
                label=shorten(" ".join(item.phrase.split()), 100),
                value=key_of(item.phrase),
                description=shorten(item.entry_id, 100),
            )
            for item in learned[:OPTIONS_MAX]
        ] or [discord.SelectOption(label="-", value="-")]
        super().__init__(
            discord.ui.Select(
                custom_id="seb:forget", placeholder="Remove a learned phrase…", options=options
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> ForgetSelect:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        if not is_moderator(interaction):
            await interaction.response.send_message(NOT_A_MODERATOR, ephemeral=True)
            return
        helpdesk = interaction.client.helpdesk
        learned = await helpdesk.lessons.learned(interaction.guild_id)
        chosen = self.item.values[0] if self.item.values else ""
        item = next((i for i in learned if key_of(i.phrase) == chosen), None)
        if item is None:
            await interaction.response.send_message(GONE, ephemeral=True)
            return
        await helpdesk.lessons.forget(interaction.guild_id, item.phrase)
        await interaction.response.send_message(
            f"Removed: “{quote_user_text(item.phrase, 120)}” no longer leads to `{item.entry_id}`.",
            ephemeral=True,
        )


class Teaching(commands.Cog):
    """/unmatched (with links to entries) and /learned."""

    def __init__(self, bot: HelpdeskBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(LinkSelect, ForgetSelect)

    @app_commands.command(name="unmatched", description="Questions nothing matched (moderators)")
    @app_commands.describe(days="Period in days (default 30)")
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    @moderators_only()
    async def unmatched(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 3650] = 30
    ) -> None:
        recent, frequent = await self.bot.helpdesk.store.unmatched(
            time.time() - days * 86400, guild_id=interaction.guild_id
        )
        embed = discord.Embed(title=f"Unmatched questions — last {days} days", colour=0x95A5A6)
        for name, rows, fmt in (
            ("Most frequent", frequent, lambda r: f"{r.count}× “{quote_user_text(r.query, 80)}”"),
            (
                "Most recent",
                recent,
                lambda r: f"<t:{int(r.last_seen)}:R> “{quote_user_text(r.query, 80)}”",
            ),
        ):
            lines = [fmt(r) for r in rows] or ["None: every question found an answer."]
            embed.add_field(name=name, value=chunks(lines)[0], inline=False)
        kwargs = {"embed": embed, "ephemeral": True}
        if frequent:
            view = discord.ui.View(timeout=None)
            likeliest = self.bot.helpdesk.matcher.likeliest
            for row, item in enumerate(frequent[:LINKS_SHOWN]):
                guesses = likeliest(item.query)
                view.add_item(LinkSelect(key_of(item.query), item.query, guesses, row))
            embed.set_footer(
                text="Link a question to its entry: the bot learns it for this server."
            )
            kwargs["view"] = view
        await interaction.response.send_message(**kwargs)

    @app_commands.command(name="learned", description="Phrases this server taught the bot")
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    @moderators_only()
    async def learned(self, interaction: discord.Interaction) -> None:
        learned = await self.bot.helpdesk.lessons.learned(interaction.guild_id)
        embed = discord.Embed(title="Learned phrases", colour=0x1DB954)
        lines = [
            f"{i}. “{quote_user_text(item.phrase, 80)}” → `{item.entry_id}`"
            f" ({'linked by a moderator' if item.by_moderator else 'picked by users'})"
            for i, item in enumerate(learned, 1)
        ]
        embed.description = chunks(lines or ["Nothing yet: link questions from /unmatched."])[0]
        kwargs = {"embed": embed, "ephemeral": True}
        if learned:
            kwargs["view"] = discord.ui.View(timeout=None).add_item(ForgetSelect(learned))
        await interaction.response.send_message(**kwargs)


async def setup(bot: HelpdeskBot) -> None:
    await bot.add_cog(Teaching(bot))
