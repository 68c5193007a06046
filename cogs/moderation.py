"""Moderators' reports: which fixes work, a chart and a CSV export; catalog reloads."""

from __future__ import annotations

import csv
import io
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts import step_chart
from bot.checks import moderators_only
from bot.client import HelpdeskBot
from bot.embeds import FIELD_MAX, chunks, quote_user_text, shorten
from bot.learning import MIN_VOTES, most_reported_fix
from bot.store import Stats

log = logging.getLogger(__name__)

CHARTS_MAX = 4  # charts attached to one report: the most voted entries
FAILING_MAX = 5  # entries listed as failing most often


def _share(n: int, total: int) -> str:
    return f"{n} ({n * 100 // total}%)" if total else str(n)


class Moderation(commands.Cog):
    """/fix-stats and /catalog reload."""

    def __init__(self, bot: HelpdeskBot) -> None:
        self.bot = bot

    def _step_lines(self, entry_id: str, votes: dict[int | None, int], every: bool) -> list[str]:
        entry = self.bot.helpdesk.matcher.catalog.get(entry_id)
        total = sum(votes.values())
        steps = (
            range(1, len(entry.steps) + 1)
            if entry is not None and every
            else sorted(s for s in votes if s is not None)
        )
        lines = [f"Step {s}: {_share(votes.get(s, 0), total)}" for s in steps]
        lines.append(f"None worked: {_share(votes.get(None, 0), total)}")
        return lines

    def _stats_embed(self, stats: Stats, days: int, entry_id: str | None) -> discord.Embed:
        catalog = self.bot.helpdesk.matcher.catalog
        title = f"Fix stats — last {days} days" + (f" — {entry_id}" if entry_id else "")
        embed = discord.Embed(title=shorten(title, 256), colour=0x1DB954)
        embed.description = (
            f"**Lookups** {stats.lookups} ({stats.matched} matched"
            + (f", {stats.unmatched} unmatched" if entry_id is None else "")
            + f") · **Answers posted** {stats.answers} · **Votes** {stats.votes}"
        )
        if entry_id is None and stats.top:
            lines = [
                f"{i}. `{e}` {shorten(catalog.get(e).title if catalog.get(e) else '?', 60)} — {n}"
                for i, (e, n) in enumerate(stats.top, 1)
            ]
            embed.add_field(name="Most asked", value=chunks(lines)[0], inline=False)
        ranked = sorted(stats.steps.items(), key=lambda kv: -sum(kv[1].values()))
        for entry, votes in ranked[: 1 if entry_id else 8]:
            found = catalog.get(entry)
            name = shorten(f"{entry} — {found.title if found else '(no longer in catalog)'}", 256)
            value = chunks(self._step_lines(entry, votes, every=entry_id is not None))[0]
            embed.add_field(name=name, value=value[:FIELD_MAX], inline=False)
        if not stats.steps:
            embed.add_field(name="Votes", value="No votes in this period yet.", inline=False)
        return embed

    def _failing(self, stats: Stats) -> list[str]:
        """Entries whose steps most often helped nobody: work for the catalog."""
        rows = []
        for entry_id, votes in stats.steps.items():
            total = sum(votes.values())
            if total >= MIN_VOTES and votes.get(None):
                rows.append((votes[None] / total, votes[None], total, entry_id))
        rows.sort(key=lambda r: (-r[0], -r[2], r[3]))
        return [
            f"`{entry_id}` none worked for {none} of {total} ({share:.0%})"
            for share, none, total, entry_id in rows[:FAILING_MAX]
        ]

    def _charts(self, stats: Stats) -> list[discord.File]:
        """A bar chart per step of the most voted entries, the best step in green."""
        catalog = self.bot.helpdesk.matcher.catalog
        ranked = sorted(stats.steps.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        files = []
        for entry_id, votes in ranked:
            entry = catalog.get(entry_id)
            if entry is None:
                continue
            best = most_reported_fix(votes, len(entry.steps))
            png = step_chart(entry, votes, best.step if best else None)
            name = "fix-stats-" + "".join(c if c.isalnum() else "-" for c in entry_id) + ".png"
            files.append(discord.File(io.BytesIO(png), filename=name))
            if len(files) == CHARTS_MAX:
                break
        return files

    def _csv(self, stats: Stats) -> discord.File:
        catalog = self.bot.helpdesk.matcher.catalog
        asked = dict(stats.top)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["entry_id", "title", "lookups", "step", "step_text", "votes", "share"])
        for entry_id, votes in sorted(stats.steps.items()):
            entry = catalog.get(entry_id)
            total = sum(votes.values())
            for step, n in sorted(votes.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
                text = entry.steps[step - 1] if entry and step and step <= len(entry.steps) else ""
                writer.writerow(
                    [
                        entry_id,
                        entry.title if entry else "",
                        asked.get(entry_id, ""),
                        "none" if step is None else step,
                        text,
                        n,
                        f"{n / total:.3f}",
                    ]
                )
        return discord.File(io.BytesIO(out.getvalue().encode()), filename="fix-stats.csv")

    @app_commands.command(name="fix-stats", description="Which fixes work (moderators)")
    @app_commands.describe(
        days="Period in days (default 30)",
        error="Only this error",
        export="Attach the numbers as CSV",
    )
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    @moderators_only()
    async def fix_stats(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, 3650] = 30,
        error: str | None = None,
        export: bool = False,
    ) -> None:
        helpdesk = self.bot.helpdesk
        if error is not None and helpdesk.matcher.catalog.get(error) is None:
            await interaction.response.send_message(
                f"`{quote_user_text(error, 80)}` is not a catalog id; pick one from the list.",
                ephemeral=True,
            )
            return
        stats = await helpdesk.store.stats(
            time.time() - days * 86400, guild_id=interaction.guild_id, entry_id=error
        )
        embed = self._stats_embed(stats, days, error)
        failing = self._failing(stats)
        if failing and error is None:
            embed.add_field(name="Fails most often", value=chunks(failing)[0], inline=False)
        charts = self._charts(stats)
        if charts:
            embed.set_image(url=f"attachment://{charts[0].filename}")
        files = ([self._csv(stats)] if export else []) + charts
        await interaction.response.send_message(embed=embed, files=files, ephemeral=True)

    @fix_stats.autocomplete("error")
    async def error_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=shorten(f"{e.id} — {e.title}", 100), value=e.id[:100])
            for e in self.bot.helpdesk.matcher.complete(current, limit=25)
        ]

    catalog = app_commands.Group(
        name="catalog",
        description="The error catalog (moderators)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    @catalog.command(name="reload", description="Load the catalog files again, without a restart")
    @moderators_only()
    async def catalog_reload(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = await self.bot.reload_catalog()
        await interaction.followup.send(shorten(text, 2000), ephemeral=True)


async def setup(bot: HelpdeskBot) -> None:
    await bot.add_cog(Moderation(bot))
