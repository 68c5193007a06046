"""Hostile input against the real bot: pings, strange pastes, SQL, forged clicks, non-moderators."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from typing import Any

from tests.fakediscord import FakeDiscord, InteractionResult, start_bot
from tests.fakediscord.payloads import custom_ids, find_component
from tests.support import TOKEN, bot_env, votes

PINGS = "@everyone @here <@123456789012345678> <@&123456789012345678> <#123456789012345678>"
RAW_PINGS = ("@everyone", "@here", "<@1", "<@&1")
ESCAPED_PINGS = (
    "@\u200beveryone",
    "@\u200bhere",
    "<@\u200b123456789012345678>",
    "<@\u200b&123456789012345678>",
)
FIREWALL = "A firewall may be blocking Spotify. (Error code: accesspoint:39)"
MESSAGE_ROUTE = re.compile(r"^/channels/\d+/messages$|^/webhooks/\d+/[^/]+$")
LOG_ERROR = re.compile(r"^\S+ \S+ (?:ERROR|CRITICAL) ", re.MULTILINE)
MANAGE_MESSAGES = 1 << 13


def sent_messages(fake: FakeDiscord) -> list[tuple[Any, dict[str, Any]]]:
    """(request, message body) of every message the bot created."""
    out = []
    for rec in fake.requests:
        body = rec.json if isinstance(rec.json, dict) else None
        if body is None or rec.method != "POST":
            continue
        if rec.path.endswith("/callback") and body.get("type") in (4, 7):
            out.append((rec, body.get("data") or {}))
        elif MESSAGE_ROUTE.search(rec.path):
            out.append((rec, body))
    return out


def assert_nothing_pings(fake: FakeDiscord) -> int:
    """Every message the bot created carries allowed_mentions that ping nobody."""
    sent = sent_messages(fake)
    for rec, body in sent:
        mentions = body.get("allowed_mentions")
        assert isinstance(mentions, dict), f"{rec!r} sent no allowed_mentions: {body!r:.300}"
        assert mentions.get("parse") == [], f"{rec!r}: {mentions}"
        assert not mentions.get("users") and not mentions.get("roles"), f"{rec!r}: {mentions}"
        assert not mentions.get("replied_user"), f"{rec!r}: {mentions}"
    return len(sent)


def assert_clean_log(proc: Any) -> None:
    """No traceback and no ERROR line in the bot's log."""
    text = proc.log_text()
    assert "Traceback" not in text, text[text.find("Traceback") - 500 :][:3000]
    assert not LOG_ERROR.search(text), LOG_ERROR.findall(text)


def shown_text(result: InteractionResult) -> str:
    """Everything a user reads in an interaction answer."""
    return result.content + json.dumps(result.embeds, ensure_ascii=False)


def assert_refused(result: InteractionResult) -> None:
    """A private refusal: an ephemeral message, nothing saved, no file."""
    assert result.type == 4 and result.ephemeral, result.callback
    assert "Saved" not in result.content and not result.files


async def stored_queries(db: Any, wanted: set[str], timeout: float = 5.0) -> set[str]:
    """The lookups' query texts, once they include `wanted` (or after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        conn = sqlite3.connect(db)
        try:
            found = {q for (q,) in conn.execute("SELECT query FROM lookups")}
        finally:
            conn.close()
        if wanted <= found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def bot_message(fake: FakeDiscord, *components: dict[str, Any]) -> dict[str, Any]:
    """A message in #general authored by the bot, carrying the given components."""
    rows = [{"type": 1, "components": [c]} for c in components]
    return fake.make_message(fake.channel_id("general"), "", author=fake.bot, components=rows)


def button(custom_id: str) -> dict[str, Any]:
    """A primary button with this custom_id."""
    return {"type": 2, "style": 1, "label": "x", "custom_id": custom_id}


def select(custom_id: str, *values: str) -> dict[str, Any]:
    """A string select offering these values."""
    return {
        "type": 3,
        "custom_id": custom_id,
        "options": [{"label": v or "-", "value": v} for v in values],
    }


async def test_nothing_the_bot_sends_can_ping(fake, bot):
    """Mentions in queries, pastes and menu targets never ping, and echoed text is escaped."""
    found = await fake.slash_command("spotify-error", {"query": f"{PINGS} auth:73"})
    assert not found.ephemeral and found.embeds[0]["title"].startswith("auth:73")
    private = await fake.slash_command(
        "spotify-error", {"query": f"{PINGS} auth:73", "private": True}
    )
    assert private.ephemeral
    missing = await fake.slash_command("spotify-error", {"query": f"{PINGS} **bold** my cat"})
    reply = await fake.post_message(fake.channel_id("help"), f"{PINGS} {FIREWALL}")
    assert reply["embeds"][0]["title"].startswith("accesspoint:39")
    general = fake.channel_id("general")
    menu = await fake.message_context_menu(
        "Identify Spotify error",
        fake.make_message(general, f"{PINGS} Spotify says Account disabled."),
    )
    assert menu.embeds[0]["title"].startswith("accounts:403")
    menu_missing = await fake.message_context_menu(
        "Identify Spotify error", fake.make_message(general, f"{PINGS} **bold** my cat")
    )
    # Votes and "Did you mean" picks send messages too.
    assert "Saved" in (await fake.click("seb:v:1:auth:73", found.message)).content
    unsure = await fake.slash_command("spotify-error", {"query": "offline but Firefox works"})
    picks = [o["value"] for o in find_component(unsure.message, "seb:pick")["options"]]
    assert (await fake.select("seb:pick", [picks[0]], unsure)).embeds

    for echo in (missing, menu_missing):
        assert echo.embeds[0]["title"] == "No Spotify error matched"
        description = echo.embeds[0]["description"]
        for raw in RAW_PINGS:
            assert raw not in description, description
        for escaped in ESCAPED_PINGS:
            assert escaped in description
        assert r"\*\*bold\*\*" in description
    assert assert_nothing_pings(fake) >= 9
    assert_clean_log(bot)


async def test_big_and_strange_pastes_are_answered_cleanly(fake, bot):
    """Huge, invisible, reversed, NUL, emoji and invite pastes get a clean, bounded answer."""
    junk = ("\u202e lorem \x00 ipsum \u200b dolor 🎵 discord.gg/abcdef " * 3000)[:100_000]
    queries = {
        "auth\u200b:73": "auth:73",
        "\u202eauth:73 \u202ereversed": "auth:73",
        "auth:73\x00\x00 nul": "auth:73",
        "🎵🎧 auth:73 😭": "auth:73",
        "join discord.gg/abcdef for free nitro": None,
        "\u202e\x00\u200b": None,
        junk[:4000]: None,
        junk[:6000]: None,  # Discord's limit for a string option
    }
    results = {}
    for query, entry in queries.items():
        result = await fake.slash_command("spotify-error", {"query": query})
        results[query] = result
        assert result.type == 4 and result.embeds, (query[:40], result.callback)
        title = result.embeds[0]["title"]
        if entry:
            assert title.startswith(entry), (query[:40], title)
        else:
            assert title == "No Spotify error matched" and result.ephemeral

    general = fake.channel_id("general")
    for content, entry in ((f"{FIREWALL} {junk}", "accesspoint:39"), (junk, None)):
        result = await fake.message_context_menu(
            "Identify Spotify error", fake.make_message(general, content[:100_000])
        )
        results[content] = result
        assert result.type == 4 and result.ephemeral and result.embeds
        title = result.embeds[0]["title"]
        assert title.startswith(entry) if entry else title == "No Spotify error matched"

    help_id = fake.channel_id("help")
    reply = await fake.post_message(help_id, f"\u202e\x00{FIREWALL} {junk}"[:100_000])
    assert reply["embeds"][0]["title"].startswith("accesspoint:39")
    quiet = await fake.dispatch_message(help_id, junk, author=fake.make_user("paster"))
    barrier = fake.post_message(help_id, "error 2026", author=fake.make_user("next"))
    await fake.assert_silent_after(quiet, then=barrier)

    for query, result in results.items():
        text = shown_text(result)
        assert "\u202e" not in text and "\x00" not in text, query[:40]
        if result.embeds[0]["title"] == "No Spotify error matched":
            assert len(result.embeds[0]["description"]) < 600, query[:40]
    for _, body in sent_messages(fake):
        dumped = json.dumps(body, ensure_ascii=False)
        assert "\u202e" not in dumped and "\x00" not in dumped
    assert_clean_log(bot)


async def test_a_paste_cut_at_4000_characters_says_so(fake, bot):
    """A code beyond the first 4,000 characters: the answer says only those were searched."""
    paste = "lorem ipsum dolor sit amet " * 3700 + FIREWALL  # about 100 KB
    result = await fake.message_context_menu(
        "Identify Spotify error", fake.make_message(fake.channel_id("general"), paste)
    )
    assert result.ephemeral and result.embeds
    assert_clean_log(bot)
    assert "4,000" in shown_text(result) or "4000" in shown_text(result)


async def test_sql_looking_text_is_stored_as_data(fake, bot, tmp_path):
    """SQL in a query is answered, listed verbatim to moderators, and the tables survive."""
    db = tmp_path / "db.sqlite3"
    queries = ["'); DROP TABLE votes; --", "1 OR 1=1", 'x" ; DELETE FROM answers; --']
    for query in queries:
        result = await fake.slash_command("spotify-error", {"query": query})
        assert result.ephemeral and result.embeds[0]["title"] == "No Spotify error matched"
        assert query in result.embeds[0]["description"]
    # Lookups are recorded just after the answer is sent: wait for them, as a moderator would.
    assert set(queries) <= await stored_queries(db, set(queries))
    mod = fake.make_user("mod", roles=["Moderator"])
    report = await fake.slash_command("unmatched", user=mod)
    recent = next(f for f in report.embeds[0]["fields"] if f["name"] == "Most recent")["value"]
    for query in queries:
        assert f"“{query}”" in recent, recent

    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    voter = fake.make_user("voter")
    assert "Saved" in (await fake.click("seb:v:2:auth:73", answer.message, user=voter)).content
    assert votes(db) == [(int(answer.message["id"]), voter.id, 2)]
    conn = sqlite3.connect(db)
    try:
        tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert {"lookups", "answers", "votes"} <= tables
    assert_clean_log(bot)


async def test_forged_select_values_and_picks_are_refused(fake, bot, tmp_path):
    """Out-of-range or non-numeric step selects and unknown picks are refused privately."""
    steps = bot_message(fake, select("seb:vs:auth:73", "999", "abc", "0", "-1"))
    for value in ("999", "abc", "0", "-1"):
        assert_refused(await fake.select("seb:vs:auth:73", [value], steps))
    picks = bot_message(
        fake, select("seb:pick", "no-such-entry", "'; DROP TABLE votes; --", "-", "A" * 100)
    )
    for value in ("no-such-entry", "'; DROP TABLE votes; --", "-", "A" * 100):
        result = await fake.select("seb:pick", [value], picks)
        assert_refused(result)
        assert "not in the catalog" in result.content
    assert votes(tmp_path / "db.sqlite3") == []
    assert_clean_log(bot)


async def test_unrecognised_custom_id_is_refused(fake, bot, tmp_path):
    """A junk custom_id on the bot's message is refused privately within Discord's 3 s."""
    ids = ["seb:v:1:" + "A" * 92, "seb:v:1:auth:73;DROP", "x" * 100]
    messages = [bot_message(fake, button(i)) for i in ids]
    results = await asyncio.gather(
        *(fake.click(i, m, timeout=3.0) for i, m in zip(ids, messages, strict=True)),
        return_exceptions=True,
    )
    assert votes(tmp_path / "db.sqlite3") == []
    assert_clean_log(bot)
    for custom_id, result in zip(ids, results, strict=True):
        assert isinstance(result, InteractionResult), (custom_id[:20], result)
        assert_refused(result)


async def test_vote_on_an_answer_from_another_guild_is_refused(fake, bot, tmp_path):
    """An answer recorded for another server (or another entry) cannot be voted on here."""
    db = tmp_path / "db.sqlite3"
    other_guild = fake.guild.id + 1
    general = fake.channel_id("general")
    foreign = bot_message(fake, button("seb:v:1:auth:73"))
    swapped = bot_message(fake, button("seb:v:1:auth:73"))
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO answers (message_id, entry_id, guild_id, channel_id, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (int(foreign["id"]), "auth:73", other_guild, general, time.time()),
                    (int(swapped["id"]), "accesspoint:39", fake.guild.id, general, time.time()),
                ],
            )
    finally:
        conn.close()
    refused = await fake.click("seb:v:1:auth:73", foreign)
    assert_refused(refused)
    assert "server" in refused.content
    assert_refused(await fake.click("seb:v:1:auth:73", swapped))
    assert votes(db) == []
    assert_clean_log(bot)


async def test_moderator_reports_refuse_members(fake, bot):
    """Members without Manage Messages get a private refusal and no CSV."""
    member = fake.make_user("member")
    helper = fake.make_user("helper", roles=["Helper"])
    for user in (member, helper):
        for name, options in (
            ("fix-stats", None),
            ("fix-stats", {"export": True}),
            ("unmatched", None),
        ):
            result = await fake.slash_command(name, options, user=user)
            assert result.ephemeral and "moderators" in result.content.lower(), (name, options)
            assert not result.files and not result.embeds
            assert not result.data.get("attachments")
    assert not any(rec.files for rec in fake.requests)
    assert_clean_log(bot)


async def test_mod_role_ids_overrides_manage_messages(fake, tmp_path):
    """With MOD_ROLE_IDS set, Manage Messages alone is refused and the role is allowed."""
    fake.guild.add_role("Janitor", MANAGE_MESSAGES, position=1)
    moderator_role = fake.guild.role("Moderator").id
    proc = await start_bot(
        fake,
        ["run"],
        log_dir=tmp_path,
        env=bot_env(fake, tmp_path / "db.sqlite3", MOD_ROLE_IDS=str(moderator_role)),
    )
    try:
        janitor = fake.make_user("janitor", roles=["Janitor"])
        assert fake.guild.permissions_for(janitor) & MANAGE_MESSAGES
        for name, options in (
            ("fix-stats", None),
            ("fix-stats", {"export": True}),
            ("unmatched", None),
        ):
            refused = await fake.slash_command(name, options, user=janitor)
            assert refused.ephemeral and "moderators" in refused.content.lower()
            assert not refused.files and not refused.embeds
        mod = fake.make_user("mod", roles=["Moderator"])
        stats = await fake.slash_command("fix-stats", {"export": True}, user=mod)
        assert stats.ephemeral and stats.embeds[0]["title"].startswith("Fix stats")
        assert stats.files[0].filename == "fix-stats.csv"
        report = await fake.slash_command("unmatched", user=mod)
        assert report.ephemeral and report.embeds[0]["title"].startswith("Unmatched")
        assert_clean_log(proc)
    finally:
        await proc.stop()
    assert TOKEN not in proc.log_text()


async def test_a_vote_id_the_message_does_not_carry_is_answered(fake, bot, tmp_path):
    """A stale or modified client clicks a vote-shaped id its message lacks: a private answer."""
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    msg = fake._resolve_message(answer.message)
    carried = set(custom_ids(msg))
    stale = ["seb:v:99:auth:73", "seb:v:1:error:2026", "seb:vs:auth:73", "seb:pick"]
    assert carried and not carried & set(stale)
    for custom_id in stale:
        kind = 3 if custom_id.startswith(("seb:vs", "seb:pick")) else 2
        data = {"custom_id": custom_id, "component_type": kind}
        if kind == 3:
            data["values"] = ["10"]
        result = await fake._interact(
            3,
            data,
            f"stale {custom_id}",
            user=None,
            channel_id=int(msg["channel_id"]),
            message=msg,
            timeout=3.0,
        )
        assert_refused(result)
        assert "no longer in use" in result.content
    assert votes(tmp_path / "db.sqlite3") == []
    assert_clean_log(bot)
