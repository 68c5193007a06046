"""The real bot (`python -m bot run`, unmodified) against the fake Discord on 127.0.0.1."""

from __future__ import annotations

from tests.fakediscord import start_bot, validate_command_definitions
from tests.fakediscord.payloads import find_component
from tests.support import bot_env, votes, wait_for_rows


async def test_slash_command_answers_with_the_entry(fake, bot):
    result = await fake.slash_command("spotify-error", {"query": "error 2026"})
    embed = result.embeds[0]
    assert embed["title"].startswith("error:2026 — ")
    steps = next(f for f in embed["fields"] if f["name"] == "Steps")["value"]
    assert steps.startswith("**1.** ")
    assert not result.ephemeral
    assert "seb:v:1:error:2026" in result.custom_ids
    assert "seb:v:none:error:2026" in result.custom_ids


async def test_commands_are_synced_to_the_dev_guild_and_valid(fake, bot):
    defs = fake.commands[fake.guild.id]
    names = {c["name"] for c in defs}
    assert {"spotify-error", "fix-stats", "unmatched", "Identify Spotify error"} <= names
    assert validate_command_definitions(defs, guild=True) == []


async def test_autocomplete_offers_ranked_choices(fake, bot):
    empty = await fake.autocomplete("spotify-error", focused="query")
    assert 0 < len(empty) <= 25
    typed = await fake.autocomplete("spotify-error", {"query": "auth:7"}, focused="query")
    assert typed[0]["value"] == "auth:73"


async def test_not_sure_offers_did_you_mean_and_picking_posts_that_answer(fake, bot):
    result = await fake.slash_command("spotify-error", {"query": "offline but Firefox works"})
    assert "seb:pick" in result.custom_ids
    options = [o["value"] for o in find_component(result.message, "seb:pick")["options"]]
    picked = await fake.select("seb:pick", [options[0]], result.message)
    assert picked.embeds[0]["title"].startswith(options[0])


async def test_nothing_plausible_is_said_privately(fake, bot):
    result = await fake.slash_command("spotify-error", {"query": "what's the weather @everyone"})
    assert result.ephemeral
    assert result.embeds[0]["title"] == "No Spotify error matched"
    assert "@everyone" not in result.embeds[0]["description"].replace("@\u200beveryone", "")


async def test_help_channel_paste_gets_a_reply_and_chatter_silence(fake, bot):
    help_id = fake.channel_id("help")
    reply = await fake.post_message(
        help_id, "Help! A firewall may be blocking Spotify. (Error code: accesspoint:39)"
    )
    assert reply["embeds"][0]["title"].startswith("accesspoint:39")
    assert reply["message_reference"]["message_id"]

    # Each silence is proved by a later paste the bot does answer, from someone new (one
    # answer per person per 30 s): once that is answered, the bot has handled the first.
    def answered(content: str, name: str):
        return fake.post_message(help_id, content, author=fake.make_user(name))

    chatter = await fake.dispatch_message(
        help_id, "good morning everyone", author=fake.make_user("chatty")
    )
    await fake.assert_silent_after(chatter, then=answered("error 2026", "second"))
    # The same error again in the same channel within the cooldown: no second answer.
    again = await fake.dispatch_message(
        help_id, "accesspoint:39 here too", author=fake.make_user("third")
    )
    await fake.assert_silent_after(again, then=answered("auth:73", "fourth"))
    # Outside the help channels the bot stays quiet.
    elsewhere = await fake.dispatch_message(
        fake.channel_id("general"), "error 2026", author=fake.make_user("elsewhere")
    )
    await fake.assert_silent_after(elsewhere, then=answered("accounts:403", "fifth"))


async def test_context_menu_answers_the_invoker_privately(fake, bot):
    target = fake.make_message(fake.channel_id("general"), "Spotify says Account disabled.")
    result = await fake.message_context_menu("Identify Spotify error", target)
    assert result.ephemeral
    assert result.embeds[0]["title"].startswith("accounts:403")


async def test_vote_is_stored_and_survives_a_restart_without_doubling(fake, tmp_path):
    db = tmp_path / "db.sqlite3"
    proc = await start_bot(fake, ["run"], env=bot_env(fake, db), log_dir=tmp_path)
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    voter = fake.make_user("voter")
    ack = await fake.click("seb:v:2:auth:73", answer.message, user=voter)
    assert ack.ephemeral and "Saved" in ack.content
    assert votes(db) == [(int(answer.message["id"]), voter.id, 2)]
    await proc.stop()

    proc = await start_bot(fake, ["run"], env=bot_env(fake, db), log_dir=tmp_path / "second")
    again = await fake.click("seb:v:3:auth:73", answer.message, user=voter)
    assert "Saved" in again.content
    assert votes(db) == [(int(answer.message["id"]), voter.id, 3)]
    other = fake.make_user("other")
    await fake.click("seb:v:none:auth:73", answer.message, user=other)
    assert sorted(v[2] or 0 for v in votes(db)) == [0, 3]
    await proc.stop()


async def test_forged_vote_is_refused_and_not_stored(fake, bot, tmp_path):
    general = fake.channel_id("general")
    forged = [
        (fake.make_user("mallory"), "seb:v:1:auth:73"),  # not the bot's message
        (fake.bot, "seb:v:99:auth:73"),  # a step the entry does not have
        (fake.bot, "seb:v:1:no-such-entry"),  # an entry the catalog does not have
    ]
    for author, custom_id in forged:
        message = fake.make_message(
            general,
            "",
            author=author,
            components=[
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}],
                }
            ],
        )
        refused = await fake.click(custom_id, message)
        assert refused.ephemeral and "Saved" not in refused.content
    assert votes(tmp_path / "db.sqlite3") == []


async def test_fix_stats_for_moderators_only(fake, bot):
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    await fake.click("seb:v:1:auth:73", answer.message)
    member = fake.make_user("member")
    refused = await fake.slash_command("fix-stats", user=member)
    assert refused.ephemeral and "moderators" in refused.content.lower()
    mod = fake.make_user("mod", roles=["Moderator"])
    stats = await fake.slash_command("fix-stats", {"export": True}, user=mod)
    assert stats.ephemeral
    text = str(stats.embeds[0])
    assert "auth:73" in text and "Step 1: 1 (100%)" in text
    csv_text = stats.files[0].data.decode()
    assert csv_text.splitlines()[0].startswith("entry_id,title,lookups,step")
    assert "auth:73" in csv_text
    one = await fake.slash_command("fix-stats", {"error": "auth:73"}, user=mod)
    assert "Step 4: 0 (0%)" in str(one.embeds[0])


async def test_unmatched_lists_questions_nothing_matched(fake, bot, tmp_path):
    await fake.slash_command("spotify-error", {"query": "my cat sat on the keyboard"})
    await wait_for_rows(tmp_path / "db.sqlite3", "SELECT COUNT(*) FROM lookups", 1)
    mod = fake.make_user("mod2", roles=["Moderator"])
    report = await fake.slash_command("unmatched", user=mod)
    assert "my cat sat on the keyboard" in str(report.embeds[0])


async def test_a_weak_guess_is_offered_but_moderators_still_see_the_question(fake, bot, tmp_path):
    """Two common words make an unsure guess for the asker, not an answered question."""
    weak = "my friend cannot see my songs"
    result = await fake.slash_command("spotify-error", {"query": weak})
    assert result.embeds[0]["title"] != "No Spotify error matched"
    await wait_for_rows(tmp_path / "db.sqlite3", "SELECT COUNT(*) FROM lookups", 1)
    mod = fake.make_user("mod3", roles=["Moderator"])
    report = await fake.slash_command("unmatched", user=mod)
    assert weak in str(report.embeds[0])


async def test_the_same_question_after_a_vote_shows_the_new_count(fake, bot):
    """Replies to a repeated question are reused, but never with stale vote counts."""

    def steps(result) -> str:
        return next(f for f in result.embeds[0]["fields"] if f["name"] == "Steps")["value"]

    first = await fake.slash_command("spotify-error", {"query": "auth:73"})
    assert "worked for" not in steps(first)
    await fake.click("seb:v:2:auth:73", first.message, user=fake.make_user("voter"))
    again = await fake.slash_command("spotify-error", {"query": "auth:73"})
    assert "worked for 1 person" in steps(again).split("**3.**")[0].split("**2.**")[1]
