"""Whose error it is: a text that names another product or device as the error's owner."""

from __future__ import annotations

from collections.abc import Iterable

from bot.catalog import Entry
from bot.text import STOPWORDS, fold, terms, tokens

# The fields that name Spotify's world: what an error is called, shown and asked about, and
# where it happens. Causes, steps and notes are left out: they name other software as causes
# ("Steam's background services are locking files"), which is not Spotify's own vocabulary.
NAMING_FIELDS = ("title", "codes", "categories", "cause_chain", "platforms", "keywords")
# Words after which the next words say what the error belongs to ("steam error code 18"
# names its owner before the cue, "my printer shows error 4" before the verb).
# The cue words in the languages the catalog speaks, folded as the text is.
ERROR_CUES = frozenset(
    word
    for text in (
        "error errors code exception exceptions fault codigo código erro fehler fehlercode"
        " erreur ошибка ошибки код błąd kod hata kodu"
    ).split()
    for word in tokens(fold(text))
)
REPORT_VERBS = frozenset({"says", "shows", "displays", "gives", "throws", "beeps", "reports"})
# "on my roblox", "in my car": what follows is where the error happened.
PLACE_WORDS = frozenset({"on", "in", "from", "with"})
OWNERS = frozenset({"my", "the", "our"})
# Words that describe an error, not whose it is ("this weird error 17").
DESCRIBING = frozenset(
    """weird strange same new random annoying following another generic unknown odd constant
    repeated mysterious sudden fatal critical dreaded infamous usual old famous different
    and""".split()
)
# The devices Spotify runs on are its world too, though the catalog names few of them.
SPOTIFY_DEVICES = frozenset(
    """iphone ipad ipod tablet samsung pixel galaxy huawei xiaomi oneplus chromebook linux
    ubuntu browser chrome firefox edge safari opera brave tv sonos alexa echo chromecast watch
    car desktop laptop pc mac macbook computer phone mobile""".split()
)
LOOK_BACK = 2  # content words before a cue that may name its owner ("nintendo switch")


class Owners:
    """Tells whether a text names something other than Spotify as its error's owner."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        words = set(terms(" ".join(SPOTIFY_DEVICES)))
        for entry in entries:
            for name in NAMING_FIELDS:
                value = getattr(entry, name)
                for text in (value,) if isinstance(value, str) else value:
                    words.update(terms(fold(text)))
        self.words = frozenset(words)

    def _foreign(self, word: str) -> bool:
        if "spot" in word:  # Spotify's own and its clients: spotifyd, librespot, spotipy
            return False
        found = terms(word)
        return bool(found) and found[0] not in self.words

    def names_other(self, folded: str) -> bool:
        """True when an owner-position word is none of the catalog's naming words.

        A text that says "spotify" anywhere is Spotify's, whatever else it names.
        """
        if "spotify" in folded:
            return False
        words = tokens(folded)
        for i, word in enumerate(words):
            if word in ERROR_CUES or word in REPORT_VERBS:
                if any(map(self._foreign, _subject(words[:i]))):
                    return True
            elif word in PLACE_WORDS and words[i + 1 : i + 2] and words[i + 1] in OWNERS:
                place = [w for w in words[i + 2 : i + 4] if _names(w)]
                if place and all(map(self._foreign, place)):  # "my work laptop" is ours
                    return True
        return False


def _subject(words: list[str]) -> list[str]:
    """The naming words right before a cue or verb: "nintendo switch" in "… switch error"."""
    found: list[str] = []
    for word in reversed(words):
        if word in DESCRIBING or word in REPORT_VERBS:  # "my oven beeps and says"
            continue
        if not _names(word) or len(found) == LOOK_BACK:
            break
        found.append(word)
    return found


def _names(word: str) -> bool:
    """A word that can name a product: not a stopword, a cue, or a two-letter particle."""
    return len(word) > 2 and word not in STOPWORDS and word not in ERROR_CUES
