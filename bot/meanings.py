"""What an English question means, by static word embeddings: a second opinion on words."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot.catalog import Entry

if TYPE_CHECKING:
    import numpy as np


def available() -> bool:
    """Whether the model's package is installed (an optional part: the README's "Meanings")."""
    return importlib.util.find_spec("wordllama") is not None


@functools.cache
def _model():
    """WordLlama's 256-dimension model from its own package folder; it never downloads."""
    # wordllama calls logging.basicConfig(level=INFO) on import, which would print every
    # library's INFO lines to stderr: the root logger is put back as it was.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        wordllama = importlib.import_module("wordllama")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    folder = Path(wordllama.__file__).parent
    return wordllama.WordLlama.load(cache_dir=folder, disable_download=True)


class Meanings:
    """Every entry's title, messages, causes and keywords as vectors, to compare a text with.

    An entry is as close to a text as the closest of its pieces: one cause that says what the
    person describes is enough, however much else the entry covers. An entry's pieces are
    turned into vectors the first time a question lists it, so a catalog of 10,000 entries
    loads in the time it takes without them plus the model's half second, and keeps only the
    vectors that questions needed.
    """

    def __init__(self, entries: list[Entry]) -> None:
        self._entries = entries
        self._vectors: dict[int, np.ndarray] = {}
        _model()  # loaded at start-up, not by the first question

    def _pieces(self, entries: list[int]) -> None:
        """Turn the pieces of entries not seen before into vectors, in one batch."""
        new = {idx: _texts(self._entries[idx]) for idx in entries if idx not in self._vectors}
        if not new:
            return
        vectors = _model().embed([t for texts in new.values() for t in texts], norm=True)
        start = 0
        for idx, texts in new.items():
            self._vectors[idx] = vectors[start : start + len(texts)]
            start += len(texts)

    def closeness(self, text: str, entries: list[int]) -> dict[int, float]:
        """Cosine (-1..1) of the text to each of these entries' closest piece."""
        if not entries or not text.strip():
            return {}
        self._pieces(entries)
        vector = _model().embed([text], norm=True)[0]
        return {idx: float((self._vectors[idx] @ vector).max()) for idx in entries}


def _texts(entry: Entry) -> list[str]:
    """The pieces of an entry a question is compared with, in English: never empty."""
    return [
        entry.title,
        *entry.messages,
        *entry.causes,
        *entry.keywords,
        *entry.said_in_english,
        *entry.client_texts,
    ]
