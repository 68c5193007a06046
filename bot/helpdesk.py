"""What the bot does with a question and a vote; the cogs only route Discord events here."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import discord

from bot.catalog import Entry
from bot.components import carries
from bot.delivery import REFRESH_INTERVAL, Refresher, send
from bot.embeds import (
    UNREAD_NOTE,
    answer_embed,
    screenshot_note,
    unread_note,
)
from bot.lessons import Lessons
from bot.loading import load_matcher
from bot.matcher import Matcher, Result
from bot.metrics import Metrics
from bot.replies import Reply, answer_reply, compose_reply
from bot.screens import Reader, Seen, deciding_line, load_reader, quote
from bot.screens_log import ReadingLog
from bot.store import Answer, Lookup, Store, StoreError

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
DEFER_AFTER = 2.0  # a vote not saved by then is deferred: Discord wants an answer within 3 s
VOTE_WAIT = 10.0  # then the user hears it is queued, not saved
QUEUED = (
    "The database is busy: your vote is queued and will be saved when it recovers."
    " It is not saved yet."
)
NOT_SAVED = "Sorry, your vote could not be saved right now. Please try again in a minute."
ANSWERS_CACHED = 10_000  # recent answers kept in memory, so a vote needs no database read
# The same questions come again and again ("error 2026"): their results and replies are kept.
MATCHES_CACHED = 1024


@dataclass(frozen=True, slots=True)
class Asked:
    """Through which door, where and when a question reached the bot."""

    source: str  # slash | channel | context | pick
    guild_id: int | None
    channel_id: int | None
    at: datetime

    @classmethod
    def of(cls, interaction: discord.Interaction, source: str) -> Asked:
        return cls(source, interaction.guild_id, interaction.channel_id, interaction.created_at)


class Helpdesk:
    """Looks questions up, builds replies, records answers and votes."""

    def __init__(self, matcher: Matcher, store: Store, refresh_interval: float = REFRESH_INTERVAL):
        self.matcher = matcher
        # One cache for every question: keyed by the server only when it has lessons, and by
        # the lessons' version, so a new lesson is never answered from a stale entry.
        self._match = functools.lru_cache(maxsize=MATCHES_CACHED)(self._matched)
        self.store = store
        self.refresher = Refresher(refresh_interval)
        self.metrics = Metrics()
        self._votes: dict[str, dict[int | None, int]] = {}  # per entry; dropped on each vote
        self._answers: OrderedDict[int, Answer] = OrderedDict()  # recent answers, for votes
        self.lessons = Lessons(store)
        # Screenshots are not read until a cog that reads them opens the engine.
        self.reader = Reader(None, "the OCR engine was not started")
        self.readings = ReadingLog()

    def _matched(self, query: str, guild_id: int | None, version: int) -> Result:
        """A match with the server's learned phrases, if any; `version` only keys the cache."""
        return self.matcher.match(query, learned=self.lessons.of(guild_id))

    async def open_reader(self, client: discord.Client, log_channel_id: int | None) -> Reader:
        """Start the OCR engine once (off the loop); without one, say so once."""
        if self.reader.engine is None and not self.readings.started:
            self.reader = await asyncio.to_thread(load_reader)
            if self.reader.available:
                log.info("screenshots: read with %s", self.reader.status)
            else:
                log.warning("screenshots: images are not read: %s", self.reader.status)
            self.readings = ReadingLog(client, log_channel_id, self.metrics)
        return self.reader

    def screen_note(self, seen: Seen, result: Result) -> str:
        """'Read from your screenshot: "…"' with the line that decided, or why none was read."""
        if seen.unread:
            return UNREAD_NOTE
        best = result.best
        text = "\n".join(r.text for r in seen.readings)
        line = deciding_line(text, best.entry.id, self.matcher.match) if best and text else ""
        if line:
            return screenshot_note(quote(line))
        return unread_note(seen.readings)

    async def step_votes(self, entry_id: str) -> dict[int | None, int]:
        """Votes per step of an entry, from memory until the next vote on it.

        A shared database takes votes from other processes too: its counts are always read.
        """
        votes = None if self.store.shared else self._votes.get(entry_id)
        if votes is None:
            try:
                votes = await self.store.step_votes(entry_id)
            except Exception as exc:  # a database outage: the answer goes out without counts
                log.warning(
                    "vote counts of %s not read: %s", entry_id, str(exc) or type(exc).__name__
                )
                return {}
            if not self.store.shared:
                self._votes[entry_id] = votes
        return votes

    async def reload(self, path: Path | None) -> str:
        """Load and index the catalog again; on any problem the old one keeps serving."""
        meanings = self.matcher.meanings is not None  # as the operator chose at start
        matcher = await asyncio.to_thread(load_matcher, path, meanings)
        old = len(self.matcher.entries)
        self.matcher = matcher
        self._match.cache_clear()
        answer_reply.cache_clear()
        self._votes.clear()
        log.info("catalog reloaded: %d entries (was %d)", len(matcher.entries), old)
        return f"Catalog reloaded: {len(matcher.entries)} entries (was {old})."

    def match(self, query: str, source: str, guild_id: int | None = None) -> Result:
        """Match a question, with what its server learned (the text is logged only at DEBUG)."""
        started = time.perf_counter()
        if self.lessons.of(guild_id) is None:  # untaught servers share one cache entry
            result = self._match(query, None, 0)
        else:
            result = self._match(query, guild_id, self.lessons.version)
        self.metrics.match_seconds.observe(time.perf_counter() - started)
        outcome = "none" if result.best is None else "sure" if result.confident else "unsure"
        self.metrics.lookups.labels(outcome).inc()
        log.debug("match source=%s query=%r", source, result.query)
        return result

    async def answered(
        self,
        asked: Asked,
        result: Result | None,
        message_id: int | None,
        entry: Entry | None,
    ) -> None:
        """Record a lookup and the answer posted for it; one log line for both."""
        best = result.found if result is not None else None
        if result is not None:
            await self.store.add_lookup(
                Lookup(
                    source=asked.source,
                    query=result.query,
                    entry_id=best.entry.id if best else None,
                    score=best.score if best else 0.0,
                    confident=result.confident,
                    guild_id=asked.guild_id,
                    channel_id=asked.channel_id,
                )
            )
        if message_id is not None and entry is not None:
            question = result.query if result is not None and asked.source != "pick" else None
            answer = Answer(message_id, entry.id, asked.guild_id, asked.channel_id, question)
            # Cached and queued with no await between: a click that finds it cached queues
            # its vote behind this write, so the vote's foreign key holds.
            self._remember(answer)
            self.metrics.answers.labels(asked.source).inc()
            await self.store.add_answer(answer)
        log.info(
            "answer source=%s entry=%s score=%.1f confident=%s ambiguous=%s message=%s guild=%s"
            " channel=%s latency_ms=%.1f",
            asked.source,
            entry.id if entry else None,
            best.score if best else 0.0,
            result.confident if result else True,
            result.ambiguous if result else False,
            message_id,
            asked.guild_id,
            asked.channel_id,
            (discord.utils.utcnow() - asked.at).total_seconds() * 1e3,
        )

    def _remember(self, answer: Answer) -> None:
        self._answers[answer.message_id] = answer
        if len(self._answers) > ANSWERS_CACHED:
            self._answers.popitem(last=False)

    async def _answer(self, message_id: int) -> Answer | None:
        answer = self._answers.get(message_id)
        if answer is None:
            answer = await self.store.answer(message_id)
        return answer

    async def reply_for(self, result: Result, *, private: bool, note: str = "") -> Reply:
        """The embed and components for a lookup result, of whatever confidence."""
        best = result.best
        votes = await self.step_votes(best.entry.id) if best else {}
        return compose_reply(result, votes, private=private, note=note)

    async def reply_for_entry(self, entry: Entry, *, private: bool) -> Reply:
        votes = await self.step_votes(entry.id)
        return answer_reply(entry, frozenset(votes.items()), private=private)

    async def respond(
        self,
        interaction: discord.Interaction,
        reply: Reply,
        *,
        ephemeral: bool,
        source: str,
        result: Result | None = None,
    ) -> int:
        """Send a reply as the interaction's response (or follow-up), record it; its id."""
        kwargs = {"embed": reply.embed, "ephemeral": ephemeral, "allowed_mentions": NONE}
        if reply.view is not None:
            kwargs["view"] = reply.view
        message_id = await send(interaction, **kwargs)
        # Recorded after answering: the user waits for Discord, not for the database.
        await self.answered(Asked.of(interaction, source), result, message_id, reply.entry)
        return message_id

    async def vote(self, interaction: discord.Interaction, entry_id: str, step: int | None) -> None:
        """Store one user's vote for a step of the answer they clicked under; ack privately."""
        entry = self.matcher.catalog.get(entry_id)
        message = interaction.message
        problem = await self._vote_problem(interaction, entry, entry_id, step)
        if problem is not None:
            log.warning(
                "vote refused message=%s entry=%s step=%s user=%s: %s",
                message.id if message else None,
                entry_id,
                step,
                interaction.user.id,
                problem,
            )
            self.metrics.votes.labels("refused").inc()
            await interaction.response.send_message(problem, ephemeral=True)
            return
        outcome = await self._save_vote(interaction, step)
        self.metrics.votes.labels(outcome).inc()
        if outcome != "saved":
            log.error("vote %s message=%s entry=%s step=%s", outcome, message.id, entry_id, step)
            await _tell(interaction, QUEUED if outcome == "queued" else NOT_SAVED)
            return
        log.info(
            "vote message=%s entry=%s step=%s user=%s",
            message.id,
            entry_id,
            step,
            interaction.user.id,
        )
        self._votes.pop(entry_id, None)
        await _tell(interaction, saved_note(step))
        if not message.flags.ephemeral:
            self.refresher.schedule(message.id, lambda: self._refresh(message, entry))

    async def _vote_problem(
        self,
        interaction: discord.Interaction,
        entry: Entry | None,
        entry_id: str,
        step: int | None,
    ) -> str | None:
        """Why this click can't count, or None: the answer, the server and the step must fit."""
        message = interaction.message
        answer = await self._answer(message.id) if message is not None else None
        if answer is None and entry is not None and _posted_by_us(interaction):
            # A click can beat the answer's own record to the database: the message is ours
            # and carries this button, so it is the answer.
            answer = Answer(message.id, entry_id, interaction.guild_id, interaction.channel_id)
            self._remember(answer)
            await self.store.add_answer(answer)
        if entry is None or answer is None or answer.entry_id != entry_id:
            return "This answer is no longer tracked, so the vote can't be counted."
        if answer.guild_id != interaction.guild_id:
            return "This vote doesn't belong to this server."
        if step is not None and not 1 <= step <= len(entry.steps):
            return "That step doesn't exist in this answer."
        return None

    async def _save_vote(self, interaction: discord.Interaction, step: int | None) -> str:
        """saved, queued (not committed in time) or failed; defers past Discord's 3 seconds."""
        saving = asyncio.ensure_future(
            self.store.vote(interaction.message.id, interaction.user.id, step)
        )
        done, _ = await asyncio.wait({saving}, timeout=DEFER_AFTER)
        if not done:  # a slow database: keep the interaction alive past Discord's 3 s
            await interaction.response.defer(ephemeral=True, thinking=True)
            done, _ = await asyncio.wait({saving}, timeout=VOTE_WAIT)
        if not done:
            return "queued"
        return "failed" if saving.exception() is not None else "saved"

    async def _refresh(self, message: discord.Message, entry: Entry) -> None:
        """Re-render the answer with fresh vote counts; its header stays as posted."""
        fresh = answer_embed(entry, await self.step_votes(entry.id))
        if message.embeds:
            fresh.description = message.embeds[0].description
        await message.edit(embed=fresh)

    async def pick(self, interaction: discord.Interaction, entry_id: str) -> None:
        """'Did you mean…' chosen: post that entry's answer (privately if the list was)."""
        entry = self.matcher.catalog.get(entry_id)
        if entry is None:
            await interaction.response.send_message(
                "That error is not in the catalog.", ephemeral=True
            )
            return
        private = bool(interaction.message and interaction.message.flags.ephemeral)
        await self.respond(
            interaction,
            await self.reply_for_entry(entry, private=private),
            ephemeral=private,
            source="pick",
            result=self.match(entry.id, "pick"),
        )
        await self._remember_pick(interaction, entry_id)

    async def _remember_pick(self, interaction: discord.Interaction, entry_id: str) -> None:
        """Record the pick with the question that led to it; enough agreeing users teach it."""
        message = interaction.message
        asked = await self._answer(message.id) if message is not None else None
        if asked is None or asked.question is None or interaction.guild_id is None:
            return
        try:
            await self.lessons.pick(
                interaction.guild_id, interaction.user.id, asked.question, entry_id
            )
        except StoreError as exc:  # the answer is out; only the lesson waits for next time
            log.error("pick not recorded guild=%s: %s", interaction.guild_id, exc)


def saved_note(step: int | None) -> str:
    """What a voter reads once the vote is committed."""
    what = f"step {step} worked" if step is not None else "none of the steps worked"
    return f"Saved: {what} for you. Thanks! Click another one to change your vote."


async def _tell(interaction: discord.Interaction, text: str) -> None:
    """A private note, as the response or (after a defer) as a follow-up."""
    await send(interaction, content=text, ephemeral=True)


def _posted_by_us(interaction: discord.Interaction) -> bool:
    """The clicked message is the bot's own and carries the clicked component."""
    message, me = interaction.message, interaction.client.user
    if message is None or me is None or message.author.id != me.id:
        return False
    return carries(message, str((interaction.data or {}).get("custom_id")))
