"""Two servers on one bot: each server's moderators see their own questions and counts only."""

from __future__ import annotations

from tests.fakediscord import FakeDiscord, start_bot
from tests.support import bot_env, wait_for_rows

# What each server's members ask: one answered question, one nothing matched.
ASKED = {
    "A": {"answered": "auth:73", "unmatched": "my cat sat on the keyboard"},
    "B": {"answered": "accounts:403", "unmatched": "the dog chewed the headphone cable"},
}


async def ask(fake: FakeDiscord, guild, names: dict[str, str]) -> None:
    """A member asks both questions and clicks step 1 under the answer."""
    member = fake.make_user(f"member of {guild.name}", guild=guild)
    answer = await fake.slash_command("spotify-error", {"query": names["answered"]}, user=member)
    assert answer.embeds[0]["title"].startswith(names["answered"])
    saved = await fake.click(f"seb:v:1:{names['answered']}", answer.message, user=member)
    assert "Saved" in saved.content
    await fake.slash_command("spotify-error", {"query": names["unmatched"]}, user=member)
    help_id = fake.channel_id("help", guild)
    paste = f"{names['answered']} again, help"
    await fake.post_message(
        help_id, paste, author=fake.make_user(f"paster of {guild.name}", guild=guild)
    )


async def test_each_servers_moderators_see_only_their_own_questions_and_counts(tmp_path):
    async with FakeDiscord() as fake:
        guilds = {"A": fake.guild, "B": await fake.add_guild("Server B")}
        help_ids = ",".join(str(fake.channel_id("help", g)) for g in guilds.values())
        db = tmp_path / "db.sqlite3"
        proc = await start_bot(
            fake, ["run"], env=bot_env(fake, db, HELP_CHANNEL_IDS=help_ids), log_dir=tmp_path
        )
        for key, guild in guilds.items():
            await ask(fake, guild, ASKED[key])
        await wait_for_rows(db, "SELECT COUNT(*) FROM lookups", 6)

        for key, guild in guilds.items():
            mine, theirs = ASKED[key], ASKED["B" if key == "A" else "A"]
            mod = fake.make_user(f"mod of {guild.name}", roles=["Moderator"], guild=guild)
            unmatched = str((await fake.slash_command("unmatched", user=mod)).embeds[0])
            assert mine["unmatched"] in unmatched and theirs["unmatched"] not in unmatched

            stats = await fake.slash_command("fix-stats", {"export": True}, user=mod)
            shown, csv_text = str(stats.embeds[0]), stats.files[0].data.decode()
            assert mine["answered"] in shown and mine["answered"] in csv_text
            assert theirs["answered"] not in shown and theirs["answered"] not in csv_text
            assert theirs["unmatched"] not in csv_text

            # Asking for the other server's error by name shows this server's counts: none.
            other = await fake.slash_command("fix-stats", {"error": theirs["answered"]}, user=mod)
            counts = other.embeds[0]["description"]
            assert "**Lookups** 0 " in counts and "**Votes** 0" in counts
        await proc.stop()
        fake.assert_valid()
