"""The real bot reads screenshots posted to the fake Discord, downloaded from its CDN URL."""

from __future__ import annotations

import re
import sqlite3

import aiohttp

from bot.catalog import load_catalog
from tests import screenshots as s
from tests.fakediscord import start_bot
from tests.support import bot_env, wait_for_rows

CATALOG = load_catalog()


def shot(entry_id: str, kind: str = "dark") -> tuple[str, bytes]:
    rendered = s.shoot(s.dialog_for(CATALOG.get(entry_id)), kind, s.fonts()[0])
    return rendered.name, rendered.data


async def busy_reader(fake) -> None:
    """Eight whole-desktop screenshots in the help channel: the OCR queue is busy a while."""
    help_id = fake.channel_id("help")
    for n, entry_id in enumerate(["auth:1", "auth:2", "auth:3", "accounts:3"] * 2):
        name, data = shot(entry_id, "desktop")
        await fake.dispatch_message(
            help_id, "", files=[(name, data)], author=fake.make_user(f"queued{n}")
        )


def reading_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "screenshot guild=" in line]


async def test_an_image_only_post_is_answered_and_a_photo_without_text_is_not(fake, bot):
    help_id = fake.channel_id("help")
    reply = await fake.post_message(help_id, "", files=[shot("accounts:103")], wait=10)
    embed = reply["embeds"][0]
    assert embed["title"].startswith("accounts:103 — ")
    said = embed["description"].split("\n")[0]
    assert re.fullmatch(r'Read from your screenshot: ".*firewall.*accounts: ?103\)"', said), said

    photo = await fake.dispatch_message(
        help_id, "", files=[("holiday.jpg", s.noise_photo())], author=fake.make_user("tourist")
    )
    await bot.wait_ready(30, line=rf"screenshot guild=\S+ channel=\S+ message={photo['id']} ")
    await fake.assert_silent_after(
        photo, then=fake.post_message(help_id, "error 2026", author=fake.make_user("next"))
    )
    lines = reading_lines(bot.log_text())
    assert len(lines) == 2
    assert f"message={photo['id']}" in lines[1] and "confident=False" in lines[1]


BAD = {
    "cut.png": s.encode(s.render_dialog(s.dialog_for(CATALOG.get("auth:73"))))[:700],
    "big.png": b"\x89PNG\r\n\x1a\n" + bytes(20 * 2**20),
    "bomb.png": s.png_bomb(),
    "blank.gif": s.animated_gif(s.render_dialog(s.other_apps()[5]).resize((40, 20))),
    "drawing.svg": s.SVG,
    "archive.png": s.zip_bytes(),
    "empty.png": b"",
    "photo.jpg": s.noise_photo(),
}


async def test_bad_files_in_a_help_channel_get_silence_and_one_log_line_each(fake, bot):
    help_id = fake.channel_id("help")
    posted = [
        await fake.dispatch_message(help_id, "", files=[(name, data)], author=fake.make_user(name))
        for name, data in BAD.items()
    ]
    # One worker reads them in order: once the last one's line is out, every one is read.
    await bot.wait_ready(30, line=rf"screenshot guild=\S+ channel=\S+ message={posted[-1]['id']} ")
    await fake.assert_silent_after(
        posted[0], then=fake.post_message(help_id, "auth:73", author=fake.make_user("ok"), wait=30)
    )
    log = bot.log_text()
    assert "Traceback" not in log
    lines = reading_lines(log)
    for name, message in zip(BAD, posted, strict=True):
        mine = [line for line in lines if f"message={message['id']} " in line]
        assert len(mine) == 1, (name, mine)
        assert f"file='{name}'" in mine[0]
        if name not in ("photo.jpg", "blank.gif"):  # these are read, and say nothing
            assert "problem=" in mine[0], mine[0]


async def test_the_menu_reads_the_message_images_privately(fake, bot):
    target = fake.make_message(
        fake.channel_id("general"), "", files=[shot("accounts:403", "light")]
    )
    result = await fake.message_context_menu("Identify Spotify error", target, timeout=10)
    assert result.ephemeral
    assert result.embeds[0]["title"].startswith("accounts:403")
    assert result.embeds[0]["description"].startswith("Read from your screenshot:")


async def test_slash_command_reads_a_screenshot_with_the_typed_text(fake, bot, tmp_path):
    typed = "this came up after the update"
    result = await fake.slash_command(
        "spotify-error", {"query": typed, "screenshot": shot("auth:73", "phone")}, timeout=10
    )
    assert not result.ephemeral
    assert result.embeds[0]["title"].startswith("auth:73")
    assert "Read from your screenshot" in result.embeds[0]["description"]
    db = tmp_path / "db.sqlite3"
    await wait_for_rows(db, "SELECT COUNT(*) FROM lookups", 1)
    with sqlite3.connect(db) as conn:
        (query,) = conn.execute("SELECT query FROM lookups").fetchone()
    assert query.startswith(typed) and "auth:73" in query  # matched as one text

    nothing = await fake.slash_command("spotify-error", {})
    assert nothing.ephemeral and "screenshot" in nothing.content


async def test_each_reading_is_posted_to_the_ocr_log_channel_with_a_jump_link(fake, tmp_path):
    log_channel = fake.guild.add_channel("ocr-log")
    env = bot_env(fake, tmp_path / "db.sqlite3", OCR_LOG_CHANNEL_ID=str(log_channel.id))
    proc = await start_bot(fake, ["run"], env=env, log_dir=tmp_path)
    posted = await fake.dispatch_message(fake.channel_id("help"), "", files=[shot("accounts:4")])
    rec = await fake.wait_for_request(
        "POST", f"^/channels/{log_channel.id}/messages$", timeout=10, successful=True
    )
    content = rec.json["content"]
    jump = f"https://discord.com/channels/{fake.guild.id}/{posted['channel_id']}/{posted['id']}"
    assert jump in content and "**accounts:4** (sure)" in content
    assert "No internet connection" in content
    await proc.stop()


async def test_without_ocr_the_bot_runs_and_the_menu_says_images_are_not_read(fake, tmp_path):
    env = bot_env(fake, tmp_path / "db.sqlite3", TESSDATA_PREFIX=str(tmp_path / "none"))
    proc = await start_bot(fake, ["run"], env=env, log_dir=tmp_path)
    target = fake.make_message(fake.channel_id("general"), "", files=[shot("accounts:403")])
    result = await fake.message_context_menu("Identify Spotify error", target)
    assert result.ephemeral and "Images are not read here" in result.embeds[0]["description"]
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    assert answer.embeds[0]["title"].startswith("auth:73")
    await proc.stop()
    log = proc.log_text()
    assert log.count("images are not read") == 1 and "Traceback" not in log


async def test_the_fake_serves_uploaded_files_at_their_url(fake):
    name, data = shot("auth:73")
    message = fake.make_message(fake.channel_id("general"), "see", files=[(name, data)])
    att = message["attachments"][0]
    assert att["url"].startswith("http://127.0.0.1:") and att["content_type"] == "image/png"
    async with aiohttp.ClientSession() as http, http.get(att["url"]) as response:
        assert response.status == 200 and await response.read() == data


async def test_a_slow_reading_is_deferred_then_answered(fake, bot):
    """Behind a queue of whole-desktop screenshots the menu answers "thinking…" within 3 s."""
    await busy_reader(fake)
    target = fake.make_message(fake.channel_id("general"), "", files=[shot("accounts:127")])
    result = await fake.message_context_menu("Identify Spotify error", target, timeout=3)
    assert result.type == 5 and result.ephemeral  # deferred: Discord shows "thinking…"
    answer = await result.wait_followup(timeout=30)
    assert answer["embeds"][0]["title"].startswith("accounts:127")


async def test_a_deferred_screenshot_that_matches_nothing_is_told_to_the_asker_alone(fake, bot):
    """Public "thinking…" while the queue is busy, then nothing found: the channel keeps clean."""
    await busy_reader(fake)
    photo = ("holiday.png", s.noise_photo())
    result = await fake.slash_command("spotify-error", {"screenshot": photo}, timeout=3)
    assert result.type == 5 and not result.ephemeral  # deferred in public
    note = await result.wait_followup(timeout=30)
    assert note["flags"] & 64  # ephemeral
    assert note["embeds"][0]["title"] == "No Spotify error matched"
    assert result.original_deleted


async def test_readings_are_counted_for_prometheus(fake, tmp_path, unused_tcp_port):
    env = bot_env(fake, tmp_path / "db.sqlite3", HEALTH_PORT=str(unused_tcp_port))
    proc = await start_bot(fake, ["run"], env=env, log_dir=tmp_path)
    help_id = fake.channel_id("help")
    await fake.post_message(help_id, "", files=[shot("accounts:103")], wait=10)
    photo = await fake.dispatch_message(
        help_id, "", files=[("holiday.jpg", s.noise_photo())], author=fake.make_user("tourist")
    )
    await proc.wait_ready(30, line=rf"screenshot guild=\S+ channel=\S+ message={photo['id']} ")
    await fake.assert_silent_after(
        photo, then=fake.post_message(help_id, "error 2026", author=fake.make_user("next"))
    )
    url = f"http://127.0.0.1:{unused_tcp_port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        text = await response.text()
    assert 'seb_screenshots_total{outcome="matched"} 1.0' in text
    assert 'seb_screenshots_total{outcome="no text"} 1.0' in text
    assert "seb_ocr_seconds_count 2.0" in text
    await proc.stop()
