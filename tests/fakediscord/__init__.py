"""A fake Discord (REST + gateway on 127.0.0.1) for end-to-end tests of the real discord.py."""

from .guild import FakeChannel, FakeGuild, FakeRole, FakeUser
from .payloads import custom_ids, find_component
from .process import BotProcess, start_bot
from .recording import (
    FakeDiscordTimeout,
    RecordedRequest,
    UploadedFile,
    validate_command_definitions,
)
from .results import InteractionResult
from .rules import embed_chars
from .server import FakeDiscord


def __getattr__(name: str) -> object:
    # patch_discord lives in the launcher module, which `python -m` runs as __main__:
    # importing it eagerly here would load it twice.
    if name == "patch_discord":
        from .launch import patch_discord

        return patch_discord
    raise AttributeError(name)


__all__ = [
    "BotProcess",
    "FakeChannel",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeGuild",
    "FakeRole",
    "FakeUser",
    "InteractionResult",
    "RecordedRequest",
    "UploadedFile",
    "custom_ids",
    "embed_chars",
    "find_component",
    "patch_discord",
    "start_bot",
    "validate_command_definitions",
]
