"""Run the bot against a fake Discord: `python -m tests.fakediscord.launch ARGS...`."""

# Reads FAKE_DISCORD_HTTP (http://127.0.0.1:PORT/api/v10) and FAKE_DISCORD_GATEWAY
# (ws://127.0.0.1:PORT/), points discord.py at them by patching library class attributes
# only, then calls `bot.__main__.main(ARGS)` and exits with its return code. Optional:
# FAKE_DISCORD_GUILD_READY_TIMEOUT (default 0.1 s), FAKE_DISCORD_HEARTBEAT_TIMEOUT
# (discord.py's silence timeout before it reconnects; default unchanged, 60 s) and
# FAKE_DISCORD_ENTRY ("module:function", default bot.__main__:main).

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_ENTRY = "bot.__main__:main"


async def _identify_without_delay(
    self: Any, shard_id: int | None, *, initial: bool = False
) -> None:
    """Replaces Client.before_identify_hook, which sleeps 5 s before every re-IDENTIFY."""
    return None


def patch_discord(
    http_base: str,
    gateway_url: str,
    *,
    guild_ready_timeout: float = 0.1,
    heartbeat_timeout: float | None = None,
) -> Callable[[], None]:
    """Point discord.py at a fake Discord; returns a function that undoes the patches."""
    # Patched: Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY, Client.before_identify_hook
    # (no 5 s sleep before a re-IDENTIFY) and Client.__init__ (guild_ready_timeout and
    # heartbeat_timeout default to the given values).
    import discord
    import discord.gateway
    import discord.http
    import yarl

    saved = (
        discord.http.Route.BASE,
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        discord.Client.__dict__["before_identify_hook"],
        discord.Client.__dict__["__init__"],
    )
    original_init = saved[3]

    @functools.wraps(original_init)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("guild_ready_timeout", guild_ready_timeout)
        if heartbeat_timeout is not None:
            kwargs.setdefault("heartbeat_timeout", heartbeat_timeout)
        original_init(self, *args, **kwargs)

    discord.http.Route.BASE = http_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    discord.Client.before_identify_hook = _identify_without_delay  # type: ignore[method-assign]
    discord.Client.__init__ = init  # type: ignore[method-assign]
    log.debug("discord.py now talks to %s and %s", http_base, gateway_url)

    def restore() -> None:
        discord.http.Route.BASE = saved[0]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved[1]
        discord.Client.before_identify_hook = saved[2]  # type: ignore[method-assign]
        discord.Client.__init__ = saved[3]  # type: ignore[method-assign]

    return restore


def _float_env(name: str) -> float | None:
    value = os.environ.get(name)
    return float(value) if value else None


def main(argv: list[str] | None = None) -> int:
    """Patch discord.py from the environment, then run the bot's own main(argv)."""
    try:
        http_base = os.environ["FAKE_DISCORD_HTTP"]
        gateway_url = os.environ["FAKE_DISCORD_GATEWAY"]
    except KeyError as missing:
        print(f"launch: environment variable {missing} is not set", file=sys.stderr)
        return 2
    ready_timeout = _float_env("FAKE_DISCORD_GUILD_READY_TIMEOUT")
    patch_discord(
        http_base,
        gateway_url,
        guild_ready_timeout=0.1 if ready_timeout is None else ready_timeout,
        heartbeat_timeout=_float_env("FAKE_DISCORD_HEARTBEAT_TIMEOUT"),
    )
    module_name, _, func_name = os.environ.get("FAKE_DISCORD_ENTRY", DEFAULT_ENTRY).partition(":")
    # imported late: the bot's code is loaded only after discord.py is patched
    bot_main = getattr(importlib.import_module(module_name), func_name or "main")
    code = bot_main(argv)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
