"""PNG bar charts of fix votes for moderators, drawn with Pillow in Discord's dark colours."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from bot.catalog import Entry

# Discord's dark theme: the chat background, its text, and the brand's blurple, green, red.
BACKGROUND = (49, 51, 56)
TEXT = (219, 222, 225)
MUTED = (148, 155, 164)
BAR = (88, 101, 242)
BEST = (35, 165, 90)
NONE_WORKED = (242, 63, 67)
WIDTH = 720
ROW = 34  # pixels per bar; a 12-step entry stays under 600 px tall
LABEL_WIDTH = 150
MARGIN = 16
FONT_PX = 16
NONE_LABEL = "None worked"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font: the same on every machine, nothing to install."""
    return ImageFont.load_default(size=size)


def step_chart(entry: Entry, votes: dict[int | None, int], best_step: int | None = None) -> bytes:
    """One bar per step and one for "none worked", longest = most votes, as PNG bytes."""
    rows = [
        (f"Step {n}", votes.get(n, 0), BEST if n == best_step else BAR)
        for n in range(1, len(entry.steps) + 1)
    ]
    rows.append((NONE_LABEL, votes.get(None, 0), NONE_WORKED))
    title_font, font = _font(FONT_PX + 2), _font(FONT_PX)
    height = MARGIN * 3 + FONT_PX + 4 + ROW * len(rows)
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    total = sum(votes.values())
    title = f"{entry.id}: {entry.title}".replace("—", "-")  # the bundled font has no dash
    draw.text((MARGIN, MARGIN), title[:70], fill=TEXT, font=title_font)
    draw.text((WIDTH - MARGIN, MARGIN), f"{total} votes", fill=MUTED, font=font, anchor="ra")
    top = max((count for _, count, _ in rows), default=0) or 1
    bar_space = WIDTH - LABEL_WIDTH - MARGIN * 2 - 60
    y = MARGIN * 2 + FONT_PX + 4
    for label, count, colour in rows:
        draw.text((MARGIN, y + ROW // 2), label, fill=TEXT, font=font, anchor="lm")
        length = round(bar_space * count / top)
        x0 = MARGIN + LABEL_WIDTH
        if length:
            draw.rounded_rectangle((x0, y + 6, x0 + length, y + ROW - 6), radius=4, fill=colour)
        draw.text((x0 + length + 8, y + ROW // 2), str(count), fill=MUTED, font=font, anchor="lm")
        y += ROW
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
