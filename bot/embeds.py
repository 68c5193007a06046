"""Build answer embeds within Discord's limits; long text is split at word boundaries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.catalog import Entry
from bot.learning import most_reported_fix
from bot.text import MAX_QUERY_CHARS

if TYPE_CHECKING:
    from bot.screens import Reading

COLOURS = {"fatal": 0xE03E3E, "error": 0xE67E22, "warn": 0xF1C40F, "info": 0x3498DB}
TITLE_MAX = 256
FIELD_MAX = 1024
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
TOTAL_MAX = 6000
MORE = "…"  # marks text that continues in the next field or was shortened


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut; text within the limit is returned as is."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(MORE)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + MORE


def quote_user_text(text: str, limit: int = 200) -> str:
    """User text made safe to echo: no pings, no markdown, one line, bounded length."""
    flat = " ".join(text.split())
    return escape_mentions(escape_markdown(shorten(flat, limit)))


def chunks(lines: list[str], limit: int = FIELD_MAX) -> list[str]:
    """Join lines into pieces of at most `limit` characters, splitting only between words."""
    out: list[str] = []
    current = ""
    for line in lines:
        while len(line) > limit:  # one line longer than a field: split it, marked
            head = shorten(line, limit)
            out.extend([current] if current else [])
            current = ""
            out.append(head)
            line = MORE + line[len(head) - len(MORE) :].lstrip()
        joined = f"{current}\n{line}" if current else line
        if len(joined) > limit:
            out.append(current)
            current = line
        else:
            current = joined
    if current:
        out.append(current)
    return out


def _worked(votes: int) -> str:
    return f" — ✅ worked for {votes} {'person' if votes == 1 else 'people'}" if votes else ""


def _add_fields(embed: discord.Embed, name: str, lines: list[str], inline: bool = False) -> None:
    for i, piece in enumerate(chunks(lines)):
        embed.add_field(name=name if i == 0 else f"{name} (continued)", value=piece, inline=inline)


def total_length(embed: discord.Embed) -> int:
    """Characters that count toward Discord's 6,000 per message."""
    n = len(embed.title or "") + len(embed.description or "") + len(embed.footer.text or "")
    n += len(embed.author.name or "")
    return n + sum(len(f.name or "") + len(f.value or "") for f in embed.fields)


def answer_embed(
    entry: Entry, votes: dict[int | None, int] | None = None, header: str = ""
) -> discord.Embed:
    """The full answer: what it is, how it happens, causes, numbered steps, note, platforms."""
    votes = votes or {}
    description = [header] if header else []
    description += [f"> {escape_markdown(m)}" for m in entry.messages]
    if entry.cause_chain:
        description.append("**How it happens:** " + " → ".join(entry.cause_chain))
    embed = discord.Embed(
        title=shorten(f"{entry.id} — {entry.title}", TITLE_MAX),
        description=shorten("\n".join(description), DESCRIPTION_MAX) or None,
        colour=COLOURS.get(entry.severity, 0x95A5A6),
    )
    _add_fields(embed, "Causes", [f"• {c}" for c in entry.causes])
    steps = [f"**{n}.** {s}{_worked(votes.get(n, 0))}" for n, s in enumerate(entry.steps, 1)]
    best = most_reported_fix(votes, len(entry.steps))
    # Above the steps, which keep the catalog's order (cheapest first): never reordered.
    _add_fields(embed, "Steps", ([best.line()] if best else []) + steps)
    if entry.note:
        _add_fields(embed, "Note", [entry.note])
    if votes.get(None):
        embed.add_field(name="None of these worked", value=f"{votes[None]} reported", inline=True)
    embed.add_field(name="Severity", value=entry.severity, inline=True)
    embed.add_field(
        name="Platforms", value=shorten(", ".join(entry.platforms), FIELD_MAX), inline=True
    )
    source = entry.cited
    embed.url = source.url  # the title links to the source, when it has a link
    embed.set_footer(text=shorten(f"Source: {source.name} · Click the step that fixed it", 300))
    return fit(embed, entry.id)


def fit(embed: discord.Embed, entry_id: str) -> discord.Embed:
    """Drop trailing fields, with a marker, until the embed fits Discord's per-message limits."""
    notice = shorten(
        f"This entry is longer than one message: see `{entry_id}` in the catalog.", FIELD_MAX
    )
    budget = TOTAL_MAX - len(MORE) - len(notice)
    dropped = False
    while embed.fields and (len(embed.fields) > FIELDS_MAX - 1 or total_length(embed) > budget):
        embed.remove_field(len(embed.fields) - 1)
        dropped = True
    if total_length(embed) > budget and embed.description:  # even without fields: shorten it
        spare = budget - (total_length(embed) - len(embed.description))
        embed.description = shorten(embed.description, max(spare, len(MORE) + 1))
    if dropped:
        embed.add_field(name=MORE, value=notice)
    return embed


def not_found_embed(query: str, truncated: bool = False, note: str = "") -> discord.Embed:
    """Nothing plausible: say so, show how to search, and that moderators will see it."""
    shown = quote_user_text(query, 150) or "(empty)"
    return discord.Embed(
        title="No Spotify error matched",
        description=(
            (f"{note}\n\n" if note else "") + f"Nothing in the catalog fits “{shown}”.\n\n"
            "Try the **code** from the dialog (`auth:73`, `error 2026`, `accesspoint:39`) or paste"
            " the dialog's **exact text**.\nModerators review questions that found no answer to"
            " grow the catalog." + (f"\n\n{CUT_NOTE}" if truncated else "")
        ),
        colour=0x95A5A6,
    )


UNREAD_NOTE = (
    "*Images are not read here: this bot has no OCR engine installed. Paste the dialog's text"
    " or its code instead.*"
)


def screenshot_note(line: str) -> str:
    """The line a screenshot's reading was answered on, shown so a misreading is seen at once."""
    return f'Read from your screenshot: "{quote_user_text(line, 100)}"'


def unread_note(readings: Iterable[Reading]) -> str:
    """Why a question's images gave nothing, one line each ("" when every one gave text)."""
    lines = [
        f"*Not read: {quote_user_text(r.name, 60)}: {quote_user_text(r.problem, 200)}*"
        if r.problem
        else f"*No text found in {quote_user_text(r.name, 60)}.*"
        for r in readings
        if r.problem or not r.text
    ]
    return "\n".join(lines)


CUT_NOTE = f"*Only the first {MAX_QUERY_CHARS:,} characters of your text were searched.*"


def header_for(confident: bool, ambiguous: bool, others: int, truncated: bool = False) -> str:
    """A line above an answer that was not a sure match (or came from a cut paste)."""
    if truncated:
        return "\n".join(filter(None, [header_for(confident, ambiguous, others), CUT_NOTE]))
    if ambiguous:
        return (
            f"**{others + 1} errors show this message.** This is the most common one; pick"
            " yours below if the code in your dialog differs."
        )
    if not confident:
        return "**Not sure this is it.** Did you mean one of the others below?"
    return ""
