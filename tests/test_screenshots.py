"""Screenshots read with the real OCR engine: rendered dialogs of every kind, and bad files."""

from __future__ import annotations

import asyncio
import logging

import pytest
from PIL import Image

from bot.screens import MAX_BYTES, Reader, Reading, Seen, deciding_line, decode, load_reader, quote
from bot.screens_log import ReadingLog, Where, post_text
from tests import screenshots as s

PER_KIND = 3  # a sample of each kind; the bench scores hundreds (python -m tests.bench.screens)


@pytest.fixture(scope="module")
def reader() -> Reader:
    reader = load_reader()
    assert reader.available, f"OCR is needed for these tests: {reader.status}"
    return reader


def read_and_match(reader, matcher, shot: s.Shot):
    reading = reader.read_bytes(shot.name, shot.data)
    assert reading.problem is None, reading
    return reading, matcher.match(reading.text)


@pytest.mark.parametrize("kind", s.KINDS)
def test_every_kind_of_screenshot_names_its_entry(reader, matcher, kind):
    """Fonts in turn, dark and light, 0.75× and 2×, JPEG 40, WebP, a phone, a whole desktop."""
    shown = s.identifiable(matcher)
    shots = [x for x in s.positives(shown, PER_KIND, start=7) if x.kind == kind]
    top1, confident_wrong = 0, []
    for shot in shots:
        reading, result = read_and_match(reader, matcher, shot)
        got = result.best.entry.id if result.best else None
        top1 += got == shot.entry_id
        if result.confident and got != shot.entry_id:
            confident_wrong.append((shot.name, got, reading.text))
    assert confident_wrong == []
    assert top1 >= len(shots) - 1, f"{kind}: top-1 {top1}/{len(shots)}"


def test_over_all_kinds_at_most_three_are_missed(reader, matcher):
    shots = s.positives(s.identifiable(matcher), 2, start=31)
    missed = []
    for shot in shots:
        _, result = read_and_match(reader, matcher, shot)
        if result.best is None or result.best.entry.id != shot.entry_id:
            missed.append(shot.name)
    assert len(missed) <= 3, missed


def test_other_apps_error_dialogs_are_never_answered_with_confidence(reader, matcher):
    for shot in s.negatives():
        reading, result = read_and_match(reader, matcher, shot)
        assert len(reading.text) > 20, f"{shot.name} was not read at all: {reading.text!r}"
        assert not result.confident, (shot.name, result.best, reading.text)


def test_dark_firewall_dialog_quotes_its_code_line(reader, matcher):
    shot = s.shoot(s.dialog_for(matcher.catalog.get("accounts:103")), "dark", s.fonts()[0])
    reading, result = read_and_match(reader, matcher, shot)
    assert result.confident and result.best.entry.id == "accounts:103"
    line = deciding_line(reading.text, "accounts:103", matcher.match)
    assert "firewall" in line.lower() and "103" in line


def test_the_first_frame_of_an_animated_gif_is_read(reader, matcher):
    first = s.render_dialog(s.dialog_for(matcher.catalog.get("accounts:403")), theme="dark")
    second = s.render_dialog(s.dialog_for(matcher.catalog.get("auth:73")), theme="dark")
    gif = s.Shot("gif", "a.gif", s.animated_gif(first, second), None)
    reading, result = read_and_match(reader, matcher, gif)
    assert result.best.entry.id == "accounts:403"
    assert "auth:73" not in reading.text


def test_a_photo_without_text_gives_no_answer(reader, matcher):
    reading = reader.read_bytes("photo.jpg", s.noise_photo())
    assert reading.problem is None
    assert not matcher.match(reading.text).confident


BAD_FILES = {
    "empty.png": (b"", "empty"),
    "huge.png": (b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES + 1), "MB"),
    "bomb.png": (s.png_bomb(), "pixels"),
    "drawing.svg": (s.SVG, "SVG"),
    "archive.png": (s.zip_bytes(), "zip"),
    "cut.png": (s.encode(s.render_dialog(s.other_apps()[0]))[:900], "damaged"),
    "garbage.jpg": (b"\xff\xd8\xff" + bytes(range(256)) * 8, "damaged"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_refused_with_one_reason(reader, name):
    data, why = BAD_FILES[name]
    reading = reader.read_bytes(name, data)
    assert reading.text == ""
    assert why in reading.problem and "\n" not in reading.problem


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(Exception, match="pixels") as refused:
        decode(s.png_bomb(8000, 8000))  # 64 million pixels: under Pillow's own limit
    assert type(refused.value).__name__ == "Unreadable"


def test_dark_pictures_are_inverted_to_dark_text_on_light():
    dark = decode(s.encode(s.render_dialog(s.other_apps()[1], theme="dark")))
    light = decode(s.encode(s.render_dialog(s.other_apps()[1], theme="light")))
    assert dark.mode == light.mode == "L"
    assert dark.getpixel((5, 40)) > 200 and light.getpixel((5, 40)) > 200


async def test_a_reading_past_its_time_limit_gives_up(reader):
    hurried = Reader(reader.engine, reader.status, time_limit=0.001)
    shot = s.shoot(s.other_apps()[0], "desktop")
    reading = await hurried.read(shot.name, shot.data)
    assert reading.text == "" and "stopped after" in reading.problem
    hurried.close()


async def test_a_reading_leaves_the_event_loop_free(reader):
    shot = s.shoot(s.other_apps()[3], "desktop")
    reading = asyncio.ensure_future(reader.read(shot.name, shot.data))
    turns = 0
    while not reading.done():  # were OCR on the loop, the read would finish in one turn
        turns += 1
        await asyncio.sleep(0)
    assert turns > 10 and "unable to start correctly" in reading.result().text


async def test_readers_in_several_threads_read_alike(reader):
    pair = Reader(reader.engine, reader.status, workers=2)
    shot = s.shoot(s.other_apps()[2], "light")
    readings = await asyncio.gather(*(pair.read(shot.name, shot.data) for _ in range(4)))
    assert len({r.text for r in readings}) == 1 and "Word" in readings[0].text
    pair.close()


def test_without_an_engine_nothing_is_read_and_it_says_why():
    blind = Reader(None, "no eng.traineddata found")
    reading = blind.read_bytes("x.png", s.encode(Image.new("RGB", (10, 10))))
    assert reading.text == "" and "no eng.traineddata" in reading.problem


def test_quote_keeps_the_end_of_a_long_line():
    line = "Spotify was unable to log you in because " * 3 + "(Error code: accounts:103)"
    shown = quote(line)
    assert shown.startswith("… ") and shown.endswith("(Error code: accounts:103)")
    assert len(shown) <= 90
    assert quote("Account disabled.") == "Account disabled."


def test_a_wrapped_code_line_is_quoted_with_the_line_before(matcher):
    text = "Spotify\nA firewall may be blocking Spotify. (Error code:\naccounts:103)\nOK"
    assert deciding_line(text, "accounts:103", matcher.match) == (
        "A firewall may be blocking Spotify. (Error code: accounts:103)"
    )
    assert deciding_line("nothing useful here", "accounts:103", matcher.match) == ""


def test_typed_text_and_readings_are_matched_as_one():
    seen = Seen("it says 103", (Reading("a.png", "A firewall may be blocking Spotify."),))
    assert seen.text == "it says 103\nA firewall may be blocking Spotify."


def test_each_reading_is_one_log_line_with_where_what_and_how_long(caplog):
    where = Where(1, 2, 3)
    with caplog.at_level(logging.INFO, logger="bot.screens_log"):
        ReadingLog().record(
            Reading("a.png", "Account disabled.", 0.25), where, "accounts:403", True
        )
        ReadingLog().record(Reading("b.svg", problem="an SVG drawing"), where, None, False)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "guild=1 channel=2 message=3" in lines[0] and "chars=17" in lines[0]
    assert "entry=accounts:403" in lines[0] and "seconds=0.25" in lines[0]
    assert "problem='an SVG drawing'" in lines[1]
    post = post_text(Reading("a.png", "Account disabled.", 0.25), where, "accounts:403", True)
    assert "https://discord.com/channels/1/2/3" in post and "Account disabled." in post


async def test_a_closed_reader_refuses_politely(reader):
    closing = Reader(reader.engine, reader.status)
    closing.close()
    reading = await closing.read("late.png", s.encode(Image.new("RGB", (10, 10))))
    assert reading.problem == "not read: shutting down"
