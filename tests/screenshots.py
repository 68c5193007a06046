"""Render test screenshots with Pillow: error dialogs, a phone, a desktop, and bad inputs."""

from __future__ import annotations

import io
import random
import re
import struct
import textwrap
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.catalog import Entry
from bot.matcher import Matcher

# Fonts a Debian machine may have (fonts-dejavu-core, fonts-liberation, fonts-noto-core);
# Pillow's own bundled font stands in when none is installed.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
)
BODY_PX = 14  # Spotify's desktop dialogs set their message at about 14 px at 100 % scale
DIALOG_WIDTH = 440
# A code-shaped id ("auth:3", "accounts:53-55") the dialog shows under a message without one.
CODE_ID = re.compile(r"[a-z_]+:-?\d+(?:-\d+)?")


@dataclass(frozen=True, slots=True)
class Theme:
    """A dialog's colours."""

    background: tuple[int, int, int]
    text: tuple[int, int, int]
    title_bar: tuple[int, int, int]
    button: tuple[int, int, int] = (30, 215, 96)  # Spotify green
    button_text: tuple[int, int, int] = (0, 0, 0)


THEMES = {
    "light": Theme((255, 255, 255), (25, 20, 20), (236, 236, 236)),
    "dark": Theme((40, 40, 40), (235, 235, 235), (24, 24, 24)),
}
# Other apps' error dialogs: the bot must not answer any of them with confidence.
OTHER_APPS = (
    (
        "Steam",
        "Could not connect to the Steam network. This error can occur when your internet "
        "connection is down. (Error code: 118)",
    ),
    ("Discord", "Discord failed to update. Check your internet connection and try again."),
    (
        "Microsoft Word",
        "Word experienced an error trying to open the file. Try these "
        "suggestions: check the file permissions for the document or drive.",
    ),
    (
        "Windows",
        "The application was unable to start correctly (0xc000007b). Click OK to "
        "close the application.",
    ),
    (
        "Google Chrome",
        "Aw, Snap! Something went wrong while displaying this webpage. "
        "Error code: STATUS_ACCESS_VIOLATION",
    ),
    (
        "Zoom",
        "Unable to connect. Please check your network connection and try again. (Error code: 5003)",
    ),
    ("iTunes", "The iTunes Store is temporarily unavailable. Please try again later."),
    (
        "System Error",
        "The program can't start because MSVCP140.dll is missing from your "
        "computer. Try reinstalling the program to fix this problem.",
    ),
    (
        "Firefox",
        "Secure Connection Failed. The connection to the server was reset while the "
        "page was loading.",
    ),
    (
        "Netflix",
        "Whoops, something went wrong. There was an unexpected error. Please reload "
        "the page and try again. Error Code: NW-2-5",
    ),
)


@dataclass(frozen=True, slots=True)
class Dialog:
    """What one dialog says: its window title and body lines (before wrapping)."""

    title: str
    body: tuple[str, ...]
    entry_id: str | None = None  # the catalog entry it shows; None for other apps

    @property
    def text(self) -> str:
        return "\n".join((self.title, *self.body, "OK"))


def dialog_for(entry: Entry) -> Dialog:
    """Spotify's dialog for an entry: its first displayed message, and its code if it lacks one."""
    message = entry.messages[0]
    body = [message]
    if CODE_ID.fullmatch(entry.id) and "code" not in message.lower():
        body.append(f"Error code: {entry.id}")
    return Dialog("Spotify", tuple(body), entry.id)


def other_apps() -> list[Dialog]:
    return [Dialog(title, (body,)) for title, body in OTHER_APPS]


@cache
def fonts() -> tuple[str, ...]:
    """The font files present here; an empty name is Pillow's bundled font."""
    return tuple(f for f in FONT_FILES if Path(f).exists()) or ("",)


@cache
def font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(name, px) if name else ImageFont.load_default(px)


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to a width in pixels."""
    lines: list[str] = []
    for chars in range(90, 10, -2):
        lines = textwrap.wrap(text, chars)
        if all(face.getlength(line) <= width for line in lines):
            break
    return lines


def render_dialog(
    dialog: Dialog, *, font_name: str = "", theme: str = "light", scale: float = 1.0
) -> Image.Image:
    """A desktop error dialog: title bar, wrapped message, an OK button."""
    colours = THEMES[theme]
    fg = colours.text
    px = round(BODY_PX * scale)
    body, small = font(font_name, px), font(font_name, round(12 * scale))
    pad, width = round(24 * scale), round(DIALOG_WIDTH * scale)
    lines = [w for part in dialog.body for w in _wrap(part, body, width - 2 * pad)]
    line_h, bar_h, button_h = round(px * 1.45), round(30 * scale), round(32 * scale)
    height = bar_h + 2 * pad + len(lines) * line_h + button_h + pad
    im = Image.new("RGB", (width, height), colours.background)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, width, bar_h), fill=colours.title_bar)
    draw.text((pad // 2, bar_h // 2), dialog.title, font=small, fill=fg, anchor="lm")
    draw.text((width - pad, bar_h // 2), "×", font=small, fill=fg, anchor="mm")
    y = bar_h + pad
    for line in lines:
        draw.text((pad, y), line, font=body, fill=fg)
        y += line_h
    y += pad // 2
    box = (width - pad - round(80 * scale), y, width - pad, y + button_h)
    draw.rounded_rectangle(box, radius=button_h // 2, fill=colours.button)
    centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
    draw.text(centre, "OK", font=body, fill=colours.button_text, anchor="mm")
    return im


def render_phone(dialog: Dialog, *, font_name: str = "", theme: str = "dark") -> Image.Image:
    """A phone screenshot (720×1560): status bar, app chrome, the dialog as a centred card."""
    fg, bar = THEMES[theme].text, THEMES[theme].title_bar
    im = Image.new("RGB", (720, 1560), bar)
    draw = ImageDraw.Draw(im)
    status = font(font_name, 26)
    draw.text((36, 30), "9:41", font=status, fill=fg, anchor="lm")
    draw.text((684, 30), "5G  87%", font=status, fill=fg, anchor="rm")
    draw.text((36, 120), "Good evening", font=font(font_name, 40), fill=fg)
    for n, label in enumerate(("Home", "Search", "Your Library", "Premium")):
        draw.text((90 + n * 180, 1500), label, font=font(font_name, 20), fill=fg, anchor="mm")
    card = render_dialog(dialog, font_name=font_name, theme=theme, scale=1.45)
    im.paste(card, ((720 - card.width) // 2, (1560 - card.height) // 2))
    return im


def render_desktop(dialog: Dialog, *, font_name: str = "", theme: str = "light") -> Image.Image:
    """A 1920×1080 desktop: wallpaper, taskbar, a text window, the dialog small in a corner."""
    im = Image.linear_gradient("L").resize((1920, 1080)).convert("RGB")
    im = Image.merge(
        "RGB",
        (im.getchannel(0), im.getchannel(0).point(lambda v: v // 2), Image.new("L", im.size, 90)),
    )
    draw = ImageDraw.Draw(im)
    ui = font(font_name, 13)
    draw.rectangle((0, 1032, 1920, 1080), fill=(30, 30, 36))
    draw.text((16, 1056), "Start", font=ui, fill=(240, 240, 240), anchor="lm")
    draw.text((1900, 1056), "14:32  06/12/2026", font=ui, fill=(240, 240, 240), anchor="rm")
    draw.rectangle((60, 40, 1100, 900), fill=(250, 250, 250))
    draw.rectangle((60, 40, 1100, 72), fill=(220, 220, 225))
    draw.text((72, 56), "notes.txt - Editor", font=ui, fill=(0, 0, 0), anchor="lm")
    for n, line in enumerate(_NOTES * 3):
        draw.text((80, 90 + 22 * n), line, font=ui, fill=(20, 20, 20))
    card = render_dialog(dialog, font_name=font_name, theme=theme)
    im.paste(card, (1920 - card.width - 24, 1032 - card.height - 24))
    return im


_NOTES = (
    "Shopping: milk, eggs, bread, coffee beans, two lemons",
    "Call the landlord about the heating on Tuesday morning",
    "Book club: finish chapters nine to twelve before Friday",
    "Bike: new inner tube, check the brakes and the chain",
    "Ideas for the garden: tomatoes, basil, a small apple tree",
)


def encode(im: Image.Image, fmt: str = "PNG", **options) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def animated_gif(first: Image.Image, *more: Image.Image) -> bytes:
    """An animation of the given pictures (a grey frame after the first when none given)."""
    frames = [m.resize(first.size) for m in more] or [Image.new("RGB", first.size, "grey")]
    return encode(first, "GIF", save_all=True, append_images=frames, duration=200, loop=0)


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of that size that compresses to a few tens of kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    parts = [packer.compress(row * 500) for _ in range(height // 500)]
    idat = b"".join(parts) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("error.png", b"not really")
    return out.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>Error</text></svg>'


def noise_photo(size: tuple[int, int] = (640, 480), seed: int = 7) -> bytes:
    """A photo-like picture with no text: a gradient under random noise, as a JPEG."""
    rng = random.Random(seed)
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    gradient = Image.linear_gradient("L").resize(size)
    im = Image.merge("RGB", (Image.blend(gradient, noise, 0.4), noise, gradient))
    return encode(im, "JPEG", quality=80)


@dataclass(frozen=True, slots=True)
class Shot:
    """One rendered screenshot file: its kind, name, bytes and the entry it shows (or None)."""

    kind: str
    name: str
    data: bytes
    entry_id: str | None


# The kinds of screenshot scored; each renders a dialog with a given font.
KINDS = ("light", "dark", "small", "large", "jpeg40", "webp", "phone", "desktop")


def shoot(dialog: Dialog, kind: str, font_name: str = "") -> Shot:
    """Render a dialog as one kind of screenshot file."""
    fmt, options = "PNG", {}
    if kind in ("light", "dark"):
        im = render_dialog(dialog, font_name=font_name, theme=kind)
    elif kind == "small":  # a 0.75× display scale
        im = render_dialog(dialog, font_name=font_name, theme="light", scale=0.75)
    elif kind == "large":  # a 2× (HiDPI) display
        im = render_dialog(dialog, font_name=font_name, theme="dark", scale=2.0)
    elif kind == "jpeg40":
        im = render_dialog(dialog, font_name=font_name, theme="dark")
        fmt, options = "JPEG", {"quality": 40}
    elif kind == "webp":
        im = render_dialog(dialog, font_name=font_name, theme="light")
        fmt, options = "WEBP", {"quality": 80}
    elif kind == "phone":
        im = render_phone(dialog, font_name=font_name)
    elif kind == "desktop":
        im = render_desktop(dialog, font_name=font_name)
    else:
        raise ValueError(f"no such kind {kind!r}")
    suffix = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}[fmt]
    name = f"{(dialog.entry_id or dialog.title).replace(':', '-')}-{kind}.{suffix}"
    return Shot(kind, name, encode(im, fmt, **options), dialog.entry_id)


def identifiable(matcher: Matcher) -> list[Entry]:
    """Entries whose dialog, typed out, names them: the ones a screenshot can name too."""
    return [
        e
        for e in matcher.entries
        if e.messages and (best := matcher.match(dialog_for(e).text).best) and best.entry is e
    ]


def positives(shown: list[Entry], per_kind: int, start: int = 0) -> list[Shot]:
    """`per_kind` Spotify dialogs of every kind, entries and fonts taken in turn from `start`."""
    faces = fonts()
    out = []
    for k, kind in enumerate(KINDS):
        for n in range(per_kind):
            i = start + k * per_kind + n
            out.append(shoot(dialog_for(shown[i % len(shown)]), kind, faces[i % len(faces)]))
    return out


def negatives(kinds: tuple[str, ...] = ("light", "dark", "phone")) -> list[Shot]:
    """Other apps' error dialogs, each as one of `kinds` in turn."""
    faces = fonts()
    return [
        shoot(d, kinds[i % len(kinds)], faces[i % len(faces)]) for i, d in enumerate(other_apps())
    ]
