"""ChatActions: post as a member would (threads, messages), await replies, prove silence."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from .guild import FORUM, FakeChannel, FakeUser
from .payloads import user_message
from .recording import FakeDiscordTimeout, RecordedRequest
from .store import user_uploads

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)
T = TypeVar("T")

# Requests that create a message: a reply, a thread (with its first post) or a thread on one.
CREATES_MESSAGE = re.compile(r"^/channels/\d+/(messages|threads|messages/\d+/threads)$")
# After the barrier's answer, wait at least this long, and at least as long as it took.
# discord.py runs each event's handlers as a task of its own, started in gateway order, so
# the handlers run concurrently: a reply to the earlier message started no later than the
# barrier's, and would arrive within about the barrier's own latency.
SILENCE_GRACE = 0.1


class ChatActions:
    """Mixin of FakeDiscord: user messages in channels, threads and forums."""

    async def create_thread(
        self: FakeDiscord,
        parent: int | str | FakeChannel,
        name: str,
        *,
        owner: FakeUser | None = None,
    ) -> FakeChannel:
        """A thread in a text or forum channel (THREAD_CREATE when the bot is connected)."""
        owner = owner or self.default_user
        parent_channel = self._channel_for(parent, owner)
        guild = self.guild_of(parent_channel) or self.guild
        thread = guild.add_thread(parent_channel.id, name, owner.id)
        if self.gateway.current is not None:
            await self.dispatch("THREAD_CREATE", thread.payload(guild.id) | {"newly_created": True})
        return thread

    def make_message(
        self: FakeDiscord,
        channel_id: int | str | FakeChannel,
        content: str,
        *,
        author: FakeUser | None = None,
        files: list[tuple[str, bytes]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Store a user's message without dispatching it (e.g. a context-menu target).

        `files` are uploads as (filename, bytes); the fake serves them back at their url.
        """
        author = author or self.default_user
        channel = self._channel_for(channel_id, author)
        uploads = user_uploads(self.base_url, channel.id, files or [])
        if uploads:
            extra["attachments"] = [att for att, _ in uploads]
        if f"<@{self.bot.id}>" in content:
            extra.setdefault("mentions", [self.bot.user_payload()])
        parent = self.find_channel(channel.parent_id or 0)
        forum_post = parent is not None and parent.type == FORUM and not channel.message_count
        message_id = channel.id if forum_post else None  # a forum post's first message
        message = user_message(
            channel,
            author,
            content,
            guild_id=self.guild_id_of(channel),
            message_id=message_id,
            extra=extra,
        )
        channel.message_count += 1
        return self.store.add(message, uploads)

    async def dispatch_message(
        self: FakeDiscord,
        channel_id: int | str | FakeChannel,
        content: str,
        *,
        author: FakeUser | None = None,
        thread: Any = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """MESSAGE_CREATE from a user; thread=True opens a new thread (a post in a forum)."""
        channel = self._channel_for(channel_id, author)
        if thread is True or (channel.type == FORUM and not thread):
            channel = await self.create_thread(
                channel, content[:40] or "thread", owner=author or self.default_user
            )
        elif thread:
            channel = self._channel_for(thread, author)
        message = self.make_message(channel, content, author=author, **extra)
        self.dispatched_at[int(message["id"])] = len(self.requests)
        if not await self._deliver(message):
            self.undelivered.append(message)
        return message

    async def _deliver(self: FakeDiscord, message: dict[str, Any]) -> bool:
        """MESSAGE_CREATE as Discord sends it to this bot; False when its intents exclude it."""
        await self.gateway.changed.wait_until(
            lambda: self.gateway.current, 5.0, "the bot to IDENTIFY on the gateway"
        )
        intents = self.intents()
        guild = "guild_id" in message
        if not intents & (1 << 9 if guild else 1 << 12):
            log.info(
                "not delivered: the bot did not ask for the %s intent",
                "GUILD_MESSAGES" if guild else "DIRECT_MESSAGES",
            )
            return False
        data = dict(message)
        mentioned = any(m["id"] == str(self.bot.id) for m in message.get("mentions", []))
        if guild and not intents & (1 << 15) and not mentioned:
            data.update(content="", embeds=[], attachments=[], components=[])
        await self.dispatch("MESSAGE_CREATE", data)
        return True

    async def post_message(
        self: FakeDiscord,
        channel_id: int | str | FakeChannel,
        content: str,
        *,
        author: FakeUser | None = None,
        thread: Any = False,
        wait: float = 5.0,
        reply_in: int | str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Post as a user; return the bot's reply in that channel (silence: assert_silent_after)."""
        start, since = len(self.requests), time.monotonic()
        message = await self.dispatch_message(
            channel_id, content, author=author, thread=thread, **extra
        )
        channel = (
            message["channel_id"] if reply_in is None else self._channel_for(reply_in, author).id
        )
        try:
            rec = await self.wait_for_request(
                "POST",
                f"^/channels/{channel}/messages$",
                timeout=wait,
                since=start,
                successful=True,
            )
        except FakeDiscordTimeout:
            why = " (not delivered: intents lack it)" if message in self.undelivered else ""
            raise FakeDiscordTimeout(
                f"the bot did not reply to {content[:60]!r} in channel {channel} within "
                f"{wait:g} s{why}; {self.describe_recent(since)}"
            ) from None
        reply = rec.response if isinstance(rec.response, dict) else {}
        return self.store.get(reply.get("id")) or reply or None

    async def assert_silent_after(
        self: FakeDiscord,
        message: dict[str, Any],
        *,
        then: Awaitable[T],
        grace: float | None = None,
    ) -> T:
        """Assert the bot sent nothing for `message`: `then`, sent after it, is answered first."""
        # `then` is a later action the bot does answer, e.g. fake.post_message(...): once it
        # is, the bot has handled `message` too. Returns what `then` returned.
        start = self.dispatched_at.get(int(message["id"]))
        if start is None:
            raise ValueError("assert_silent_after needs a message sent with dispatch_message")
        begun = time.monotonic()
        answer = await then
        await asyncio.sleep(
            max(SILENCE_GRACE, time.monotonic() - begun) if grace is None else grace
        )
        barrier = answer.get("id") if isinstance(answer, dict) else None
        spoken = [
            r
            for r in self.requests[start:]
            if r.method == "POST"
            and CREATES_MESSAGE.search(r.path)
            and not _answers_later(r, int(message["id"]), barrier)
        ]
        if spoken:
            shown = ", ".join(f"{r!r} with {r.json!r:.160}" for r in spoken[:3])
            raise AssertionError(
                f"expected no reply to {message['content'][:60]!r}, the bot sent {shown}"
            )
        return answer


def _answers_later(rec: RecordedRequest, message_id: int, barrier: str | None) -> bool:
    """The request answers a message sent after `message_id` (or is the barrier's answer)."""
    body = rec.json if isinstance(rec.json, dict) else {}
    ref = body.get("message_reference")
    target = ref.get("message_id") if isinstance(ref, dict) else None
    if target is not None:
        return int(target) > message_id  # snowflakes grow: a later message has a larger id
    made = rec.response if isinstance(rec.response, dict) else {}
    return barrier is not None and made.get("id") == barrier
