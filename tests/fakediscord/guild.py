"""The fake guild: roles, channels, threads, members, and their permission arithmetic."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .payloads import iso_time, snowflake

log = logging.getLogger(__name__)

ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = (
    (1 << 0)
    | (1 << 6)
    | (1 << 10)
    | (1 << 11)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 18)
    | (1 << 31)
    | (1 << 35)
    | (1 << 38)
)  # invite, react, view, send, embed, attach, history, ext. emoji, app commands, threads
MODERATOR_PERMISSIONS = (
    (1 << 1) | (1 << 13) | (1 << 17) | (1 << 34) | (1 << 36) | (1 << 40)
)  # kick, manage messages, mention everyone, manage threads, private threads, timeout
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | (1 << 13) | (1 << 34) | (1 << 29)
TEXT, CATEGORY, PUBLIC_THREAD, PRIVATE_THREAD, FORUM, DM = 0, 4, 11, 12, 15, 1


def as_permissions(value: Any) -> int:
    """An int, a discord.Permissions-like object (.value) or an iterable of flag names."""
    if isinstance(value, int):
        return value
    if hasattr(value, "value"):
        return int(value.value)
    import discord  # only for the flag names

    return discord.Permissions(**{name: True for name in value}).value


@dataclass
class FakeRole:
    """A guild role."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    bot_id: int | None = None

    def payload(self) -> dict[str, Any]:
        data = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0},
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class FakeChannel:
    """A guild channel, thread or DM channel."""

    id: int
    name: str
    type: int = TEXT
    position: int = 0
    parent_id: int | None = None
    owner_id: int | None = None
    topic: str | None = None
    tags: list[dict[str, Any]] = field(default_factory=list)
    recipients: list[dict[str, Any]] = field(default_factory=list)
    message_count: int = 0
    created: str = field(default_factory=iso_time)

    @property
    def is_thread(self) -> bool:
        return self.type in (10, PUBLIC_THREAD, PRIVATE_THREAD)

    def payload(self, guild_id: int | None) -> dict[str, Any]:
        if self.type == DM:
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": None,
                "recipients": self.recipients,
                "flags": 0,
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(guild_id),
            "name": self.name,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "flags": 0,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "nsfw": False,
        }
        if self.is_thread:
            data.update(
                owner_id=str(self.owner_id),
                message_count=self.message_count,
                member_count=1,
                total_message_sent=self.message_count,
                applied_tags=[],
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": self.created,
                    "locked": False,
                    "create_timestamp": self.created,
                },
            )
            return data
        data.update(position=self.position, permission_overwrites=[], topic=self.topic)
        if self.type == FORUM:
            data.update(
                available_tags=self.tags,
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
                template="",
            )
        return data


@dataclass
class FakeUser:
    """A user who is a member of the guild (interaction members carry `permissions`)."""

    id: int
    name: str
    roles: tuple[int, ...] = ()
    permissions: int | None = None  # None: computed from the roles
    bot: bool = False
    nick: str | None = None
    joined_at: str = field(default_factory=iso_time)

    def user_payload(self) -> dict[str, Any]:
        data = {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data

    def member_payload(
        self, *, user: bool = True, permissions: int | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if user:
            data["user"] = self.user_payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


class FakeGuild:
    """One guild with text channels, a forum, a category, roles and members."""

    def __init__(self, name: str = "Fake Guild", owner_id: int | None = None) -> None:
        self.id = snowflake()
        self.name = name
        self.owner_id = owner_id or snowflake()
        self.roles: dict[int, FakeRole] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.members: dict[int, FakeUser] = {}
        self.add_role("@everyone", EVERYONE_PERMISSIONS, role_id=self.id)
        self.add_role("Moderator", MODERATOR_PERMISSIONS, position=2)
        self.add_role("Helper", 0, position=1)
        category = self.add_channel("Support", CATEGORY)
        for name in ("general", "help", "bot-log"):
            self.add_channel(name, TEXT, parent_id=category.id)
        self.add_channel(
            "support-forum",
            FORUM,
            parent_id=category.id,
            tags=[
                {
                    "id": str(snowflake()),
                    "name": tag,
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
                for tag in ("solved", "bug", "question")
            ],
        )

    def add_role(
        self,
        name: str,
        permissions: int = 0,
        *,
        position: int = 0,
        role_id: int | None = None,
        bot_id: int | None = None,
    ) -> FakeRole:
        role = FakeRole(
            role_id or snowflake(),
            name,
            as_permissions(permissions),
            position,
            managed=bot_id is not None,
            bot_id=bot_id,
        )
        self.roles[role.id] = role
        return role

    def add_channel(self, name: str, type: int = TEXT, **fields: Any) -> FakeChannel:
        position = sum(1 for c in self.channels.values() if not c.is_thread)
        channel = FakeChannel(snowflake(), name, type, position=position, **fields)
        self.channels[channel.id] = channel
        return channel

    def add_thread(
        self,
        parent: int | str,
        name: str,
        owner_id: int,
        *,
        private: bool = False,
        thread_id: int | None = None,
    ) -> FakeChannel:
        parent_channel = self.channel(parent)
        kind = PRIVATE_THREAD if private else PUBLIC_THREAD
        thread = FakeChannel(
            thread_id or snowflake(), name, kind, parent_id=parent_channel.id, owner_id=owner_id
        )
        self.channels[thread.id] = thread
        return thread

    def role(self, key: int | str | FakeRole) -> FakeRole:
        """A role by id or name."""
        if isinstance(key, FakeRole):
            return key
        for role in self.roles.values():
            if key in (role.id, role.name, str(role.id)):
                return role
        raise KeyError(f"no role {key!r}; roles: {[r.name for r in self.roles.values()]}")

    def channel(self, key: int | str) -> FakeChannel:
        """A channel or thread by id or name."""
        if isinstance(key, int) and key in self.channels:
            return self.channels[key]
        for channel in self.channels.values():
            if key in (channel.name, str(channel.id)):
                return channel
        raise KeyError(f"no channel {key!r}; channels: {[c.name for c in self.channels.values()]}")

    def add_member(
        self,
        name: str,
        roles: Iterable[int | str | FakeRole] | str = (),
        *,
        permissions: Any = None,
        bot: bool = False,
    ) -> FakeUser:
        if isinstance(roles, str | int | FakeRole):
            roles = (roles,)
        role_ids = tuple(self.role(r).id for r in roles)
        perms = None if permissions is None else as_permissions(permissions)
        user = FakeUser(snowflake(), name, role_ids, perms, bot=bot)
        self.members[user.id] = user
        return user

    def permissions_for(self, user: FakeUser) -> int:
        """The member's guild permissions, as Discord computes them without overwrites."""
        if user.permissions is not None:
            return user.permissions
        if user.id == self.owner_id:
            return ALL_PERMISSIONS
        total = self.roles[self.id].permissions
        for role_id in user.roles:
            total |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if total & ADMINISTRATOR else total

    def payload(self, bot: FakeUser) -> dict[str, Any]:
        """The GUILD_CREATE payload (members include the bot)."""
        members = [m.member_payload() for m in self.members.values()]
        channels = [c for c in self.channels.values() if not c.is_thread and c.type != DM]
        threads = [c for c in self.channels.values() if c.is_thread]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "unavailable": False,
            "member_count": len(members),
            "large": False,
            "preferred_locale": "en-US",
            "features": ["COMMUNITY"],
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "joined_at": bot.joined_at,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "members": members,
            "presences": [],
            "voice_states": [],
            "channels": [c.payload(self.id) for c in channels],
            "threads": [t.payload(self.id) for t in threads],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
