"""Records of what the bot sent, payload validation, fault rules and waiting helpers."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import rules
from .spec import Spec, load_spec

log = logging.getLogger(__name__)


class FakeDiscordTimeout(AssertionError):
    """The bot did not do what a test waited for in time."""


@dataclass
class UploadedFile:
    """One `files[n]` part of a multipart request."""

    name: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the bot made to the fake."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    content_type: str | None = None
    status: int | None = None
    template: str | None = None  # the spec's path template, when the route exists there
    allowed_mentions: Any = None  # the body's allowed_mentions, when present
    response: Any = None  # the JSON the fake answered
    time: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        query = "?" + "&".join(f"{k}={v}" for k, v in self.query.items()) if self.query else ""
        return f"<{self.method} {self.path}{query} -> {self.status}>"


@dataclass
class FaultRule:
    """Answer the next `count` matching requests with `status` instead of handling them."""

    method: str
    pattern: re.Pattern[str]
    status: int
    count: int
    retry_after: float | None = None
    is_global: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and self.method in ("*", method) and bool(self.pattern.search(path))


class Signal:
    """A condition to wait on: `notify()` wakes every waiter; waiters re-check a predicate."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        """Return predicate()'s first truthy value; FakeDiscordTimeout after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FakeDiscordTimeout(f"timed out after {timeout:g} s waiting for {what}")
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue


class Validator:
    """Checks recorded requests against the OpenAPI schema and Discord's extra rules."""

    MESSAGE_ROUTES: ClassVar[set[tuple[str, str]]] = {
        ("post", "/channels/{channel_id}/messages"),
        ("post", "/webhooks/{webhook_id}/{webhook_token}"),
    }
    EDIT_ROUTES: ClassVar[set[tuple[str, str]]] = {
        ("patch", "/channels/{channel_id}/messages/{message_id}"),
        ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
        ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    }
    COMMAND_ROUTES: ClassVar[set[tuple[str, str]]] = {
        ("put", "/applications/{application_id}/commands"),
        ("put", "/applications/{application_id}/guilds/{guild_id}/commands"),
    }
    CALLBACK = ("post", "/interactions/{interaction_id}/{interaction_token}/callback")

    def __init__(self, spec: Spec | None = None) -> None:
        self.spec = spec or load_spec()

    def check(self, rec: RecordedRequest) -> list[str]:
        """Problems of one request, each prefixed with its route."""
        op = self.spec.match(rec.method, rec.path)
        if op is None:
            if not self.spec.template_exists(rec.path):
                return [f"{rec.method} {rec.path}: no such route in Discord's API"]
            return [f"{rec.method} {rec.path}: method not allowed by Discord's API"]
        rec.template = op.template
        if not op.served:  # never less strict than the full description: its body is unknown
            return [
                f"{rec.method} {op.template}: Discord has this route ({op.operation_id}) but "
                "the fake does not serve it; add a handler, then run "
                "python -m tests.fakediscord.trim_openapi"
            ]
        if rec.json is None:
            return []
        if isinstance(rec.json, dict) and "allowed_mentions" in rec.json:
            rec.allowed_mentions = rec.json["allowed_mentions"]
        problems = self.spec.validate_body(op, rec.json)
        key = (op.method, op.template)
        has_files = bool(rec.files)
        if key in self.MESSAGE_ROUTES:
            problems += rules.message_problems(rec.json, has_files=has_files)
        elif key in self.EDIT_ROUTES:
            problems += rules.message_problems(rec.json, has_files=has_files, partial=True)
        elif key == self.CALLBACK:
            problems += rules.callback_problems(rec.json, has_files=has_files)
        elif key in self.COMMAND_ROUTES and isinstance(rec.json, list):
            problems += rules.command_problems(rec.json)
        return [f"{rec.method} {op.template}: {p}" for p in problems]


def validate_command_definitions(
    commands: list[dict[str, Any]], *, guild: bool = False
) -> list[str]:
    """Problems of application-command definitions (empty when Discord would accept them)."""
    # The request schema of PUT /applications/{id}/commands (or the guild route) plus
    # Discord's naming and option-order rules.
    spec = load_spec()
    path = "/applications/1/guilds/1/commands" if guild else "/applications/1/commands"
    op = spec.match("PUT", path)
    assert op is not None, "the spec lacks the bulk-overwrite route"
    problems = spec.validate_body(op, list(commands))
    problems += rules.command_problems(list(commands))
    return problems
