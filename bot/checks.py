"""App-command checks: who may use the moderators' commands."""

from __future__ import annotations

import discord
from discord import app_commands


def is_moderator(interaction: discord.Interaction) -> bool:
    """MOD_ROLE_IDS when set, otherwise the Manage Messages permission."""
    roles = interaction.client.settings.mod_role_ids
    member = interaction.user
    if not isinstance(member, discord.Member):
        return False
    if roles:
        return any(role.id in roles for role in member.roles)
    return interaction.permissions.manage_messages


def moderators_only():
    """Refuse non-moderators with a private line (the tree's on_error sends it)."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if not is_moderator(interaction):
            raise app_commands.CheckFailure("Only moderators can see these reports.")
        return True

    return app_commands.check(predicate)
