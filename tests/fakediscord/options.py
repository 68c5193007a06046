"""Build application-command interaction data (options, resolved objects) like Discord does."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .guild import FakeChannel, FakeRole, FakeUser
from .payloads import snowflake
from .recording import UploadedFile
from .store import attachment_object

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

SUB_COMMAND, SUB_GROUP, STRING, INTEGER, BOOLEAN = 1, 2, 3, 4, 5
USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 6, 7, 8, 9, 10, 11


def find_definition(
    fake: FakeDiscord, name: str, command_type: int = 1, guild_id: int | None = None
) -> tuple[int | None, dict[str, Any] | None]:
    """(scope, command) the bot registered under this name: that guild's commands first."""
    for scope in (guild_id or fake.guild.id, None):
        for cmd in fake.commands.get(scope, []):
            if cmd["name"] == name and (cmd.get("type") or 1) == command_type:
                return scope, cmd
    return None, None


def command_data(
    fake: FakeDiscord,
    name: str,
    options: Any,
    *,
    subcommand: str | None = None,
    guild_command: bool | None = None,
    focused: str | None = None,
    command_type: int = 1,
    user: FakeUser | None = None,
) -> dict[str, Any]:
    """`data` of an application-command interaction (option types from the registration)."""
    # Without a registration (PUT …/commands) option types are inferred from the Python
    # values. data.guild_id is set for guild commands and, when nothing was registered,
    # too: discord.py's tree falls back to global commands.
    guild = fake.guild_of_user(user)  # the guild the user runs it in
    scope, definition = find_definition(fake, name, command_type, guild.id)
    data: dict[str, Any] = {
        "id": definition["id"] if definition else str(snowflake()),
        "name": name,
        "type": command_type,
    }
    if guild_command is None:
        guild_command = scope is not None or definition is None
    if guild_command:
        data["guild_id"] = str(guild.id)
    if command_type != 1:
        return data
    path = subcommand.split() if subcommand else []
    option_defs = (definition or {}).get("options")
    for part in path:
        sub = next((o for o in option_defs or [] if o["name"] == part), None)
        if definition is not None and sub is None:
            raise ValueError(f"/{name} has no subcommand {part!r}")
        option_defs = (sub or {}).get("options")
    resolved: dict[str, dict[str, Any]] = {}
    opts = _convert(fake, options, option_defs, focused, resolved)
    for depth, part in enumerate(reversed(path)):
        opts = [{"type": SUB_COMMAND if depth == 0 else SUB_GROUP, "name": part, "options": opts}]
    data["options"] = opts
    if resolved:
        data["resolved"] = resolved
    return data


def _convert(
    fake: FakeDiscord,
    options: Any,
    defs: list[dict[str, Any]] | None,
    focused: str | None,
    resolved: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    if options is None:
        return []
    if isinstance(options, list):
        return options  # raw option dicts, sent as given
    by_name = {d["name"]: d for d in defs or []}
    result = []
    for name, value in options.items():
        if defs is not None and name not in by_name:
            raise ValueError(
                f"the registered command has no option {name!r}; options: {sorted(by_name)}"
            )
        kind = by_name[name]["type"] if name in by_name else _infer(value)
        option: dict[str, Any] = {"name": name, "type": kind}
        if name == focused:
            option |= {"value": str(value), "focused": True}
        else:
            option["value"] = _value(fake, kind, value, resolved)
        result.append(option)
    return result


def _infer(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, FakeUser):
        return USER
    if isinstance(value, FakeRole):
        return ROLE
    if isinstance(value, FakeChannel):
        return CHANNEL
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes):
        return ATTACHMENT
    return STRING


def _value(fake: FakeDiscord, kind: int, value: Any, resolved: dict[str, dict[str, Any]]) -> Any:
    guild = fake.guild
    if kind in (USER, MENTIONABLE) and isinstance(value, FakeUser):
        key = str(value.id)
        resolved.setdefault("users", {})[key] = value.user_payload()
        resolved.setdefault("members", {})[key] = value.member_payload(
            user=False, permissions=guild.permissions_for(value)
        )
        return key
    if kind in (ROLE, MENTIONABLE):
        role = value if isinstance(value, FakeRole) else guild.role(value)
        resolved.setdefault("roles", {})[str(role.id)] = role.payload()
        return str(role.id)
    if kind == CHANNEL:
        channel = value if isinstance(value, FakeChannel) else fake._channel_for(value)
        payload = channel.payload(fake.guild_id_of(channel))
        payload["permissions"] = str(guild.permissions_for(fake.default_user))
        resolved.setdefault("channels", {})[str(channel.id)] = payload
        return str(channel.id)
    if kind == ATTACHMENT:
        filename, data = value
        att = attachment_object(fake.base_url, 0, filename, data, None)
        upload = UploadedFile("files[0]", filename, att["content_type"], data)
        fake.store.add_uploads(snowflake(), [(att, upload)])
        att |= {"ephemeral": True}
        resolved.setdefault("attachments", {})[att["id"]] = att
        return att["id"]
    if kind == INTEGER:
        return int(value)
    if kind == NUMBER:
        return float(value)
    if kind == BOOLEAN:
        return bool(value)
    return value if kind != STRING else str(value)


def select_values(
    fake: FakeDiscord, kind: int, values: list[Any]
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Values of a select menu as sent by Discord, with `resolved` for entity selects."""
    if kind == 3:
        return [str(v) for v in values], {}
    resolved: dict[str, dict[str, Any]] = {}
    ids = []
    for value in values:
        if not isinstance(value, FakeUser | FakeRole | FakeChannel):
            key = int(value)
            value = (
                fake.guild.members.get(key) or fake.guild.roles.get(key) or fake.find_channel(key)
            )
            if value is None:
                raise ValueError(f"select value {key} is no member, role or channel")
        entity = {FakeUser: USER, FakeRole: ROLE, FakeChannel: CHANNEL}[type(value)]
        ids.append(_value(fake, entity, value, resolved))
    return ids, resolved
