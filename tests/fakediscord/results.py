"""InteractionResult: what the bot answered to one interaction, and what came after."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from .payloads import EPHEMERAL, custom_ids
from .recording import Signal, UploadedFile

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

CALLBACK_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE",
    5: "DEFERRED_CHANNEL_MESSAGE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "AUTOCOMPLETE_RESULT",
    9: "MODAL",
    12: "LAUNCH_ACTIVITY",
}


class InteractionResult:
    """The callback the bot POSTed, plus its follow-ups and edits of @original."""

    def __init__(self, fake: FakeDiscord, interaction: dict[str, Any], what: str) -> None:
        self.fake = fake
        self.interaction = interaction
        self.what = what
        self.id = int(interaction["id"])
        self.token: str = interaction["token"]
        self.dispatched_at = time.monotonic()
        self.callback: dict[str, Any] | None = None
        self.callback_files: list[UploadedFile] = []
        self.callback_at: float | None = None
        self.message: dict[str, Any] | None = None  # the message the callback created
        clicked = interaction.get("message")
        self.original_id: int | None = int(clicked["id"]) if clicked else None
        self.followups: list[dict[str, Any]] = []
        self.edits: list[dict[str, Any]] = []  # PATCH bodies sent to @original
        self.original_deleted = False
        self._followups_seen = 0
        self._edits_seen = 0
        self.changed = Signal()

    def __repr__(self) -> str:
        kind = CALLBACK_NAMES.get(self.type or 0, self.type)
        return f"<InteractionResult {self.what} callback={kind} followups={len(self.followups)}>"

    @property
    def type(self) -> int | None:
        """The callback type (4 message, 5 deferred, 6/7 update, 8 autocomplete, 9 modal)."""
        return None if self.callback is None else self.callback.get("type")

    @property
    def data(self) -> dict[str, Any]:
        """The callback's `data` (message body, choices or modal)."""
        return ((self.callback or {}).get("data")) or {}

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def choices(self) -> list[dict[str, Any]]:
        return self.data.get("choices") or []

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.data if self.type == 9 else None

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)

    @property
    def latency(self) -> float | None:
        """Seconds from dispatching INTERACTION_CREATE to receiving the callback."""
        return None if self.callback_at is None else self.callback_at - self.dispatched_at

    @property
    def original(self) -> dict[str, Any] | None:
        """The current state of @original (the created message, or the clicked one)."""
        if self.original_id is None or self.original_deleted:
            return None
        return self.fake.store.get(self.original_id)

    @property
    def custom_ids(self) -> list[str]:
        """custom_ids on @original (or on the callback body when nothing is stored)."""
        message = self.original or self.data
        return custom_ids(message)

    @property
    def files(self) -> list[UploadedFile]:
        """Files uploaded with the callback."""
        return self.callback_files

    async def wait_callback(self, timeout: float = 5.0) -> InteractionResult:
        await self.changed.wait_until(
            lambda: self.callback is not None,
            timeout,
            f"the bot to answer {self.what} (POST /interactions/{self.id}/…/callback); "
            f"{self.fake.describe_recent(self.dispatched_at)}",
        )
        return self

    async def wait_followup(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next follow-up message (POST /webhooks/{app}/{token}) not yet returned."""

        def ready() -> dict[str, Any] | None:
            if len(self.followups) > self._followups_seen:
                return self.followups[self._followups_seen]
            return None

        message = await self.changed.wait_until(
            ready,
            timeout,
            f"a follow-up to {self.what} (POST /webhooks/…/{{token}}); "
            f"{self.fake.describe_recent(self.dispatched_at)}",
        )
        self._followups_seen += 1
        return message

    async def wait_edit(self, timeout: float = 5.0) -> dict[str, Any]:
        """@original after the next edit (PATCH …/messages/@original) not yet returned."""

        def ready() -> bool:
            return len(self.edits) > self._edits_seen

        await self.changed.wait_until(
            ready,
            timeout,
            f"an edit of @original of {self.what}; {self.fake.describe_recent(self.dispatched_at)}",
        )
        self._edits_seen += 1
        return self.original or {}

    async def wait_for(
        self, predicate: Any, timeout: float = 5.0, what: str = "a condition"
    ) -> Any:
        """Wait until predicate(self) is truthy (re-checked after every change)."""
        return await self.changed.wait_until(
            lambda: predicate(self), timeout, f"{what} on {self.what}"
        )
