"""FakeDiscord: a local Discord (REST + gateway) for driving the real discord.py end to end."""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web, web_app

from .chat import ChatActions
from .driver import UserActions
from .gateway import Gateway
from .guild import DM, FakeChannel, FakeGuild, FakeUser
from .guilds import Guilds
from .payloads import message_object, snowflake
from .recording import FaultRule, RecordedRequest, Signal, UploadedFile, Validator
from .rest import build_app
from .results import InteractionResult
from .store import MessageStore, build_attachments

log = logging.getLogger(__name__)

GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1 << 9, 1 << 12, 1 << 15


class FakeDiscord(UserActions, ChatActions, Guilds):
    """Guilds (one unless more are added), one bot application, REST and the gateway."""

    def __init__(
        self,
        *,
        guild_name: str = "Fake Guild",
        bot_name: str = "FakeBot",
        token: str | None = None,
        heartbeat_interval: float = 1.0,
        validate: bool = True,
        reject_invalid: bool = False,
    ) -> None:
        self.guild = FakeGuild(guild_name)  # the first guild; add_guild() adds others
        self.owner = FakeUser(self.guild.owner_id, "guild-owner")
        self.guild.members[self.owner.id] = self.owner
        self.bot = FakeUser(snowflake(), bot_name, bot=True)
        self.guilds: dict[int, FakeGuild] = {}
        self._join(self.guild)
        self.application_id = self.bot.id
        self.token = token  # None: any token is accepted
        # What GET /gateway/bot recommends: shards, and IDENTIFYs allowed at once.
        self.shard_count = 1
        self.max_concurrency = 1
        self.validate = validate
        self.reject_invalid = reject_invalid  # answer violations with 400 as Discord does
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.unhandled: list[RecordedRequest] = []
        self.store = MessageStore()
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # None: global
        self.interactions: dict[str, InteractionResult] = {}
        self.dm_channels: dict[int, FakeChannel] = {}
        self.undelivered: list[dict[str, Any]] = []  # user messages the bot's intents exclude
        self.dispatched_at: dict[int, int] = {}  # user message id -> len(requests) then
        self.faults: list[FaultRule] = []
        self.callback_delay = 0.0
        self.changed = Signal()
        self.gateway = Gateway(self, heartbeat_interval)
        self._validator = Validator() if validate else None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.default_user = self.make_user("alice")

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1, an ephemeral port."""
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("fake Discord listening on %s", self.base_url)
        return self

    async def close(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        # aiohttp caches each route's middleware chain together with its app (up to 1,024),
        # and the app holds this fake: in a long run every closed fake, with all it recorded,
        # would stay alive and slow the process down. Nothing else uses the cache here.
        web_app._cached_build_middleware.cache_clear()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeDiscord is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def http_base(self) -> str:
        """The value for discord.http.Route.BASE."""
        return self.base_url + "/api/v10"

    @property
    def gateway_url(self) -> str:
        """The value for DiscordWebSocket.DEFAULT_GATEWAY (and resume_gateway_url)."""
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def identify_payloads(self) -> list[dict[str, Any]]:
        """Every IDENTIFY `d` the client sent (intents, properties, shard, presence)."""
        return self.gateway.identify_payloads

    # -- messages ----------------------------------------------------------------------
    def messages(self, channel: int | str) -> list[dict[str, Any]]:
        """Messages stored in a channel (by id or name), oldest first."""
        channel_id = channel if isinstance(channel, int) else self.channel_id(channel)
        return self.store.in_channel(channel_id)

    def files_of(self, message: dict[str, Any] | int) -> list[UploadedFile]:
        """The uploaded files (filename, bytes) of a message."""
        return self.store.files_of(message)

    # -- gateway -----------------------------------------------------------------------
    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send a gateway dispatch to the bot; returns its sequence number."""
        return await self.gateway.dispatch(event, data)

    async def wait_until_ready(self, timeout: float = 5.0) -> None:
        await self.gateway.wait_ready(timeout)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the gateway socket; discord.py reconnects and RESUMEs."""
        await self.gateway.drop(code)

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT."""
        await self.gateway.send_op(7)

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION (not resumable: the client must IDENTIFY again)."""
        await self.gateway.send_op(9, resumable)

    async def wait_for_resume(self, count: int = 1, timeout: float = 5.0) -> None:
        """Until `count` RESUMEs in total happened and the socket is live."""
        await self.gateway.changed.wait_until(
            lambda: (
                self.gateway.resumes >= count
                and self.gateway.current
                and self.gateway.current.ws is not None
            ),
            timeout,
            f"{count} gateway RESUME(s)",
        )

    def intents(self) -> int:
        session = self.gateway.current
        return session.intents if session else 0

    async def echo(self, event: str, message: dict[str, Any]) -> None:
        """Dispatch a message event the way Discord would to this bot (respecting intents)."""
        channel = self.find_channel(int(message["channel_id"]))
        guild = None if channel is None else self.guild_of(channel)
        needed = DIRECT_MESSAGES if guild is None else GUILD_MESSAGES
        if self.gateway.current is None or not self.intents() & needed:
            return
        data = dict(message)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            author = guild.members.get(int(message["author"]["id"]))
            if author is not None:
                data["member"] = author.member_payload(user=False)
        await self.dispatch(event, data)

    async def echo_delete(self, message: dict[str, Any]) -> None:
        channel = self.find_channel(int(message["channel_id"]))
        data = {"id": message["id"], "channel_id": message["channel_id"]}
        if channel is not None and channel.type != DM:
            data["guild_id"] = str(self.guild_id_of(channel))
        if self.gateway.current is not None:
            await self.dispatch("MESSAGE_DELETE", data)

    async def add_bot_message(
        self, message: dict[str, Any], uploads: list[Any], *, echo: bool = True
    ) -> dict[str, Any]:
        self.store.add(message, uploads)
        if echo:
            await self.echo("MESSAGE_CREATE", message)
        return message

    async def bot_posts(
        self,
        channel: FakeChannel,
        body: dict[str, Any],
        files: list[UploadedFile],
        *,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """The bot's new message in a channel (replies get message_reference)."""
        uploads = build_attachments(self.base_url, channel.id, body, files)
        extra: dict[str, Any] = {}
        kind = 0
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            target = self.store.get(ref["message_id"])
            if target is None and ref.get("fail_if_not_exists", True):
                self.violations.append(
                    f"POST /channels/{channel.id}/messages: reply to unknown"
                    f" message {ref['message_id']}"
                )
            kind = 19 if target is not None else 0
            extra["message_reference"] = {
                "type": 0,
                "message_id": str(ref["message_id"]),
                "channel_id": str(channel.id),
            }
            if self.guild_id_of(channel) is not None:
                extra["message_reference"]["guild_id"] = str(self.guild_id_of(channel))
            if target is not None:
                extra["referenced_message"] = dict(target)
        message = message_object(
            channel.id,
            self.bot,
            body,
            message_id=message_id,
            attachments=[a for a, _ in uploads],
            kind=kind,
            extra=extra,
        )
        channel.message_count += 1
        return await self.add_bot_message(message, uploads)

    # -- faults, validation, waiting ---------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        count: int = 1,
        retry_after: float | None = None,
        is_global: bool = False,
    ) -> FaultRule:
        """Answer the next `count` matching REST requests with 429 (retryable) or 5xx."""
        # path_regex is searched in the path without /api/v10; method "*" matches any.
        rule = FaultRule(
            method.upper(), re.compile(path_regex), status, count, retry_after, is_global
        )
        self.faults.append(rule)
        return rule

    def _take_fault(self, method: str, path: str) -> FaultRule | None:
        for rule in self.faults:
            if rule.matches(method, path):
                rule.count -= 1
                return rule
        return None

    def delay_callbacks(self, seconds: float) -> None:
        """Hold every interaction-callback answer this long (simulates a slow Discord)."""
        self.callback_delay = seconds

    def assert_valid(self, *, allow_unhandled: bool = False) -> None:
        """Raise AssertionError listing every violation (and unhandled route)."""
        problems = list(self.violations)
        if not allow_unhandled:
            problems += [
                f"{r.method} {r.path}: the fake has no handler (answered 404)"
                for r in self.unhandled
            ]
        if problems:
            raise AssertionError("Discord would reject or mishandle:\n  " + "\n  ".join(problems))

    def describe_recent(self, since: float) -> str:
        recent = [repr(r) for r in self.requests if r.time >= since]
        return "requests since: " + (", ".join(recent[-12:]) if recent else "none")

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        *,
        timeout: float = 5.0,
        since: int = 0,
        successful: bool = False,
    ) -> RecordedRequest:
        """The first answered request at index >= since matching method and path regex."""
        pattern = re.compile(path_regex)

        def find() -> RecordedRequest | None:
            return next(
                (
                    r
                    for r in self.requests[since:]
                    if r.method == method.upper()
                    and pattern.search(r.path)
                    and r.status is not None
                    and (not successful or 200 <= r.status < 300)
                ),
                None,
            )

        return await self.changed.wait_until(find, timeout, f"{method} {path_regex}")
