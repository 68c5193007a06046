"""The fake's guilds: the first (`fake.guild`) and any added, and what belongs to which."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .guild import BOT_PERMISSIONS, DM, FakeChannel, FakeGuild, FakeUser
from .payloads import snowflake

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)
BOT_ROLE_POSITION = 3  # above Moderator (2) and Helper (1), as an invited bot's role sits


class Guilds:
    """Mixin of FakeDiscord: every guild the bot is in, by id, in the order they were added."""

    guilds: dict[int, FakeGuild]

    def _join(self: FakeDiscord, guild: FakeGuild) -> FakeGuild:
        """Make the bot (with its own managed role) and the owner members of a guild."""
        if guild.owner_id not in guild.members:
            guild.members[guild.owner_id] = FakeUser(guild.owner_id, f"{guild.name} owner")
        role = guild.add_role(
            self.bot.name, BOT_PERMISSIONS, position=BOT_ROLE_POSITION, bot_id=self.bot.id
        )
        # One member object per guild: the bot's roles differ from guild to guild.
        member = self.bot if not self.guilds else FakeUser(self.bot.id, self.bot.name, bot=True)
        member.roles = (role.id,)
        guild.members[self.bot.id] = member
        self.guilds[guild.id] = guild
        return guild

    async def add_guild(self: FakeDiscord, name: str) -> FakeGuild:
        """Another guild with the bot in it (GUILD_CREATE at once when the bot is connected)."""
        guild = self._join(FakeGuild(name))
        if self.gateway.current is not None:
            await self.dispatch("GUILD_CREATE", guild.payload(self.bot))
        log.info("guild %s (%s) added", name, guild.id)
        return guild

    def bot_member(self: FakeDiscord, guild: FakeGuild) -> FakeUser:
        """The bot as a member of this guild (its roles there)."""
        return guild.members[self.bot.id]

    def guild_of(self: FakeDiscord, channel: FakeChannel) -> FakeGuild | None:
        """The guild a channel or thread is in (None for a DM)."""
        if channel.type == DM:
            return None
        return next((g for g in self.guilds.values() if channel.id in g.channels), self.guild)

    def guild_id_of(self: FakeDiscord, channel: FakeChannel) -> int | None:
        guild = self.guild_of(channel)
        return None if guild is None else guild.id

    def guild_of_user(self: FakeDiscord, user: FakeUser | None) -> FakeGuild:
        """The first guild the user is a member of (the first guild when none)."""
        if user is None:
            return self.guild
        return next((g for g in self.guilds.values() if user.id in g.members), self.guild)

    def find_member(self: FakeDiscord, user_id: int) -> FakeUser | None:
        """A member of any guild, by id."""
        return next(
            (g.members[user_id] for g in self.guilds.values() if user_id in g.members), None
        )

    def make_user(
        self: FakeDiscord,
        name: str,
        roles: Any = (),
        permissions: Any = None,
        *,
        guild: FakeGuild | None = None,
    ) -> FakeUser:
        """Add a member (to the first guild unless told); roles by name or id."""
        return (guild or self.guild).add_member(name, roles, permissions=permissions)

    def channel_id(self: FakeDiscord, name: str, guild: FakeGuild | None = None) -> int:
        """A channel's id by name, in the first guild unless told."""
        return (guild or self.guild).channel(name).id

    def find_channel(self: FakeDiscord, channel_id: int) -> FakeChannel | None:
        """A channel or thread of any guild, or a DM channel, by id."""
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return next((c for c in self.dm_channels.values() if c.id == channel_id), None)

    def dm_channel(self: FakeDiscord, user: FakeUser) -> FakeChannel:
        """The DM channel between the bot and a user (created on first use)."""
        if user.id not in self.dm_channels:
            self.dm_channels[user.id] = FakeChannel(
                snowflake(), "", DM, recipients=[user.user_payload()]
            )
        return self.dm_channels[user.id]
