"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY, RESUME with replay, faults."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .recording import Signal

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


@dataclass
class Session:
    """One gateway session: survives dropped sockets until invalidated."""

    session_id: str
    identify: dict[str, Any]
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ready: bool = False  # the client answered our HEARTBEAT request after GUILD_CREATE
    awaiting_ready_beat: bool = False

    @property
    def intents(self) -> int:
        return int(self.identify.get("intents") or 0)

    @property
    def shard(self) -> tuple[int, int] | None:
        """(shard id, shard count) from IDENTIFY, or None for an unsharded session."""
        shard = self.identify.get("shard")
        return (int(shard[0]), int(shard[1])) if shard else None

    def serves(self, guild_id: int) -> bool:
        """Discord's routing: a guild belongs to shard (guild_id >> 22) % shard_count."""
        return self.shard is None or (guild_id >> 22) % self.shard[1] == self.shard[0]


class Gateway:
    """Serves the gateway protocol to discord.py (plain JSON text frames)."""

    def __init__(self, fake: FakeDiscord, heartbeat_interval: float) -> None:
        self.fake = fake
        self.heartbeat_interval = heartbeat_interval
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.by_shard: dict[tuple[int, int] | None, Session] = {}  # the latest of each shard
        self.sockets: set[web.WebSocketResponse] = set()
        self.identify_payloads: list[dict[str, Any]] = []
        self.identify_times: list[float] = []  # time.monotonic() of each IDENTIFY
        self.received: list[dict[str, Any]] = []  # every client frame except heartbeats
        self.heartbeats = 0
        self.resumes = 0
        self.ack_heartbeats = True
        self.allowed_intents = -1  # privileged intents enabled in the "developer portal"
        self.changed = Signal()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoclose=True)
        await ws.prepare(request)
        self.sockets.add(ws)
        log.debug("gateway connection from %s query=%s", request.remote, dict(request.query))
        await self._send(
            ws, {"op": HELLO, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)}}
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    self.fake.violations.append(f"gateway: undecodable frame {msg.data[:80]!r}")
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                await self._on_frame(ws, frame)
        finally:
            self.sockets.discard(ws)
            for session in self.sessions.values():
                if session.ws is ws:
                    session.ws = None
            self.changed.notify()
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            session = self._session_of(ws)
            if session and session.awaiting_ready_beat:
                session.awaiting_ready_beat, session.ready = False, True
            if self.ack_heartbeats:
                await self._send(ws, {"op": HEARTBEAT_ACK})
            self.changed.notify()
            return
        self.received.append(frame)
        if op == IDENTIFY:
            await self._identify(ws, data)
        elif op == RESUME:
            await self._resume(ws, data)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(data)
        elif op not in (3, 4):  # presence and voice-state updates are only recorded
            self.fake.violations.append(f"gateway: unknown opcode {op}")
        self.changed.notify()

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        self.identify_payloads.append(data)
        self.identify_times.append(time.monotonic())
        if self.fake.token is not None and data.get("token") != self.fake.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS & ~self.allowed_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = Session(secrets.token_hex(16), data, ws=ws)
        self.sessions[session.session_id] = session
        self.current = session
        self.by_shard[session.shard] = session
        fake = self.fake
        guilds = [g for g in fake.guilds.values() if session.serves(g.id)]
        ready = {
            "v": 10,
            "user": fake.bot.user_payload() | {"verified": True, "mfa_enabled": False},
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "application": {"id": str(fake.application_id), "flags": (1 << 15) | (1 << 19)},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self.dispatch("READY", ready, session=session)
        for guild in guilds:
            await self.dispatch("GUILD_CREATE", guild.payload(fake.bot), session=session)
        session.awaiting_ready_beat = True
        await self._send(ws, {"op": HEARTBEAT, "d": None})  # answered once READY is parsed

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id") or "")
        if session is None:
            await self._send(ws, {"op": INVALID_SESSION, "d": False})
            return
        self.resumes += 1
        async with session.lock:
            session.ws = ws
            after = int(data.get("seq") or 0)
            for frame in session.buffer:
                if frame["s"] > after:
                    await self._send(ws, frame)
            session.seq += 1
            frame = {"op": DISPATCH, "t": "RESUMED", "s": session.seq, "d": {"_trace": []}}
            await self._send(ws, frame)
        self.current = session
        self.by_shard[session.shard] = session

    async def _members_chunk(self, data: dict[str, Any]) -> None:
        members = [m.member_payload() for m in self.fake.guild.members.values()]
        await self.dispatch(
            "GUILD_MEMBERS_CHUNK",
            {
                "guild_id": str(self.fake.guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
                "presences": [],
                "nonce": data.get("nonce"),
            },
        )

    def _session_of(self, ws: web.WebSocketResponse) -> Session | None:
        return next((s for s in self.sessions.values() if s.ws is ws), None)

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        if ws.closed:
            return
        try:
            await ws.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError) as exc:
            log.debug("gateway send failed: %s", exc)

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        session: Session | None = None,
        timeout: float = 5.0,
    ) -> int:
        """Send a dispatch (op 0); buffered for RESUME when the socket is down.

        A guild's event goes to the session of the guild's shard, as Discord routes it.
        """
        guild_id = data.get("id") if event == "GUILD_CREATE" else data.get("guild_id")
        if session is None and guild_id is not None:
            guild_id = int(guild_id)
            session = next((s for s in self.by_shard.values() if s.serves(guild_id)), None)
        if session is None:
            await self.changed.wait_until(
                lambda: self.current, timeout, "the bot to IDENTIFY on the gateway"
            )
            session = self.current
            assert session is not None
        async with session.lock:
            session.seq += 1
            frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
            session.buffer.append(frame)
            if session.ws is not None:
                await self._send(session.ws, frame)
        return session.seq

    async def wait_ready(self, timeout: float = 5.0) -> None:
        """Until a session parsed READY and GUILD_CREATE (it answered our HEARTBEAT)."""
        await self.changed.wait_until(
            lambda: self.current and self.current.ready,
            timeout,
            "the bot to connect and process READY/GUILD_CREATE",
        )

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Until the current session has a live socket again (after a RESUME)."""
        await self.changed.wait_until(
            lambda: self.current and self.current.ws is not None,
            timeout,
            "the bot to reconnect to the gateway",
        )

    async def drop(self, code: int = 4000) -> None:
        """Close the live socket: the client must reconnect and RESUME."""
        session = self.current
        if session is None or session.ws is None:
            raise RuntimeError("no live gateway connection to drop")
        ws, session.ws = session.ws, None
        await ws.close(code=code, message=b"fake: connection dropped")
        self.changed.notify()

    async def send_op(self, op: int, data: Any = None) -> None:
        """Send a raw opcode (7 RECONNECT, 9 INVALID_SESSION) on the live socket."""
        session = self.current
        if session is None or session.ws is None:
            raise RuntimeError("no live gateway connection")
        if op == INVALID_SESSION and not data:
            self.sessions.pop(session.session_id, None)
        await self._send(session.ws, {"op": op, "d": data})

    async def close(self) -> None:
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"fake: server shutting down")
