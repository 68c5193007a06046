"""End-to-end tests of the fake Discord with a plain, unmodified discord.py bot in-process."""

from __future__ import annotations

import asyncio
import re

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import (
    FakeDiscord,
    FakeDiscordTimeout,
    patch_discord,
    start_bot,
    validate_command_definitions,
)


class CloseTicket(discord.ui.DynamicItem[discord.ui.Button], template=r"ticket:close:(?P<id>\d+)"):
    """A button that works on any message, found by its custom_id pattern."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Close ticket",
                style=discord.ButtonStyle.danger,
                custom_id=f"ticket:close:{ticket_id}",
            )
        )
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]) -> CloseTicket:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=f"Ticket {self.ticket_id} closed.", view=None
        )


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="What happened?", custom_id="feedback:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks: {self.text.value}", ephemeral=True)


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents)
    bot.add_dynamic_items(CloseTicket)

    @bot.tree.command(description="Explain a Spotify error code")
    @app_commands.describe(code="The error code")
    async def explain(interaction: discord.Interaction, code: str) -> None:
        embed = discord.Embed(title=f"Error {code}", description="Log out and in again.")
        view = discord.ui.View()
        view.add_item(CloseTicket(7))
        await interaction.response.send_message(embed=embed, view=view)

    @explain.autocomplete("code")
    async def explain_codes(interaction: discord.Interaction, current: str):
        codes = ["auth-3", "auth-74", "offline-4"]
        return [app_commands.Choice(name=c, value=c) for c in codes if c.startswith(current)]

    @bot.tree.command(description="An answer that breaks the 6000-character embed limit")
    async def huge(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Everything")
        for i in range(7):
            embed.add_field(name=f"part {i}", value="x" * 1000)
        await interaction.response.send_message(embed=embed)

    @bot.tree.command(description="Slow answer with a log file")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        file = discord.File(fp=__import__("io").BytesIO(b"log line 1\n"), filename="log.txt")
        await interaction.followup.send("Here is the log", file=file)

    @bot.tree.command(description="Pick a platform")
    async def platform(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        select = discord.ui.Select(
            custom_id="platform",
            options=[
                discord.SelectOption(label="Android", value="android"),
                discord.SelectOption(label="Desktop", value="desktop"),
            ],
        )

        async def chosen(inner: discord.Interaction) -> None:
            await inner.response.send_message(f"platform={select.values[0]}")

        select.callback = chosen
        view.add_item(select)
        await interaction.response.send_message("Which platform?", view=view)

    @bot.tree.command(description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @bot.tree.context_menu(name="Explain this")
    async def explain_message(interaction: discord.Interaction, message: discord.Message):
        await interaction.response.send_message(f"You pasted: {message.content}", ephemeral=True)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        if "error" in message.content.lower():
            await message.reply(f"That looks like a Spotify error ({message.channel.name}).")

    return bot


@pytest.fixture
async def fake():
    async with FakeDiscord() as server:
        restore = patch_discord(server.http_base, server.gateway_url)
        try:
            yield server
        finally:
            restore()


@pytest.fixture
async def bot(fake: FakeDiscord):
    client = make_bot()
    task = asyncio.create_task(client.start("fake-token"))
    await fake.wait_until_ready()
    yield client
    await client.close()
    await asyncio.wait_for(task, 5)


async def test_slash_command_answers_with_embed_and_button(fake: FakeDiscord, bot) -> None:
    result = await fake.slash_command("explain", {"code": "auth-3"})
    assert result.type == 4
    assert result.embeds[0]["title"] == "Error auth-3"
    assert result.custom_ids == ["ticket:close:7"]
    assert result.original["interaction_metadata"]["name"] == "explain"
    assert fake.identify_payloads[0]["intents"] & (1 << 15)  # message content requested
    fake.assert_valid()


async def test_button_click_is_handled(fake: FakeDiscord, bot) -> None:
    answer = await fake.slash_command("explain", {"code": "auth-74"})
    click = await fake.click("ticket:close:7", answer, user=fake.make_user("mod", ["Moderator"]))
    assert click.type == 7
    assert click.original["content"] == "Ticket 7 closed."
    assert click.original["components"] == []
    fake.assert_valid()


async def test_message_gets_a_reply_and_chatter_does_not(fake: FakeDiscord, bot) -> None:
    user = fake.make_user("bob")
    reply = await fake.post_message("help", "I get Error auth-3 again", author=user)
    assert reply["content"] == "That looks like a Spotify error (help)."
    assert reply["message_reference"]["channel_id"] == str(fake.channel_id("help"))
    thanks = await fake.dispatch_message("help", "thanks!")
    await fake.assert_silent_after(thanks, then=fake.post_message("help", "error again"))
    in_thread = await fake.post_message("help", "error in a thread", thread=True)
    assert fake.guild.channels[int(in_thread["channel_id"])].parent_id == fake.channel_id("help")
    fake.assert_valid()


async def test_a_silence_check_fails_when_the_bot_did_reply(fake: FakeDiscord, bot) -> None:
    answered = await fake.dispatch_message("help", "an error here")
    with pytest.raises(AssertionError, match="expected no reply to 'an error here'"):
        await fake.assert_silent_after(answered, then=fake.post_message("help", "error again"))


async def test_command_definitions_validate(fake: FakeDiscord, bot) -> None:
    definitions = [c.to_dict(bot.tree) for c in bot.tree.get_commands()]
    assert validate_command_definitions(definitions) == []
    await bot.tree.sync()
    assert {c["name"] for c in fake.commands[None]} >= {"explain", "Explain this"}
    broken = [{"name": "Explain", "description": "d" * 101, "type": 1}]
    problems = validate_command_definitions(broken)
    assert any("maxLength is 100" in p for p in problems)
    assert any("lowercase" in p for p in problems)
    fake.assert_valid()


async def test_oversized_embed_is_a_violation(fake: FakeDiscord, bot) -> None:
    await fake.slash_command("huge")
    assert any("embeds total 7" in v and "6000" in v for v in fake.violations), fake.violations
    with pytest.raises(AssertionError, match="6000"):
        fake.assert_valid()


async def test_dropped_gateway_resumes_and_commands_still_work(fake: FakeDiscord, bot) -> None:
    await fake.drop_gateway()
    result = await fake.slash_command("explain", {"code": "offline-4"})
    assert result.embeds[0]["title"] == "Error offline-4"
    await fake.wait_for_resume()
    assert fake.gateway.resumes == 1 and len(fake.identify_payloads) == 1
    await fake.send_reconnect()
    await fake.wait_for_resume(count=2)
    assert (await fake.slash_command("explain", {"code": "x"})).type == 4


async def test_autocomplete_select_context_menu_and_modal(fake: FakeDiscord, bot) -> None:
    await bot.tree.sync()
    assert await fake.autocomplete("explain", focused="code", options={"code": "auth"}) == [
        {"name": "auth-3", "value": "auth-3"},
        {"name": "auth-74", "value": "auth-74"},
    ]
    menu = await fake.slash_command("platform")
    picked = await fake.select("platform", ["desktop"], menu)
    assert picked.content == "platform=desktop"
    pasted = fake.make_message("help", "Error code: 17")
    explained = await fake.message_context_menu("Explain this", pasted)
    assert explained.content == "You pasted: Error code: 17" and explained.ephemeral
    modal = await fake.slash_command("feedback")
    assert modal.type == 9
    thanks = await fake.submit_modal(modal, {"feedback:text": "it crashed"})
    assert thanks.content == "Thanks: it crashed"
    fake.assert_valid()


async def test_deferred_followup_with_file_and_rate_limit(fake: FakeDiscord, bot) -> None:
    fake.fail_next("POST", r"^/interactions/.*/callback$", 429, retry_after=0.01)
    result = await fake.slash_command("report")
    assert result.type == 5
    followup = await result.wait_followup()
    assert followup["id"] == result.original["id"]  # the first follow-up replaces "thinking"
    assert followup["content"] == "Here is the log"
    assert [(f.filename, f.data) for f in fake.files_of(followup)] == [("log.txt", b"log line 1\n")]
    callbacks = [r for r in fake.requests if r.path.endswith("/callback")]
    assert [r.status for r in callbacks] == [429, 200]
    fake.assert_valid()


async def test_timeout_is_reported_clearly(fake: FakeDiscord, bot) -> None:
    with pytest.raises(FakeDiscordTimeout, match="did not reply"):
        await fake.post_message("general", "nothing to see", wait=0.2)


STUB_BOT = """
import asyncio, signal, sys
import discord
from discord.ext import commands


def main(argv):
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())

    @bot.tree.command(description="Ping")
    async def ping(interaction):
        await interaction.response.send_message("pong " + " ".join(argv))

    @bot.event
    async def on_ready():
        print("stub ready, guild_ready_timeout", bot._connection.guild_ready_timeout, flush=True)

    async def run():
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with bot:
            runner = asyncio.create_task(bot.start("stub-token"))
            await stop.wait()
        await asyncio.gather(runner, return_exceptions=True)
        return 0

    return asyncio.run(run())
"""


async def test_launcher_runs_a_bot_process_against_the_fake(fake: FakeDiscord, tmp_path) -> None:
    (tmp_path / "stub_bot.py").write_text(STUB_BOT)
    proc = await start_bot(
        fake, ["--demo"], entry="stub_bot:main", log_dir=tmp_path, env={"PYTHONPATH": str(tmp_path)}
    )
    try:
        assert (await fake.slash_command("ping")).content == "pong --demo"
        await proc.wait_ready(line=r"stub ready, guild_ready_timeout 0\.1")
    finally:
        code = await proc.stop()
    assert code == 0, proc.log_text()
