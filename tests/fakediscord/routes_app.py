"""REST routes of the application: login, gateway, commands, interaction callbacks, webhooks."""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web

from .payloads import (
    EPHEMERAL,
    LOADING,
    application_object,
    apply_edit,
    command_object,
    message_object,
)
from .rest import error, fake_of, json_response, maybe_delay, no_content, record_of
from .results import InteractionResult
from .store import build_attachments

log = logging.getLogger(__name__)
ANSWER_WITHIN = 3.0


async def users_me(request: web.Request) -> web.Response:
    fake = fake_of(request)
    if fake.token is not None and request.headers.get("Authorization") != f"Bot {fake.token}":
        return error(401, 0, "401: Unauthorized")
    return json_response(fake.bot.user_payload() | {"verified": True, "mfa_enabled": False})


async def application(request: web.Request) -> web.Response:
    fake = fake_of(request)
    return json_response(application_object(fake.application_id, fake.bot, fake.owner))


async def gateway(request: web.Request) -> web.Response:
    fake = fake_of(request)
    data: dict[str, Any] = {"url": fake.gateway_url}
    if request.path.endswith("/bot"):
        data |= {
            "shards": fake.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 0,
                "max_concurrency": fake.max_concurrency,
            },
        }
    return json_response(data)


def _command_scope(request: web.Request) -> int | None:
    guild = request.match_info.get("guild_id")
    return int(guild) if guild else None


async def commands(request: web.Request) -> web.Response:
    """GET/PUT/POST of global or guild commands (PUT replaces all, keeping ids by name)."""
    fake = fake_of(request)
    scope = _command_scope(request)
    current = fake.commands.setdefault(scope, [])
    if request.method == "GET":
        return json_response(current)
    body = record_of(request).json
    if request.method == "POST":
        old = next((c for c in current if c["name"] == body.get("name")), None)
        cmd = command_object(fake.application_id, body, scope, old and int(old["id"]))
        fake.commands[scope] = [c for c in current if c is not old] + [cmd]
        return json_response(cmd, 200 if old else 201)
    ids = {(c["name"], c["type"]): int(c["id"]) for c in current}
    fake.commands[scope] = [
        command_object(fake.application_id, d, scope, ids.get((d["name"], d.get("type") or 1)))
        for d in body or []
    ]
    return json_response(fake.commands[scope])


async def command_permissions(request: web.Request) -> web.Response:
    return json_response([])


def _result(request: web.Request) -> InteractionResult | None:
    fake = fake_of(request)
    return fake.interactions.get(request.match_info["token"])


async def callback(request: web.Request) -> web.Response:
    """POST /interactions/{id}/{token}/callback: answer as Discord does with_response."""
    fake = fake_of(request)
    result = _result(request)
    rec = record_of(request)
    if result is None or str(result.id) != request.match_info["interaction_id"]:
        return error(404, 10062)
    if result.callback is not None:
        return error(400, 40060)
    result.callback_at = time.monotonic()
    if result.latency is not None and result.latency > ANSWER_WITHIN:
        fake.violations.append(
            f"POST /interactions/{{id}}/{{token}}/callback: {result.what} "
            f"answered after {result.latency:.2f} s (Discord allows "
            f"{ANSWER_WITHIN:g} s)"
        )
    await maybe_delay(fake.callback_delay)
    body = rec.json if isinstance(rec.json, dict) else {}
    kind, data = body.get("type"), body.get("data") or {}
    result.callback, result.callback_files = body, rec.files
    inter = result.interaction
    channel_id = int(inter["channel_id"])
    resource: dict[str, Any] = {"type": kind}
    if kind in (4, 5):
        flags = int(data.get("flags") or 0) & EPHEMERAL | (LOADING if kind == 5 else 0)
        uploads = build_attachments(fake.base_url, channel_id, data, rec.files)
        message = message_object(
            channel_id,
            fake.bot,
            data | {"flags": flags},
            attachments=[a for a, _ in uploads],
            kind=_message_type(inter),
            extra=_interaction_extra(fake, inter),
        )
        if kind == 5:
            message["content"], message["embeds"], message["components"] = "", [], []
        await fake.add_bot_message(message, uploads, echo=not flags & (EPHEMERAL | LOADING))
        result.message, result.original_id = message, int(message["id"])
        resource["message"] = message
    elif kind in (6, 7):
        message = result.original
        if message is not None and kind == 7:
            uploads = build_attachments(fake.base_url, channel_id, data, rec.files)
            apply_edit(message, data, [a for a, _ in uploads])
            fake.store.add_uploads(int(message["id"]), uploads)
            await fake.echo("MESSAGE_UPDATE", message)
            result.message = message
        if message is not None:
            resource["message"] = message
    result.changed.notify()
    if request.query.get("with_response", "").lower() not in ("1", "true"):
        return no_content()
    original = result.message or {}
    return json_response(
        {
            "interaction": {
                "id": str(result.id),
                "type": inter["type"],
                "response_message_id": original.get("id"),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(original.get("flags") or 0) & EPHEMERAL),
                "channel_id": inter["channel_id"],
                "guild_id": inter.get("guild_id"),
            },
            "resource": resource,
        }
    )


def _message_type(inter: dict[str, Any]) -> int:
    if inter["type"] == 2:
        return 20 if (inter["data"].get("type") or 1) == 1 else 23
    return 0


def _interaction_extra(fake: Any, inter: dict[str, Any]) -> dict[str, Any]:
    user = (inter.get("member") or {}).get("user") or inter.get("user")
    meta = {
        "id": inter["id"],
        "type": inter["type"],
        "user": user,
        "authorizing_integration_owners": inter.get("authorizing_integration_owners", {}),
    }
    if inter["type"] == 2:
        meta["name"] = inter["data"]["name"]
    if inter.get("message"):
        meta["interacted_message_id"] = inter["message"]["id"]
    return {
        "webhook_id": str(fake.application_id),
        "application_id": str(fake.application_id),
        "interaction_metadata": meta,
    }


async def followup(request: web.Request) -> web.Response:
    """POST /webhooks/{app}/{token}: a follow-up (the first after a defer replaces it)."""
    fake, result, rec = fake_of(request), _result(request), record_of(request)
    if result is None or result.callback is None:
        return error(404, 10015)
    body = rec.json if isinstance(rec.json, dict) else {}
    inter = result.interaction
    channel_id = int(inter["channel_id"])
    uploads = build_attachments(fake.base_url, channel_id, body, rec.files)
    loading = result.original
    if result.type == 5 and loading is not None and int(loading["flags"]) & LOADING:
        flags = int(loading["flags"]) & ~LOADING
        apply_edit(loading, body | {"flags": flags}, [a for a, _ in uploads], mark_edited=False)
        loading["flags"] = flags
        fake.store.add_uploads(int(loading["id"]), uploads)
        message = loading
        if not flags & EPHEMERAL:
            await fake.echo("MESSAGE_CREATE", message)
    else:
        message = message_object(
            channel_id,
            fake.bot,
            body,
            attachments=[a for a, _ in uploads],
            extra=_interaction_extra(fake, inter),
        )
        await fake.add_bot_message(message, uploads, echo=not int(message["flags"]) & EPHEMERAL)
    result.followups.append(message)
    result.changed.notify()
    if request.query.get("wait", "").lower() in ("1", "true"):
        return json_response(message)
    return no_content()


async def webhook_message(request: web.Request) -> web.Response:
    """GET/PATCH/DELETE of @original or a follow-up message of an interaction."""
    fake, result, rec = fake_of(request), _result(request), record_of(request)
    if result is None:
        return error(404, 10015)
    mid = request.match_info.get("message_id")
    message = (
        result.original
        if mid is None
        else next((m for m in result.followups if m["id"] == mid), None)
    )
    if message is None or fake.store.get(message["id"]) is None:
        return error(404, 10008)
    if request.method == "GET":
        return json_response(message)
    if request.method == "DELETE":
        fake.store.delete(message["id"])
        result.original_deleted = result.original_deleted or mid is None
        result.changed.notify()
        await fake.echo_delete(message)
        return no_content()
    body = rec.json if isinstance(rec.json, dict) else {}
    uploads = build_attachments(fake.base_url, int(message["channel_id"]), body, rec.files)
    was_loading = int(message["flags"]) & LOADING
    apply_edit(message, body, [a for a, _ in uploads], mark_edited=not was_loading)
    message["flags"] = int(message["flags"]) & ~LOADING
    fake.store.add_uploads(int(message["id"]), uploads)
    if mid is None:
        result.edits.append(body)
    result.changed.notify()
    echo_as_new = was_loading and not int(message["flags"]) & EPHEMERAL
    await fake.echo("MESSAGE_CREATE" if echo_as_new else "MESSAGE_UPDATE", message)
    return json_response(message)


def register(router: web.UrlDispatcher, prefix: str) -> None:
    router.add_get(prefix + "/users/@me", users_me)
    router.add_get(prefix + "/oauth2/applications/@me", application)
    router.add_get(prefix + "/applications/@me", application)
    router.add_get(prefix + "/gateway", gateway)
    router.add_get(prefix + "/gateway/bot", gateway)
    for path in (
        "/applications/{app_id}/commands",
        "/applications/{app_id}/guilds/{guild_id}/commands",
    ):
        for method in ("GET", "PUT", "POST"):
            router.add_route(method, prefix + path, commands)
    router.add_get(
        prefix + "/applications/{app_id}/guilds/{guild_id}/commands/permissions",
        command_permissions,
    )
    router.add_post(prefix + "/interactions/{interaction_id}/{token}/callback", callback)
    router.add_post(prefix + "/webhooks/{app_id}/{token}", followup)
    for path in (
        "/webhooks/{app_id}/{token}/messages/@original",
        "/webhooks/{app_id}/{token}/messages/{message_id}",
    ):
        for method in ("GET", "PATCH", "DELETE"):
            router.add_route(method, prefix + path, webhook_message)
