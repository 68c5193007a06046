"""The REST application: recording middleware, body parsing, faults, JSON replies."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .recording import FaultRule, RecordedRequest, UploadedFile

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
FAKE_KEY = web.AppKey("fake", object)
RECORD_KEY = web.RequestKey("record", RecordedRequest)
ERRORS = {
    10003: "Unknown Channel",
    10008: "Unknown Message",
    10013: "Unknown User",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    10063: "Unknown Application Command",
    40060: "Interaction has already been acknowledged.",
    50005: "Cannot edit a message authored by another user",
    50006: "Cannot send an empty message",
    50008: "Cannot send messages in a non-text channel",
    0: "404: Not Found",
}


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON reply with `Content-Type: application/json` exactly (no charset)."""
    all_headers = {"Content-Type": "application/json"} | (headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


def error(status: int, code: int, message: str | None = None) -> web.Response:
    """A Discord error body: {"message", "code"}."""
    return json_response({"message": message or ERRORS.get(code, "Error"), "code": code}, status)


def no_content() -> web.Response:
    return web.Response(status=204)


def fake_of(request: web.Request) -> FakeDiscord:
    return request.app[FAKE_KEY]  # type: ignore[return-value]


def record_of(request: web.Request) -> RecordedRequest:
    return request[RECORD_KEY]


async def parse_body(request: web.Request) -> tuple[Any, list[UploadedFile], list[str]]:
    """The JSON body (or multipart payload_json), the uploaded files, and parse problems."""
    problems: list[str] = []
    files: list[UploadedFile] = []
    if not request.can_read_body:
        return None, files, problems
    if request.content_type == "multipart/form-data":
        body = None
        reader = await request.multipart()
        async for part in reader:
            name = getattr(part, "name", None) or ""
            if name == "payload_json":
                text = await part.text()  # type: ignore[union-attr]
                try:
                    body = json.loads(text)
                except ValueError:
                    problems.append("payload_json is not valid JSON")
            elif name.startswith("files[") or getattr(part, "filename", None):
                data = await part.read(decode=False)  # type: ignore[union-attr]
                files.append(
                    UploadedFile(
                        name,
                        part.filename or name,  # type: ignore[union-attr]
                        part.headers.get("Content-Type"),
                        bytes(data),
                    )
                )
            else:
                problems.append(f"unexpected multipart part {name!r}")
        return body, files, problems
    raw = await request.read()
    if not raw:
        return None, files, problems
    if request.content_type != "application/json":
        problems.append(f"body sent as {request.content_type!r}, not application/json")
    try:
        return json.loads(raw), files, problems
    except ValueError:
        return None, files, [*problems, "body is not valid JSON"]


def fault_response(rule: FaultRule) -> web.Response:
    """A 429 discord.py will retry (JSON retry_after, `Via` header) or a server error."""
    if rule.status == 429:
        retry = 0.05 if rule.retry_after is None else rule.retry_after
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry,
            "global": rule.is_global,
            "code": 0,
        }
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry))),
            "X-RateLimit-Scope": "global" if rule.is_global else "user",
        }
        if not rule.is_global:
            headers |= {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(retry),
            }
        return json_response(body, 429, headers)
    return json_response({"message": f"{rule.status}: fake server error", "code": 0}, rule.status)


@web.middleware
async def recording_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Record every API request, inject faults, validate bodies, answer unknown routes."""
    if not request.path.startswith(API_PREFIX + "/"):
        return await handler(request)
    fake = fake_of(request)
    body, files, problems = await parse_body(request)
    path = request.path[len(API_PREFIX) :]
    rec = RecordedRequest(
        request.method,
        path,
        dict(request.query),
        body,
        files,
        request.content_type if request.can_read_body else None,
    )
    request[RECORD_KEY] = rec
    fake.requests.append(rec)
    fault = fake._take_fault(request.method, path)
    if fault is not None:
        response = fault_response(fault)
        log.debug("fault injected: %s %s -> %s", request.method, path, fault.status)
    else:
        found = []
        if fake._validator is not None:
            found = [f"{request.method} {path}: {p}" for p in problems]
            found += fake._validator.check(rec)
            fake.violations += found
        if request.match_info.http_exception is not None:
            fake.unhandled.append(rec)
            log.warning("fake Discord has no route for %s %s", request.method, path)
            response = error(404, 0)
        elif found and fake.reject_invalid:
            response = json_response(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"_errors": [{"code": "FAKE_INVALID", "message": p} for p in found]},
                },
                400,
            )
        else:
            response = await handler(request)
    rec.status = response.status
    if isinstance(response, web.Response) and response.content_type == "application/json":
        rec.response = json.loads(response.body)  # type: ignore[arg-type]
    fake.changed.notify()
    return response


async def serve_attachment(request: web.Request) -> web.StreamResponse:
    """GET of an attachment URL (the fake plays the CDN too)."""
    fake = fake_of(request)
    att_id = request.match_info["att_id"]
    for files in fake.store.files.values():
        for att, upload in files:
            if att["id"] == att_id:
                return web.Response(
                    body=upload.data,
                    headers={"Content-Type": upload.content_type or "application/octet-stream"},
                )
    return web.Response(status=404)


def build_app(fake: FakeDiscord) -> web.Application:
    """The aiohttp application: gateway at /, REST under /api/v10, attachments."""
    from . import routes_app, routes_channels

    app = web.Application(middlewares=[recording_middleware], client_max_size=64 * 2**20)
    app[FAKE_KEY] = fake
    app.router.add_get("/", fake.gateway.handle)
    app.router.add_get("/attachments/{channel_id}/{att_id}/{filename}", serve_attachment)
    routes_app.register(app.router, API_PREFIX)
    routes_channels.register(app.router, API_PREFIX)
    return app


async def maybe_delay(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)
