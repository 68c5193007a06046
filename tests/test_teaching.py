"""Moderators teach the bot from /unmatched, users teach it by picking; per server, end to end."""

from __future__ import annotations

import asyncio

from tests.fakediscord import FakeDiscord, start_bot
from tests.fakediscord.guild import FakeUser
from tests.fakediscord.payloads import walk_components
from tests.support import bot_env, wait_for_rows

QUESTION = "the little green dot beside my speaker vanished"


def component(result, placeholder: str) -> dict:
    """The select whose placeholder starts so (the report's selects have generated ids)."""
    found = [
        c
        for c in walk_components(result.message.get("components") or [])
        if str(c.get("placeholder", "")).startswith(placeholder)
    ]
    assert found, result.message.get("components")
    return found[0]


async def ask(fake: FakeDiscord, text: str, guild=None, name: str = "member", user=None):
    """Ask as `user`, or as a new member called `name` (each call of make_user is a new one)."""
    if user is None:
        user = fake.make_user(name, guild=guild) if guild else fake.make_user(name)
    return await fake.slash_command("spotify-error", {"query": text}, user=user)


async def test_a_moderator_links_an_unmatched_question_and_the_server_learns_it(tmp_path):
    async with FakeDiscord() as fake:
        other = await fake.add_guild("Server B")
        db = tmp_path / "db.sqlite3"
        proc = await start_bot(fake, ["run"], env=bot_env(fake, db), log_dir=tmp_path)
        first = await ask(fake, QUESTION)
        assert first.embeds[0]["title"] == "No Spotify error matched"
        await wait_for_rows(db, "SELECT COUNT(*) FROM lookups", 1)

        mod = fake.make_user("mod", roles=["Moderator"])
        report = await fake.slash_command("unmatched", user=mod)
        link = component(report, "Link “the little green dot")
        assert "connect:device-picker" in [o["value"] for o in link["options"]]
        member = fake.make_user("member 2")
        refused = await fake.select(link["custom_id"], ["auth:73"], report.message, user=member)
        assert refused.ephemeral and "Only moderators" in refused.content
        learned = await fake.select(
            link["custom_id"], ["connect:device-picker"], report.message, user=mod
        )
        assert "Learned" in learned.content

        again = await ask(fake, f"{QUESTION}, what now?", name="member 3")
        assert again.embeds[0]["title"].startswith("connect:device-picker")
        assert "Not sure" not in (again.embeds[0].get("description") or "")
        elsewhere = await ask(fake, QUESTION, guild=other, name="member of B")
        assert elsewhere.embeds[0]["title"] == "No Spotify error matched"

        listed = await fake.slash_command("learned", user=mod)
        assert QUESTION in listed.embeds[0]["description"]
        forget = component(listed, "Remove a learned phrase")
        [option] = forget["options"]
        assert option["description"] == "connect:device-picker"
        removed = await fake.select("seb:forget", [option["value"]], listed.message, user=mod)
        assert "Removed" in removed.content
        after = await ask(fake, QUESTION, name="member 4")
        assert after.embeds[0]["title"] == "No Spotify error matched"
        await proc.stop()
        fake.assert_valid()


PICKED = "songs greyed out and cant log in"
LESSON_POLLS = 50  # 0.1 s apart: the refresh after a pick is one store read


async def pick(fake: FakeDiscord, user: FakeUser, entry_id: str) -> None:
    listed = await ask(fake, PICKED, user=user)
    select = component(listed, "Did you mean")
    assert entry_id in [o["value"] for o in select["options"]]
    answer = await fake.select("seb:pick", [entry_id], listed.message, user=user)
    assert answer.embeds[0]["title"].startswith(entry_id)


async def test_three_users_picking_the_same_entry_rank_it_first_but_never_answer_unasked(
    fake, bot, tmp_path
):
    before = await ask(fake, PICKED)
    ranked = [o["value"] for o in component(before, "Did you mean")["options"]]
    chosen = ranked[-1]  # the list's last guess: picks must lift it to the top
    db = tmp_path / "db.sqlite3"
    eager = fake.make_user("eager")
    for _ in range(3):  # one user alone, however often, teaches nothing
        await pick(fake, eager, chosen)
    await wait_for_rows(db, "SELECT COUNT(*) FROM picks", 1)
    alone = await ask(fake, PICKED, name="checker")
    assert not alone.embeds[0]["title"].startswith(chosen)
    for name in ("second", "third"):
        await pick(fake, fake.make_user(name), chosen)
    await wait_for_rows(db, "SELECT COUNT(DISTINCT user_id) FROM picks", 3)
    # The third pick's answer goes out before its lesson is re-read: ask until it is.
    for _ in range(LESSON_POLLS):
        taught = await ask(fake, PICKED, name="later")
        if taught.embeds[0]["title"].startswith(chosen):
            break
        await asyncio.sleep(0.1)
    assert taught.embeds[0]["title"].startswith(chosen)
    assert "Not sure" in taught.embeds[0]["description"]  # a list, not an unasked answer
