"""UserActions: act as a guild member would (commands, clicks, messages) and await the bot."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .guild import FakeChannel, FakeUser
from .options import command_data, select_values
from .payloads import find_component, interaction_payload, snowflake
from .results import InteractionResult

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

SELECTS = {3, 5, 6, 7, 8}
Message = dict[str, Any] | InteractionResult | int | str


class UserActions:
    """Mixin of FakeDiscord: dispatch what a user does, return what the bot answered."""

    async def _interact(
        self: FakeDiscord,
        kind: int,
        data: dict[str, Any],
        what: str,
        *,
        user: FakeUser | None,
        channel_id: int | None,
        message: dict[str, Any] | None = None,
        timeout: float,
    ) -> InteractionResult:
        user = user or self.default_user
        channel = self._channel_for(channel_id, user)
        guild_id = self.guild_id_of(channel)
        guild = self.guild_of(channel) or self.guild_of_user(user)
        payload = interaction_payload(
            kind,
            data,
            app_id=self.application_id,
            user=user,
            user_permissions=guild.permissions_for(user),
            app_permissions=guild.permissions_for(self.bot_member(guild)),
            channel=channel,
            guild_id=guild_id,
            message=message,
        )
        result = InteractionResult(self, payload, what)
        self.interactions[result.token] = result
        await self.dispatch("INTERACTION_CREATE", payload)
        return await result.wait_callback(timeout)

    def _channel_for(
        self: FakeDiscord, channel_id: int | str | FakeChannel | None, user: FakeUser | None = None
    ) -> FakeChannel:
        """A channel, thread or DM by object, id or name ("general" when None) in user's guild."""
        if isinstance(channel_id, FakeChannel):
            return channel_id
        guild = self.guild_of_user(user)
        if channel_id is None:
            return guild.channel("general")
        found = self.find_channel(channel_id) if isinstance(channel_id, int) else None
        return found or guild.channel(channel_id)

    async def slash_command(
        self: FakeDiscord,
        name: str,
        options: Any = None,
        *,
        user: FakeUser | None = None,
        channel_id: int | str | None = None,
        subcommand: str | None = None,
        guild_command: bool | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Run /name [subcommand] with options ({name: value} or raw option dicts)."""
        data = command_data(
            self, name, options, subcommand=subcommand, guild_command=guild_command, user=user
        )
        what = f"/{name}" + (f" {subcommand}" if subcommand else "")
        return await self._interact(
            2, data, what, user=user, channel_id=channel_id, timeout=timeout
        )

    async def autocomplete(
        self: FakeDiscord,
        name: str,
        options: Any = None,
        *,
        focused: str,
        user: FakeUser | None = None,
        channel_id: int | str | None = None,
        subcommand: str | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers while `focused` is being typed (callback type 8)."""
        values = dict(options or {})
        values.setdefault(focused, "")
        data = command_data(self, name, values, subcommand=subcommand, focused=focused, user=user)
        result = await self._interact(
            4,
            data,
            f"autocomplete /{name} {focused}",
            user=user,
            channel_id=channel_id,
            timeout=timeout,
        )
        if result.type != 8:
            raise AssertionError(f"autocomplete of /{name} answered with type {result.type}")
        return result.choices

    def _resolve_message(self: FakeDiscord, message: Message) -> dict[str, Any]:
        if isinstance(message, InteractionResult):
            found = message.original or message.message
        elif isinstance(message, dict):
            found = self.store.get(message["id"]) or message
        else:
            found = self.store.get(message)
        if found is None:
            raise ValueError(f"no stored message {message!r}")
        return found

    async def _component(
        self: FakeDiscord,
        custom_id: str,
        message: Message,
        kinds: set[int],
        extra: dict[str, Any],
        user: FakeUser | None,
        timeout: float,
    ) -> InteractionResult:
        msg = self._resolve_message(message)
        comp = find_component(msg, custom_id)
        if comp is None or comp.get("type") not in kinds:
            from .payloads import custom_ids

            raise ValueError(
                f"message {msg['id']} has no such component {custom_id!r}; "
                f"custom_ids: {custom_ids(msg)}"
            )
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; a user cannot use it")
        data = {"custom_id": custom_id, "component_type": comp["type"], **extra}
        if comp["type"] in SELECTS:
            data["values"], resolved = select_values(self, comp["type"], extra["values"])
            if resolved:
                data["resolved"] = resolved
        if comp["type"] == 3:
            allowed = {o["value"] for o in comp.get("options", [])}
            bad = [v for v in data["values"] if v not in allowed]
            if bad:
                raise ValueError(f"select {custom_id!r} has no options {bad}; has {allowed}")
        return await self._interact(
            3,
            data,
            f"component {custom_id!r}",
            user=user,
            channel_id=int(msg["channel_id"]),
            message=msg,
            timeout=timeout,
        )

    async def click(
        self: FakeDiscord,
        custom_id: str,
        message: Message,
        *,
        user: FakeUser | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Click a button on a message the bot posted."""
        return await self._component(custom_id, message, {2}, {}, user, timeout)

    async def select(
        self: FakeDiscord,
        custom_id: str,
        values: list[Any],
        message: Message,
        *,
        user: FakeUser | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Pick values (strings, or users/roles/channels) in a select menu the bot posted."""
        return await self._component(
            custom_id, message, SELECTS, {"values": list(values)}, user, timeout
        )

    async def message_context_menu(
        self: FakeDiscord,
        name: str,
        target_message: Message,
        *,
        user: FakeUser | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Apps → name on a message (application command type 3)."""
        msg = self._resolve_message(target_message)
        data = command_data(self, name, None, command_type=3, user=user)
        data |= {"target_id": msg["id"], "resolved": {"messages": {msg["id"]: msg}}}
        return await self._interact(
            2,
            data,
            f"message command {name!r}",
            user=user,
            channel_id=int(msg["channel_id"]),
            timeout=timeout,
        )

    async def user_context_menu(
        self: FakeDiscord,
        name: str,
        target: FakeUser,
        *,
        user: FakeUser | None = None,
        channel_id: int | str | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Apps → name on a member (application command type 2)."""
        data = command_data(self, name, None, command_type=2, user=user)
        data |= {
            "target_id": str(target.id),
            "resolved": {
                "users": {str(target.id): target.user_payload()},
                "members": {
                    str(target.id): target.member_payload(
                        user=False, permissions=self.guild.permissions_for(target)
                    )
                },
            },
        }
        return await self._interact(
            2, data, f"user command {name!r}", user=user, channel_id=channel_id, timeout=timeout
        )

    async def submit_modal(
        self: FakeDiscord,
        modal: InteractionResult,
        values: dict[str, Any],
        *,
        user: FakeUser | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Fill the modal the bot showed (callback type 9) and submit it."""
        form = modal.modal
        if form is None:
            raise ValueError(f"{modal!r} did not open a modal")
        components = [_submitted(c, values) for c in form.get("components", [])]
        data = {"custom_id": form["custom_id"], "components": components}
        inter = modal.interaction
        return await self._interact(
            5,
            data,
            f"modal {form['custom_id']!r}",
            user=user or _member_of(self, inter),
            channel_id=int(inter["channel_id"]),
            message=inter.get("message"),
            timeout=timeout,
        )


def _submitted(component: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The modal-submit shape of one modal component, filled from `values`."""
    kind = component.get("type")
    if kind == 1:
        return {
            "type": 1,
            "id": component.get("id"),
            "components": [_submitted(c, values) for c in component["components"]],
        }
    if kind == 18:
        return {
            "type": 18,
            "id": component.get("id"),
            "component": _submitted(component["component"], values),
        }
    custom_id = component.get("custom_id")
    out: dict[str, Any] = {"type": kind, "id": component.get("id") or snowflake() % 1000}
    if custom_id is None:
        return out
    out["custom_id"] = custom_id
    value = values.get(custom_id)
    if kind == 4:
        if value is None and component.get("required", True):
            raise ValueError(f"text input {custom_id!r} is required")
        out["value"] = value or ""
    else:
        out["values"] = list(value or [])
    return out


def _member_of(fake: FakeDiscord, interaction: dict[str, Any]) -> FakeUser | None:
    user = (interaction.get("member") or {}).get("user") or interaction.get("user") or {}
    return fake.find_member(int(user.get("id", 0)))
