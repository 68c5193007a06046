"""The optional local HTTP port: /healthz for probes and /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING

import discord
from aiohttp import web

from bot.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from bot.client import HelpdeskBot

log = logging.getLogger(__name__)

PING_TIMEOUT = 2.0


async def problems(bot: HelpdeskBot) -> list[str]:
    """What keeps the bot from serving; empty when healthy."""
    found = []
    if bot.is_closed() or not bot.is_ready() or _gateway_down(bot):
        found.append("gateway not connected")
    helpdesk = getattr(bot, "helpdesk", None)
    if helpdesk is None or not helpdesk.matcher.entries:
        found.append("catalog not loaded")
        return found
    store = helpdesk.store
    if store.failing is not None:
        found.append(f"database refuses writes: {store.failing}")
    else:
        try:
            await asyncio.wait_for(store.ping(), PING_TIMEOUT)
        except Exception as exc:  # any failure to write is the answer here, not a crash
            found.append(f"database not writable: {exc or type(exc).__name__}")
    return found


def _gateway_down(bot: HelpdeskBot) -> bool:
    if isinstance(bot, discord.AutoShardedClient):  # one process, several shards
        return not bot.shards or any(shard.is_closed() for shard in bot.shards.values())
    return bot.ws is None or not bot.ws.open


class HealthServer:
    """aiohttp on HEALTH_HOST:HEALTH_PORT, started in setup_hook and stopped at shutdown."""

    def __init__(self, bot: HelpdeskBot, host: str, port: int) -> None:
        self.bot, self.host, self.port = bot, host, port
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        add_gauges(bot)
        self.runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self.runner.setup()
        await web.TCPSite(self.runner, self.host, self.port).start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def close(self) -> None:
        await self.runner.cleanup()

    async def healthz(self, request: web.Request) -> web.Response:
        found = await problems(self.bot)
        if found:
            return web.json_response({"status": "unhealthy", "problems": found}, status=503)
        return web.json_response({"status": "ok"})

    async def metrics(self, request: web.Request) -> web.Response:
        body = self.bot.helpdesk.metrics.render()
        return web.Response(
            body=body,
            headers={"Content-Type": CONTENT_TYPE, "X-Content-Type-Options": "nosniff"},
        )


def add_gauges(bot: HelpdeskBot) -> None:
    """The bot's state as gauges, read when Prometheus scrapes."""
    metrics = bot.helpdesk.metrics
    metrics.gauge(
        "seb_gateway_latency_seconds",
        "Heartbeat round trip to the gateway.",
        lambda: bot.latency if math.isfinite(bot.latency) else -1,
    )
    metrics.gauge(
        "seb_store_queued_writes",
        "Writes waiting for the database.",
        lambda: bot.helpdesk.store.queued,
    )
    metrics.gauge(
        "seb_catalog_entries",
        "Entries in the loaded catalog.",
        lambda: len(bot.helpdesk.matcher.entries),
    )
    metrics.gauge(
        "seb_gateway_connected",
        "1 when connected to the gateway.",
        lambda: int(bot.is_ready() and not bot.is_closed()),
    )
