"""The replies the bot sends: built from a result and its vote counts, cached per state."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import discord

from bot.catalog import Entry
from bot.components import answer_view
from bot.embeds import answer_embed, header_for, not_found_embed
from bot.matcher import Result

REPLIES_CACHED = 256  # one per entry, header and state of its vote counts


@dataclass(slots=True)
class Reply:
    """An answer ready to send: its embed, components and the entry it names (if one)."""

    embed: discord.Embed
    view: discord.ui.View | None
    entry: Entry | None


def compose_reply(
    result: Result, votes: dict[int | None, int], *, private: bool, note: str = ""
) -> Reply:
    """The reply to a lookup result, given the vote counts of its best entry (note on top)."""
    best = result.best
    if best is None:
        return Reply(not_found_embed(result.query, result.truncated, note), None, None)
    # A sure answer stands alone; otherwise the others are one click away.
    others = () if result.confident else tuple(m.entry for m in result.matches[1:])
    header = header_for(result.confident, result.ambiguous, len(others), result.truncated)
    header = "\n".join(filter(None, [note, header]))
    return answer_reply(best.entry, frozenset(votes.items()), header, others, private)


@functools.lru_cache(maxsize=REPLIES_CACHED)
def answer_reply(
    entry: Entry,
    votes: frozenset[tuple[int | None, int]],
    header: str = "",
    others: tuple[Entry, ...] = (),
    private: bool = False,
) -> Reply:
    """An entry's reply, built once and sent as often as it is asked for.

    Every component is a DynamicItem, dispatched by its custom_id alone, so one view can go
    out under any number of messages. Private replies get views of their own: discord.py
    gives a private reply's view a 15-minute timeout.
    """
    return Reply(answer_embed(entry, dict(votes), header), answer_view(entry, list(others)), entry)
