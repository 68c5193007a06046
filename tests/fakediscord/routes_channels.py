"""REST routes of channels, messages, threads, reactions, guild members and DMs."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from .guild import FORUM, FakeChannel
from .payloads import apply_edit
from .rest import error, fake_of, json_response, no_content, record_of
from .store import build_attachments

log = logging.getLogger(__name__)


def _channel(request: web.Request) -> FakeChannel | None:
    return fake_of(request).find_channel(int(request.match_info["channel_id"]))


def _message(request: web.Request) -> dict[str, Any] | None:
    message = fake_of(request).store.get(request.match_info["message_id"])
    if message is None or message["channel_id"] != request.match_info["channel_id"]:
        return None
    return message


async def get_channel(request: web.Request) -> web.Response:
    channel = _channel(request)
    if channel is None:
        return error(404, 10003)
    return json_response(channel.payload(fake_of(request).guild_id_of(channel)))


async def edit_channel(request: web.Request) -> web.Response:
    """PATCH /channels/{id}: rename; archive/lock/tags are echoed in the thread metadata."""
    fake, channel = fake_of(request), _channel(request)
    if channel is None:
        return error(404, 10003)
    body = record_of(request).json or {}
    channel.name = body.get("name") or channel.name
    payload = channel.payload(fake.guild_id_of(channel))
    for key in ("archived", "locked", "auto_archive_duration"):
        if key in body:
            payload["thread_metadata"][key] = body[key]
    if "applied_tags" in body:
        payload["applied_tags"] = body["applied_tags"]
    event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
    await fake.dispatch(event, payload)
    return json_response(payload)


async def list_messages(request: web.Request) -> web.Response:
    """GET /channels/{id}/messages: newest first, with limit/before/after."""
    fake = fake_of(request)
    if _channel(request) is None:
        return error(404, 10003)
    messages = list(fake.store.in_channel(int(request.match_info["channel_id"])))
    before, after = request.query.get("before"), request.query.get("after")
    if before:
        messages = [m for m in messages if int(m["id"]) < int(before)]
    if after:
        messages = [m for m in messages if int(m["id"]) > int(after)]
    limit = int(request.query.get("limit", 50))
    newest_first = list(reversed(messages))
    return json_response(newest_first[:limit] if not after else messages[:limit][::-1])


async def create_message(request: web.Request) -> web.Response:
    """POST /channels/{id}/messages: store, echo MESSAGE_CREATE, return the message."""
    fake, channel, rec = fake_of(request), _channel(request), record_of(request)
    if channel is None:
        return error(404, 10003)
    if channel.type == FORUM or channel.type == 4:
        return error(400, 50008)
    body = rec.json if isinstance(rec.json, dict) else {}
    if not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or rec.files
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        return error(400, 50006)
    message = await fake.bot_posts(channel, body, rec.files)
    return json_response(message)


async def get_message(request: web.Request) -> web.Response:
    message = _message(request)
    return error(404, 10008) if message is None else json_response(message)


async def edit_message(request: web.Request) -> web.Response:
    fake, message, rec = fake_of(request), _message(request), record_of(request)
    if message is None:
        return error(404, 10008)
    if message["author"]["id"] != str(fake.bot.id):
        return error(403, 50005)
    body = rec.json if isinstance(rec.json, dict) else {}
    uploads = build_attachments(fake.base_url, int(message["channel_id"]), body, rec.files)
    apply_edit(message, body, [a for a, _ in uploads])
    fake.store.add_uploads(int(message["id"]), uploads)
    await fake.echo("MESSAGE_UPDATE", message)
    return json_response(message)


async def delete_message(request: web.Request) -> web.Response:
    fake, message = fake_of(request), _message(request)
    if message is None:
        return error(404, 10008)
    fake.store.delete(message["id"])
    await fake.echo_delete(message)
    return no_content()


async def reaction(request: web.Request) -> web.Response:
    """PUT/DELETE /channels/{id}/messages/{mid}/reactions/{emoji}/@me."""
    fake, message = fake_of(request), _message(request)
    if message is None:
        return error(404, 10008)
    fake.store.react(message, request.match_info["emoji"], request.method == "PUT")
    return no_content()


async def typing(request: web.Request) -> web.Response:
    return no_content() if _channel(request) is not None else error(404, 10003)


async def create_thread(request: web.Request) -> web.Response:
    """POST /channels/{id}/threads (forum post with a message) or …/messages/{mid}/threads."""
    fake, parent, rec = fake_of(request), _channel(request), record_of(request)
    if parent is None:
        return error(404, 10003)
    body = rec.json if isinstance(rec.json, dict) else {}
    starter = None
    if "message_id" in request.match_info:
        starter = _message(request)
        if starter is None:
            return error(404, 10008)
    thread = fake.guild.add_thread(
        parent.id,
        body.get("name") or "thread",
        fake.bot.id,
        private=body.get("type") == 12,
        thread_id=int(starter["id"]) if starter else None,
    )
    payload = thread.payload(fake.guild.id)
    if body.get("applied_tags"):
        payload["applied_tags"] = body["applied_tags"]
    await fake.dispatch("THREAD_CREATE", payload | {"newly_created": True})
    if parent.type == FORUM and isinstance(body.get("message"), dict):
        message = await fake.bot_posts(thread, body["message"], rec.files, message_id=thread.id)
        payload["message"] = message
    return json_response(payload, 201)


async def guild_info(request: web.Request) -> web.Response:
    fake = fake_of(request)
    if request.match_info["guild_id"] != str(fake.guild.id):
        return error(404, 10004, "Unknown Guild")
    full = fake.guild.payload(fake.bot)
    part = request.path.rsplit("/", 1)[-1]
    if part in ("channels", "roles"):
        return json_response(full[part])
    for key in ("members", "channels", "threads", "presences", "voice_states"):
        full.pop(key, None)
    return json_response(full)


async def guild_member(request: web.Request) -> web.Response:
    """GET a member; PUT/DELETE …/roles/{role_id} change a member's roles."""
    fake = fake_of(request)
    member = fake.guild.members.get(int(request.match_info["user_id"]))
    if member is None:
        return error(404, 10007, "Unknown Member")
    role_id = request.match_info.get("role_id")
    if role_id is not None:
        roles = [r for r in member.roles if r != int(role_id)]
        member.roles = (*roles, int(role_id)) if request.method == "PUT" else tuple(roles)
        await fake.dispatch(
            "GUILD_MEMBER_UPDATE", member.member_payload() | {"guild_id": str(fake.guild.id)}
        )
        return no_content()
    return json_response(member.member_payload())


async def open_dm(request: web.Request) -> web.Response:
    """POST /users/@me/channels {recipient_id}."""
    fake = fake_of(request)
    body = record_of(request).json or {}
    user = fake.guild.members.get(int(body.get("recipient_id") or 0))
    if user is None:
        return error(400, 50033, "Invalid Recipient(s)")
    return json_response(fake.dm_channel(user).payload(None))


def register(router: web.UrlDispatcher, prefix: str) -> None:
    ch = prefix + "/channels/{channel_id}"
    router.add_get(ch, get_channel)
    router.add_patch(ch, edit_channel)
    router.add_get(ch + "/messages", list_messages)
    router.add_post(ch + "/messages", create_message)
    router.add_post(ch + "/typing", typing)
    router.add_post(ch + "/threads", create_thread)
    router.add_get(ch + "/messages/{message_id}", get_message)
    router.add_patch(ch + "/messages/{message_id}", edit_message)
    router.add_delete(ch + "/messages/{message_id}", delete_message)
    router.add_post(ch + "/messages/{message_id}/threads", create_thread)
    for method in ("PUT", "DELETE"):
        router.add_route(method, ch + "/messages/{message_id}/reactions/{emoji}/@me", reaction)
    gd = prefix + "/guilds/{guild_id}"
    for path in ("", "/channels", "/roles"):
        router.add_get(gd + path, guild_info)
    router.add_get(gd + "/members/{user_id}", guild_member)
    for method in ("PUT", "DELETE"):
        router.add_route(method, gd + "/members/{user_id}/roles/{role_id}", guild_member)
    router.add_post(prefix + "/users/@me/channels", open_dm)
