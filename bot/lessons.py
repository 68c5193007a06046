"""Each server's lessons, kept in step with the store and indexed for the matcher."""

from __future__ import annotations

import logging

from bot.learning import Learned, LearnedIndex
from bot.store import Store

log = logging.getLogger(__name__)


class Lessons:
    """Learned phrases per server: loaded once at start, rebuilt when that server teaches."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.indexes: dict[int, LearnedIndex] = {}
        self.version = 0  # changes with every lesson: it keys the helpdesk's cached matches

    async def load(self) -> None:
        """Index every server's learned phrases (one query for all of them)."""
        by_guild: dict[int, list[Learned]] = {}
        for item in await self.store.learned():
            by_guild.setdefault(item.guild_id, []).append(item)
        self.indexes = {guild: LearnedIndex(items) for guild, items in by_guild.items()}
        self.version += 1

    def of(self, guild_id: int | None) -> LearnedIndex | None:
        """The server's index, or None when it has learned nothing."""
        index = self.indexes.get(guild_id) if guild_id is not None else None
        return index if index else None

    async def refresh(self, guild_id: int) -> None:
        self.indexes[guild_id] = LearnedIndex(await self.store.learned(guild_id))
        self.version += 1

    async def learned(self, guild_id: int) -> list[Learned]:
        """A server's learned phrases: moderators' links first, then agreed picks."""
        return await self.store.learned(guild_id)

    async def pick(self, guild_id: int, user_id: int, question: str, entry_id: str) -> None:
        """A user's pick for a question; enough agreeing users teach it."""
        await self.store.add_pick(guild_id, user_id, question, entry_id)
        await self.refresh(guild_id)

    async def link(self, guild_id: int, question: str, entry_id: str, moderator_id: int) -> None:
        """A moderator links a question to an entry: the server learns it at once."""
        await self.store.link(guild_id, question, entry_id, moderator_id)
        await self.refresh(guild_id)
        log.info("learned guild=%s entry=%s moderator=%s", guild_id, entry_id, moderator_id)

    async def forget(self, guild_id: int, phrase: str) -> None:
        """Remove a learned phrase of one server."""
        await self.store.forget(guild_id, phrase)
        await self.refresh(guild_id)
        log.info("unlearned guild=%s", guild_id)
