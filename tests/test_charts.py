"""The moderators' chart: one bar per step and "none worked", in Discord's dark colours."""

from __future__ import annotations

import io

from PIL import Image

from bot.charts import BACKGROUND, BAR, BEST, NONE_WORKED, step_chart


def _bar_length(image: Image.Image, colour: tuple[int, int, int]) -> list[int]:
    """For each pixel row, how many pixels of that colour: a bar's length per row."""
    width, height = image.size
    pixels = image.load()
    return [sum(pixels[x, y] == colour for x in range(width)) for y in range(height)]


def test_the_chart_is_a_dark_png_with_bars_as_long_as_their_votes(matcher):
    entry = next(e for e in matcher.entries if len(e.steps) >= 3)
    png = step_chart(entry, {1: 2, 2: 8, None: 4}, best_step=2)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert png.startswith(b"\x89PNG") and image.getpixel((1, 1)) == BACKGROUND
    best = max(_bar_length(image, BEST))
    other = max(_bar_length(image, BAR))
    none = max(_bar_length(image, NONE_WORKED))
    # 8 votes draw the longest bar; 4 and 2 draw a half and a quarter of it
    assert best > none > other > 0
    assert abs(none / best - 0.5) < 0.05 and abs(other / best - 0.25) < 0.05


def test_a_chart_without_votes_still_draws_every_label(matcher):
    entry = matcher.entries[0]
    image = Image.open(io.BytesIO(step_chart(entry, {}))).convert("RGB")
    assert image.height > 40 * (len(entry.steps) // 2)
    assert max(_bar_length(image, BAR)) == 0
