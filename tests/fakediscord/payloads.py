"""Builders of Discord payloads: snowflakes, messages, interactions, login objects."""

from __future__ import annotations

import copy
import itertools
import logging
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .guild import FakeChannel, FakeUser

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count()
EPHEMERAL, LOADING = 1 << 6, 1 << 7
KEEP_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 15)  # suppress embeds/notif., eph., V2


def snowflake() -> int:
    """A fresh, increasing snowflake with the current time in it."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_time() -> str:
    """Now, as Discord writes timestamps."""
    return datetime.now(UTC).isoformat()


def token() -> str:
    """An interaction token."""
    return "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)


def walk_components(components: list[Any]) -> Iterator[dict[str, Any]]:
    """Every component of a tree (rows, sections, containers, labels)."""
    for comp in components or []:
        if not isinstance(comp, dict):
            continue
        yield comp
        yield from walk_components(comp.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield from walk_components([comp[key]])


def custom_ids(message: dict[str, Any]) -> list[str]:
    """The custom_ids of all components on a message."""
    return [
        c["custom_id"]
        for c in walk_components(message.get("components") or [])
        if c.get("custom_id")
    ]


def find_component(message: dict[str, Any], custom_id: str) -> dict[str, Any] | None:
    """The component with this custom_id on a message, or None."""
    for comp in walk_components(message.get("components") or []):
        if comp.get("custom_id") == custom_id:
            return comp
    return None


def echo_components(components: list[Any] | None) -> list[Any]:
    """Components as Discord returns them: numbered with `id` when the bot gave none."""
    result = copy.deepcopy(components or [])
    numbers = itertools.count(1)
    for comp in walk_components(result):
        comp.setdefault("id", next(numbers))
    return result


def echo_embeds(embeds: list[Any] | None) -> list[Any]:
    result = copy.deepcopy(embeds or [])
    for embed in result:
        if isinstance(embed, dict):
            embed.setdefault("type", "rich")
            embed.setdefault("content_scan_version", 0)
    return result


def message_object(
    channel_id: int,
    author: FakeUser,
    body: dict[str, Any],
    *,
    attachments: list[dict[str, Any]] | None = None,
    message_id: int | None = None,
    kind: int = 0,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A full message object as the REST API returns it."""
    flags = int(body.get("flags") or 0) & (KEEP_FLAGS | LOADING)
    message = {
        "id": str(message_id or snowflake()),
        "channel_id": str(channel_id),
        "type": kind,
        "author": author.user_payload(),
        "content": body.get("content") or "",
        "timestamp": iso_time(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts")),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": attachments or [],
        "embeds": echo_embeds(body.get("embeds")),
        "components": echo_components(body.get("components")),
        "reactions": [],
        "pinned": False,
        "flags": flags,
    }
    if body.get("poll"):
        message["poll"] = body["poll"]
    message.update(extra or {})
    return message


def apply_edit(
    message: dict[str, Any],
    body: dict[str, Any],
    new_attachments: list[dict[str, Any]],
    *,
    mark_edited: bool = True,
) -> None:
    """Apply a PATCH body to a stored message in place."""
    if "content" in body:
        message["content"] = body["content"] or ""
    if "embeds" in body:
        message["embeds"] = echo_embeds(body["embeds"])
    if "components" in body:
        message["components"] = echo_components(body["components"])
    if "flags" in body and body["flags"] is not None:
        message["flags"] = (message["flags"] & ~KEEP_FLAGS) | (int(body["flags"]) & KEEP_FLAGS)
    if "attachments" in body and body["attachments"] is not None:
        keep = {str(a.get("id")) for a in body["attachments"]}
        message["attachments"] = [a for a in message["attachments"] if a["id"] in keep]
    message["attachments"] = message["attachments"] + new_attachments
    if mark_edited:
        message["edited_timestamp"] = iso_time()


def user_message(
    channel: FakeChannel,
    author: FakeUser,
    content: str,
    *,
    guild_id: int | None,
    message_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A MESSAGE_CREATE payload of a user's message (guild messages carry the member)."""
    message = message_object(channel.id, author, {"content": content}, message_id=message_id)
    if guild_id is not None:
        message["guild_id"] = str(guild_id)
        message["member"] = author.member_payload(user=False)
    message.update(extra or {})
    return message


def interaction_payload(
    kind: int,
    data: dict[str, Any],
    *,
    app_id: int,
    user: FakeUser,
    user_permissions: int,
    app_permissions: int,
    channel: FakeChannel,
    guild_id: int | None,
    message: dict[str, Any] | None = None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload with everything discord.py reads."""
    payload: dict[str, Any] = {
        "id": str(snowflake()),
        "application_id": str(app_id),
        "type": kind,
        "token": token(),
        "version": 1,
        "attachment_size_limit": 10 * 1024 * 1024,
        "channel": channel.payload(guild_id) | {"permissions": str(user_permissions)},
        "channel_id": str(channel.id),
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "data": data,
    }
    if guild_id is not None:
        payload.update(
            guild_id=str(guild_id),
            guild_locale="en-US",
            guild={"id": str(guild_id), "locale": "en-US", "features": ["COMMUNITY"]},
            member=user.member_payload(permissions=user_permissions),
            authorizing_integration_owners={"0": str(guild_id)},
            context=0,
        )
    else:
        payload.update(
            user=user.user_payload(), context=1, authorizing_integration_owners={"1": str(user.id)}
        )
    if message is not None:
        payload["message"] = message
    return payload


def application_object(app_id: int, bot: FakeUser, owner: FakeUser) -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(app_id),
        "name": bot.name,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": (1 << 15) | (1 << 19),
        "owner": owner.user_payload(),
        "team": None,
        "bot": bot.user_payload(),
        "redirect_uris": [],
        "tags": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 1,
        "integration_types_config": {"0": {}},
    }


def command_object(
    app_id: int, definition: dict[str, Any], guild_id: int | None, command_id: int | None = None
) -> dict[str, Any]:
    """A stored application command as Discord returns it."""
    cmd = copy.deepcopy(definition)
    cmd.update(
        id=str(command_id or snowflake()),
        application_id=str(app_id),
        version=str(snowflake()),
        type=definition.get("type") or 1,
    )
    cmd.setdefault("description", "")
    cmd.setdefault("default_member_permissions", None)
    cmd.setdefault("nsfw", False)
    if guild_id is not None:
        cmd["guild_id"] = str(guild_id)
    return cmd
