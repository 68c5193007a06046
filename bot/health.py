"""The optional local HTTP port: /healthz for probes and /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.client import HelpdeskBot

log = logging.getLogger(__name__)

PING_TIMEOUT = 2.0


async def problems(bot: HelpdeskBot) -> list[str]:
    """What keeps the bot from serving; empty when healthy."""
    found = []
    if bot.is_closed() or not bot.is_ready() or bot.ws is None or not bot.ws.open:
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


class HealthServer:
    """aiohttp on HEALTH_HOST:HEALTH_PORT, started in setup_hook and stopped at shutdown."""

    def __init__(self, bot: HelpdeskBot, host: str, port: int) -> None:
        self.bot, self.host, self.port = bot, host, port
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
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
        helpdesk = self.bot.helpdesk
        latency = self.bot.latency
        gauges = {
            "seb_gateway_latency_seconds": (
                "Heartbeat round trip to the gateway.",
                latency if math.isfinite(latency) else -1,
            ),
            "seb_store_queued_writes": ("Writes waiting for the database.", helpdesk.store.queued),
            "seb_catalog_entries": (
                "Entries in the loaded catalog.",
                len(helpdesk.matcher.entries),
            ),
            "seb_gateway_connected": (
                "1 when connected to the gateway.",
                int(self.bot.is_ready() and not self.bot.is_closed()),
            ),
        }
        body = helpdesk.metrics.render(gauges)
        return web.Response(
            text=body,
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )
