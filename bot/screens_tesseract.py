"""The OCR engine behind bot.screens: tesseract through tesserocr, with Debian's language data."""

from __future__ import annotations

import os
import queue
import re
import statistics
import time
from pathlib import Path

from PIL import Image

LANGUAGE = "eng"
# Where Debian (tesseract-ocr-eng), Fedora, Homebrew and source builds put the language data;
# TESSDATA_PREFIX, tesseract's own variable, when set, is the only place looked (as tesseract does).
TESSDATA_GLOBS = (
    "usr/share/tesseract-ocr/*/tessdata",
    "usr/local/share/tesseract-ocr/*/tessdata",
    "usr/share/tessdata",
    "usr/local/share/tessdata",
    "usr/share/tesseract/tessdata",
    "opt/homebrew/share/tessdata",
)
# Screenshots are screen pixels: telling tesseract so spares it a guess (and a stderr line).
SCREEN_DPI = 96
# tesseract reads lines about this tall (pixels) best; a desktop's 13 px text reads better
# enlarged, so smaller text is enlarged, up to MAX_UPSCALE times, before it is read.
LINE_PX = 20
MAX_UPSCALE = 3.0
UPSCALE_MIN = 1.15  # below this, enlarging costs time and gains nothing
# A picture in which the layout finds no line (tiny text) is enlarged to about this size.
SMALL_PIXELS = 1_000_000
# Nor is any picture enlarged past this many pixels: memory and time stay bounded.
ENLARGED_MAX = 8_000_000
INSTALL_HINT = "apt-get install tesseract-ocr-eng (brew install tesseract), or set TESSDATA_PREFIX"


def _version(path: Path) -> tuple[int, ...]:
    """'/usr/share/tesseract-ocr/4.00/tessdata' → (4, 0): the newest data folder first."""
    return tuple(int(n) for n in re.findall(r"\d+", str(path)))


def find_tessdata(language: str = LANGUAGE) -> Path | None:
    """The first folder holding `<language>.traineddata`, or None."""
    found: list[Path] = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:  # tesseract 4+ means the folder itself; 3.x meant its parent
        found += [Path(prefix), Path(prefix) / "tessdata"]
    else:
        for pattern in TESSDATA_GLOBS:
            found += sorted(Path("/").glob(pattern), key=_version, reverse=True)
    return next((p for p in found if (p / f"{language}.traineddata").is_file()), None)


class TesseractEngine:
    """tesseract (bundled in tesserocr's wheel); one API object per thread that reads."""

    name = "tesseract"

    def __init__(self, tessdata: Path, language: str = LANGUAGE) -> None:
        import tesserocr  # optional at import time: load() reports it missing

        self._tesserocr = tesserocr
        self.tessdata = tessdata
        self.language = language
        self.version = tesserocr.tesseract_version().split()[1]
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._idle.put(self._new())  # fails here, at start, not at the first screenshot

    def _new(self):
        api = self._tesserocr.PyTessBaseAPI(
            path=str(self.tessdata), lang=self.language, psm=self._tesserocr.PSM.AUTO
        )
        if self.language not in api.GetLoadedLanguages():
            api.End()
            raise RuntimeError(f"tesseract could not load {self.language} from {self.tessdata}")
        api.SetVariable("debug_file", os.devnull)  # its warnings would bypass the log
        return api

    def read(self, image: Image.Image, *, timeout: float) -> str:
        """Recognise a grey, dark-on-light picture; tesseract gives up after `timeout` s."""
        try:
            api = self._idle.get_nowait()
        except queue.Empty:
            api = self._new()  # as many as threads read at once (the caller bounds that)
        try:
            deadline = time.monotonic() + timeout
            api.SetImage(image)
            api.SetSourceResolution(SCREEN_DPI)
            factor = self._upscale(api, image)
            if factor > 1:
                size = (round(image.width * factor), round(image.height * factor))
                api.SetImage(image.resize(size, Image.Resampling.LANCZOS))
                api.SetSourceResolution(round(SCREEN_DPI * factor))
            left = deadline - time.monotonic()
            if left <= 0 or not api.Recognize(timeout=max(1, int(left * 1000))):
                raise TimeoutError(f"OCR stopped after {timeout:g} s")
            return api.GetUTF8Text()
        finally:
            api.Clear()
            self._idle.put(api)

    def _upscale(self, api, image: Image.Image) -> float:
        """How much to enlarge: from the median height of the lines the layout finds."""
        page = api.AnalyseLayout()
        heights = []
        if page is not None:
            level = self._tesserocr.RIL.TEXTLINE
            for line in self._tesserocr.iterate_level(page, level):
                box = line.BoundingBox(level)
                if box is not None:
                    heights.append(box[3] - box[1])
        if heights:
            factor = LINE_PX / statistics.median(heights)
        else:
            factor = (SMALL_PIXELS / (image.width * image.height)) ** 0.5
        factor = min(MAX_UPSCALE, factor, (ENLARGED_MAX / (image.width * image.height)) ** 0.5)
        return factor if factor >= UPSCALE_MIN else 1.0


def load(language: str = LANGUAGE) -> tuple[TesseractEngine | None, str]:
    """The engine and what it is, or None and why screenshots cannot be read here."""
    try:
        import tesserocr  # noqa: F401
    except ImportError as exc:
        return None, f"tesserocr is not installed ({exc}): pip install tesserocr"
    tessdata = find_tessdata(language)
    if tessdata is None:
        return None, f"no {language}.traineddata found ({INSTALL_HINT})"
    try:
        engine = TesseractEngine(tessdata, language)
    except (RuntimeError, OSError) as exc:
        return None, f"tesseract does not start: {exc} ({INSTALL_HINT})"
    return engine, f"tesseract {engine.version} with {language} from {tessdata}"
