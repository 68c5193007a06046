"""Persistent buttons and selects under answers; their state lives in the custom_id."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord

from bot.catalog import Entry
from bot.embeds import shorten

if TYPE_CHECKING:  # the client imports this module: a name for type checkers only
    from bot.client import HelpdeskBot

    Interaction = discord.Interaction[HelpdeskBot]
else:
    Interaction = discord.Interaction

BUTTON_STEPS = 9  # steps 1-9 get buttons (two rows with "None worked"); the rest a select
_ENTRY = r"(?P<entry>[A-Za-z0-9_.:\-]{1,80})"


RESTARTING = "The bot is restarting; please try again in a few seconds."


async def refuse_while_draining(interaction: Interaction) -> bool:
    """During shutdown, answer new interactions with a short private note instead of work."""
    if not interaction.client.draining:
        return True
    if not interaction.response.is_done():
        await interaction.response.send_message(RESTARTING, ephemeral=True)
    return False


def carries(message: discord.Message | None, custom_id: str) -> bool:
    """The message has a component with this custom_id (discord.py ignores clicks that don't)."""
    return message is not None and any(
        getattr(child, "custom_id", None) == custom_id
        for row in message.components
        for child in getattr(row, "children", ())
    )


class _Guarded:
    """Components refuse new work while the bot shuts down."""

    async def interaction_check(self, interaction: Interaction) -> bool:
        return await refuse_while_draining(interaction)


class VoteButton(
    _Guarded,
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"seb:v:(?P<step>\d{{1,2}}|none):{_ENTRY}",
):
    """'Step N worked' / 'None of these worked' under an answer."""

    def __init__(self, entry_id: str, step: int | None) -> None:
        label = f"Step {step} worked" if step is not None else "None of these worked"
        style = discord.ButtonStyle.success if step is not None else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=f"seb:v:{step or 'none'}:{entry_id}",
            )
        )
        self.entry_id = entry_id
        self.step = step

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> VoteButton:
        step = None if match["step"] == "none" else int(match["step"])
        return cls(match["entry"], step)

    async def callback(self, interaction: Interaction) -> None:
        await interaction.client.helpdesk.vote(interaction, self.entry_id, self.step)


class VoteSelect(_Guarded, discord.ui.DynamicItem[discord.ui.Select], template=rf"seb:vs:{_ENTRY}"):
    """Steps past the buttons: 'Which step worked?'."""

    def __init__(self, entry_id: str, steps: int = BUTTON_STEPS + 1) -> None:
        options = [
            discord.SelectOption(label=f"Step {n} worked", value=str(n))
            for n in range(BUTTON_STEPS + 1, min(steps, BUTTON_STEPS + 25) + 1)
        ] or [discord.SelectOption(label="Step 10 worked", value="10")]
        super().__init__(
            discord.ui.Select(
                custom_id=f"seb:vs:{entry_id}",
                placeholder="A later step worked?",
                options=options,
                row=2,
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> VoteSelect:
        return cls(match["entry"])

    async def callback(self, interaction: Interaction) -> None:
        value = self.item.values[0] if self.item.values else ""
        step = int(value) if value.isdigit() else -1
        await interaction.client.helpdesk.vote(interaction, self.entry_id, step)


class PickSelect(_Guarded, discord.ui.DynamicItem[discord.ui.Select], template=r"seb:pick"):
    """'Did you mean…': choosing an entry posts its answer."""

    def __init__(self, candidates: list[Entry] | None = None) -> None:
        options = [
            discord.SelectOption(
                label=shorten(e.id, 100), value=e.id[:100], description=shorten(e.title, 100)
            )
            for e in (candidates or [])[:25]
        ] or [discord.SelectOption(label="-", value="-")]
        super().__init__(
            discord.ui.Select(
                custom_id="seb:pick", placeholder="Did you mean…", options=options, row=3
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> PickSelect:
        return cls()

    async def callback(self, interaction: Interaction) -> None:
        value = self.item.values[0] if self.item.values else ""
        await interaction.client.helpdesk.pick(interaction, value)


def answer_view(entry: Entry, candidates: list[Entry] = ()) -> discord.ui.View:
    """Vote buttons for the entry's steps, and a 'Did you mean' select when there are others."""
    view = discord.ui.View(timeout=None)
    for step in range(1, min(len(entry.steps), BUTTON_STEPS) + 1):
        button = VoteButton(entry.id, step)
        button.item.row = (step - 1) // 5
        view.add_item(button)
    none = VoteButton(entry.id, None)
    none.item.row = 1
    view.add_item(none)
    if len(entry.steps) > BUTTON_STEPS:
        view.add_item(VoteSelect(entry.id, len(entry.steps)))
    if candidates:
        view.add_item(PickSelect(candidates))
    return view
