"""The Discord client: a commands.Bot whose setup_hook opens the store and loads the cogs."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import CatalogError
from bot.components import (
    PickSelect,
    VoteButton,
    VoteSelect,
    carries,
    refuse_while_draining,
)
from bot.delivery import send
from bot.health import HealthServer
from bot.helpdesk import Helpdesk
from bot.loading import load_matcher
from bot.settings import Settings
from bot.store import open_store

log = logging.getLogger(__name__)

COGS = ("cogs.lookup", "cogs.help_channels", "cogs.moderation", "cogs.teaching")
# Tasks discord.py names when it runs a command, a component callback or an event handler.
IN_FLIGHT = ("CommandTree-invoker", "discord-ui-", "discord.py: on_message")
DYNAMIC_ITEMS = (VoteButton, VoteSelect, PickSelect)
DRAIN_SECONDS = 8.0  # then close anyway, inside the 10 s a service manager waits


class HelpdeskTree(app_commands.CommandTree):
    """One error handler for every command: answer the user privately, log once."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await refuse_while_draining(interaction)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            text = str(error) or "You're not allowed to use this command."
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("command %s failed", command, exc_info=error)
            text = "Something went wrong on my side. It has been logged; please try again."
        try:
            await send(interaction, content=text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user about the error")


def intents_for(settings: Settings, message_content: bool) -> discord.Intents:
    """The least that works: guilds always; guild messages and content for help channels."""
    intents = discord.Intents.none()
    intents.guilds = True
    if settings.help_channel_ids:
        intents.guild_messages = True
        intents.message_content = message_content
    return intents


# The bot has no voice: discord.py's warnings about missing voice libraries only alarm.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class HelpdeskBot(commands.Bot):
    """Holds the settings, the matcher and the store; built fresh for every start."""

    def __init__(self, settings: Settings, *, message_content: bool = True, **options) -> None:
        super().__init__(
            **options,
            command_prefix=commands.when_mentioned,
            intents=intents_for(settings, message_content),
            tree_cls=HelpdeskTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.draining = False
        self.health: HealthServer | None = None
        self._shutdown: asyncio.Future | None = None
        self.message_content = message_content and bool(settings.help_channel_ids)
        self.helpdesk: Helpdesk
        self.dynamic_items: tuple[type[discord.ui.DynamicItem], ...] = ()
        self.max_concurrency = 1
        self._identifying: set[asyncio.Task] = set()

    async def setup_hook(self) -> None:
        matcher = load_matcher(self.settings.catalog_path, self.settings.meanings)
        store = await open_store(
            self.settings.database_url, retention_days=self.settings.retention_days
        )
        self.helpdesk = Helpdesk(matcher, store)
        if store.shared:  # several processes IDENTIFY: learn how many may at once
            _, _, limits = await self.http.get_bot_gateway()
            self.max_concurrency = max(1, int(limits.get("max_concurrency", 1)))
        await self.helpdesk.lessons.load()
        if self.settings.health_port is not None:
            self.health = HealthServer(self, self.settings.health_host, self.settings.health_port)
            await self.health.start()
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        for cog in COGS:
            await self.load_extension(cog)
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to the development guild", len(synced))
        log.info(
            "ready to serve: %d catalog entries, database %s",
            len(matcher.entries),
            self.settings.database_name,
        )

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """With a shared database, IDENTIFY takes its bucket's lock, across every process.

        The lock is held five seconds past the IDENTIFY (Discord's limit per bucket, and
        bucket = shard_id % max_concurrency); one process alone keeps discord.py's spacing.
        """
        helpdesk = getattr(self, "helpdesk", None)
        if helpdesk is None or not helpdesk.store.shared:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        bucket = (shard_id or 0) % self.max_concurrency
        locked = asyncio.Event()

        async def hold() -> None:
            async with helpdesk.store.identify_lock(bucket):
                locked.set()

        task = asyncio.create_task(hold(), name=f"identify-{shard_id}")
        self._identifying.add(task)
        task.add_done_callback(self._identifying.discard)
        await locked.wait()
        log.info("identify shard=%s bucket=%d", shard_id, bucket)

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem]) -> None:
        """Register persistent components; the cogs add their own (kept for on_interaction)."""
        super().add_dynamic_items(*items)
        self.dynamic_items += items

    async def reload_catalog(self) -> str:
        """Swap in a freshly loaded catalog; a broken one is refused and the old one serves."""
        try:
            return await self.helpdesk.reload(self.settings.catalog_path)
        except CatalogError as exc:
            problems = "; ".join(exc.problems)
            log.error("catalog reload refused, the old catalog keeps serving: %s", problems)
            return f"Catalog reload refused; the old catalog keeps serving.\n{exc}"

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A component no template knows, or one its message doesn't carry, still gets an answer.

        discord.py drops a click whose custom_id fits a template but is not on the clicked
        message (a stale or modified client); the user would see "This interaction failed".
        """
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        templates = (i.__discord_ui_compiled_template__ for i in self.dynamic_items)
        known = any(template.fullmatch(custom_id) for template in templates)
        if known and carries(interaction.message, custom_id):
            return
        log.warning("unknown component %r from user %s", custom_id[:100], interaction.user.id)
        await interaction.response.send_message("This button is no longer in use.", ephemeral=True)

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d guilds",
            self.user,
            self.user.id if self.user else "?",
            len(self.guilds),
        )

    async def close(self) -> None:
        """Finish in-flight interactions and writes, then disconnect and close the store."""
        if self._shutdown is None:  # one shutdown, however many callers ask for it
            self._shutdown = asyncio.ensure_future(self._shut_down())
        await asyncio.shield(self._shutdown)

    async def _shut_down(self) -> None:
        self.draining = True
        for task in list(self._identifying):  # an IDENTIFY's 5 s hold ends with the process
            task.cancel()
        helpdesk = getattr(self, "helpdesk", None)
        if helpdesk is None:  # never got past logging in: nothing to finish
            await super().close()
            return
        log.info("shutting down: finishing in-flight interactions")
        await self._drain()
        await super().close()
        if self.health is not None:
            await self.health.close()
        await helpdesk.refresher.close()
        await helpdesk.store.close()
        log.info("shut down cleanly")

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_SECONDS
        me = asyncio.current_task()
        while loop.time() < deadline:
            busy = [
                t for t in asyncio.all_tasks() if t is not me and t.get_name().startswith(IN_FLIGHT)
            ]
            if not busy:
                return
            await asyncio.wait(busy, timeout=deadline - loop.time())
        log.warning(
            "shutdown: gave up waiting for in-flight interactions after %.0f s", DRAIN_SECONDS
        )


class ShardedHelpdeskBot(HelpdeskBot, commands.AutoShardedBot):
    """The same bot over SHARD_IDS of SHARD_COUNT shards, for one process of several."""

    def __init__(self, settings: Settings, *, message_content: bool = True) -> None:
        super().__init__(
            settings,
            message_content=message_content,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids or ()),
        )


def bot_for(settings: Settings, *, message_content: bool = True) -> HelpdeskBot:
    """The sharded bot when SHARD_COUNT is set, the plain one otherwise."""
    cls = ShardedHelpdeskBot if settings.shard_count is not None else HelpdeskBot
    return cls(settings, message_content=message_content)
