"""Text from screenshots: which files are read, their limits, pre-processing, and the reader."""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import aiohttp
import discord
from PIL import Image, ImageOps

if TYPE_CHECKING:
    from bot.matcher import Result

log = logging.getLogger(__name__)

# Discord lets members upload 10 MB; a 4K screen's screenshot as PNG is 2-8 MB.
MAX_BYTES = 10 * 1024 * 1024
# A 6K screen (6016×3384) and a bit: more is a decompression bomb, not a screenshot.
MAX_PIXELS = 25_000_000
# Mean brightness (0-255) below which a picture is a dark theme, inverted to dark-on-light.
DARK_MEAN = 110
READ_SECONDS = 10.0  # per image: past this the engine stops and the image counts as unread
GRACE_SECONDS = 5.0  # decoding and layout come on top; a reader stuck past both is left behind
DOWNLOAD_SECONDS = 10.0  # fetching one attachment from Discord's CDN
# One OCR thread on a 2-core machine leaves a core to the event loop (slash commands).
WORKERS = 1
MAX_WAITING = 64  # screenshots queued for a thread; more are refused as busy, not queued
IMAGES_PER_MESSAGE = 4  # Discord allows 10 files a message; a question shows one or two
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
# Formats by what their files start with, never by a file's name.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
QUOTE_MAX = 90  # characters of the deciding line shown back to the user
LINES_TRIED = 80  # lines of a reading tried as the deciding one (a desktop has many)


class Engine(Protocol):
    """Reads the text of one prepared picture; safe to call from several threads at once."""

    name: str

    def read(self, image: Image.Image, *, timeout: float) -> str:
        """The text, lines separated by newlines; TimeoutError past `timeout` seconds."""
        ...


class Unreadable(Exception):
    """A file that is not read, with a one-line reason."""


def sniff(data: bytes) -> str:
    """The format by magic bytes (PNG, JPEG, WEBP, GIF); Unreadable otherwise."""
    if not data:
        raise Unreadable("the file is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise Unreadable(f"the file is {len(data) / 1e6:.1f} MB; over {MAX_BYTES / 1e6:.0f} MB")
    for magic, fmt in SIGNATURES:
        if data.startswith(magic):
            return fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    head = data[:512].lower()
    what = (
        "an SVG drawing"
        if b"<svg" in head
        else "a zip archive"
        if data.startswith(b"PK\x03\x04")
        else "no picture format that is read"
    )
    raise Unreadable(f"{what}: only PNG, JPEG, WebP and GIF are read")


def decode(data: bytes) -> Image.Image:
    """The first frame, upright, flattened on white, grey and dark-on-light."""
    fmt = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[fmt])  # reads the header only
            width, height = im.size
            if width * height > MAX_PIXELS:
                limit = f"over {MAX_PIXELS / 1e6:.0f} million"
                raise Unreadable(f"{width:,}×{height:,} pixels; {limit}")
            im.seek(0)  # an animation: its first frame
            im.load()
            return prepare(im)
    except Unreadable:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Unreadable(f"too many pixels: over {MAX_PIXELS / 1e6:.0f} million") from None
    except Exception as exc:  # Pillow raises many kinds on damaged data
        raise Unreadable(f"the {fmt} file is damaged: {_short(exc)}") from None


def prepare(im: Image.Image) -> Image.Image:
    """Upright, flattened on white, grey, and dark text on light (the engine enlarges)."""
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA", "P") and (im.mode != "P" or "transparency" in im.info):
        im = Image.alpha_composite(Image.new("RGBA", im.size, "white"), im.convert("RGBA"))
    gray = im.convert("L")
    histogram = gray.histogram()
    mean = sum(i * n for i, n in enumerate(histogram)) / max(1, gray.width * gray.height)
    return ImageOps.invert(gray) if mean < DARK_MEAN else gray


def _short(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:120]


@dataclass(frozen=True, slots=True)
class Reading:
    """What one image gave: its text, or why it gave none, and the seconds it took."""

    name: str
    text: str = ""
    seconds: float = 0.0
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """A question as the bot saw it: the typed text and what its images gave."""

    typed: str
    readings: tuple[Reading, ...] = ()
    unread: int = 0  # images nothing here can read (no OCR engine)

    @property
    def text(self) -> str:
        """Typed text and every reading, matched as one."""
        return "\n".join(t for t in (self.typed, *(r.text for r in self.readings)) if t.strip())


class Reader:
    """Reads images off the event loop: a few threads, a time limit each, a bounded queue."""

    def __init__(
        self,
        engine: Engine | None,
        status: str,
        *,
        workers: int = WORKERS,
        time_limit: float = READ_SECONDS,
    ) -> None:
        self.engine = engine
        self.status = status  # what reads images here, or why nothing does
        self.time_limit = time_limit
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ocr")
        self._slots = asyncio.Semaphore(workers)
        self._waiting = 0

    @property
    def available(self) -> bool:
        return self.engine is not None

    def read_bytes(self, name: str, data: bytes) -> Reading:
        """Decode and read one file here and now (a worker thread, or the terminal)."""
        started = time.perf_counter()
        try:
            if self.engine is None:
                raise Unreadable(f"no OCR engine: {self.status}")
            text = self.engine.read(decode(data), timeout=self.time_limit)
            problem = None
        except (Unreadable, TimeoutError) as exc:
            text, problem = "", str(exc)
        except Exception as exc:  # the engine's own failure: one line, never a traceback
            text, problem = "", f"OCR failed: {_short(exc)}"
        seconds = time.perf_counter() - started
        return Reading(name, text.strip(), seconds, problem)

    async def read(self, name: str, data: bytes) -> Reading:
        """read_bytes in a worker thread; waits for a free one, refuses when too many wait."""
        if self._waiting >= MAX_WAITING:
            return Reading(name, problem=f"busy: {self._waiting} screenshots are waiting")
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            work = loop.run_in_executor(self._pool, self.read_bytes, name, data)
        except RuntimeError:  # closed: the bot is shutting down
            self._slots.release()
            return Reading(name, problem="not read: shutting down")
        work.add_done_callback(lambda _: self._slots.release())  # a slot per running thread
        try:
            return await asyncio.wait_for(asyncio.shield(work), self.time_limit + GRACE_SECONDS)
        except TimeoutError:
            return Reading(name, seconds=loop.time() - started, problem="OCR did not finish")

    async def see(self, typed: str, attachments: Iterable[discord.Attachment]) -> Seen:
        """Download and read a question's images (the first few), all at once."""
        images = [a for a in attachments if is_image(a)][:IMAGES_PER_MESSAGE]
        if not images:
            return Seen(typed)
        if self.engine is None:
            return Seen(typed, unread=len(images))
        readings = await asyncio.gather(*(self._fetch_and_read(a) for a in images))
        return Seen(typed, tuple(readings))

    async def _fetch_and_read(self, attachment: discord.Attachment) -> Reading:
        name = attachment.filename
        if attachment.size > MAX_BYTES:  # not even downloaded
            return Reading(name, problem=f"the file is {attachment.size / 1e6:.1f} MB; too big")
        try:
            data = await asyncio.wait_for(attachment.read(), DOWNLOAD_SECONDS)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Reading(name, problem=f"download failed: {_short(exc)}")
        return await self.read(name, data)

    def close(self) -> None:
        """Take no more work; a reading in flight finishes in its thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def is_image(attachment: discord.Attachment) -> bool:
    """Looks like a picture by its type or name (the bytes decide later)."""
    kind = attachment.content_type or ""
    return kind.startswith("image/") or attachment.filename.lower().endswith(IMAGE_SUFFIXES)


def deciding_line(text: str, entry_id: str, match: Callable[[str], Result]) -> str:
    """The line of a reading that names the entry best (with the one before, when short)."""

    def score(line: str) -> float:
        best = match(line).best
        return best.score if best is not None and best.entry.id == entry_id else 0.0

    lines = [line.strip() for line in text.splitlines() if line.strip()][:LINES_TRIED]
    scores = [score(line) for line in lines]
    top = max(scores, default=0.0)
    if top > 0:
        i = scores.index(top)
        if i and len(lines[i]) < QUOTE_MAX // 2:  # a wrapped code line: show what leads to it
            joined = f"{lines[i - 1]} {lines[i]}"
            if score(joined) >= top:
                return joined
        return lines[i]
    # No line alone names it: two adjacent lines may (a message wrapped over both).
    pairs = [(score(pair), pair) for pair in (f"{a} {b}" for a, b in itertools.pairwise(lines))]
    best = max(pairs, default=(0.0, ""))
    return best[1] if best[0] > 0 else ""


def quote(line: str, limit: int = QUOTE_MAX) -> str:
    """A line's end, cut at a word from the left: '… (Error code: accounts:103)'."""
    line = " ".join(line.split())
    if len(line) <= limit:
        return line
    tail = line[-(limit - 2) :]
    space = tail.find(" ")
    return "… " + (tail[space + 1 :] if 0 <= space < limit // 2 else tail)


def load_reader() -> Reader:
    """The reader with the default engine, or without one (and why); never raises."""
    from bot import screens_tesseract

    engine, status = screens_tesseract.load()
    return Reader(engine, status)
