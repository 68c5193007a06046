"""Which entry the codes in a text name, read in their context: owner, dialog, installer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.catalog import Entry
from bot.codes import CodeIndex
from bot.text import fold, terms
from bot.textindex import TextIndex

# Scores (0-100) of code evidence, above any message or words (see bot/matcher.py).
CODE_SURE = 100  # the one entry a code in the text names
CODE_SHARED = 90  # one of the entries a shared code names ("403"): a tie, told apart below
CODE_WEAK = 72  # a code that does not count (beside another product, or narrowed away): listed
NUMBER_ELSEWHERE = 60  # an unknown bare number that another namespace has: listed, never answered
# The reason a service writes after its code ("INVALID_CLIENT: Invalid redirect URI").
_REASON = re.compile(r"\s*:\s*([^\n.:;,(){}\[\]\"']{3,80})")
REASON_WORDS = 4
_NUMBER = re.compile(r"-?\d+$")
# The installer or an installation named, in the ten languages ("installed" is not: "error 17
# since I installed discord" is the firewall's error 17).
_INSTALLER_WORDS = (
    "installer installing installation spotifysetup setup.exe instalador instalacion"
    " instalacao installateur instalator instalacja installationsprogramm yukleyici kurulum"
    " установщик 安装程序 インストーラ"
)
_INSTALLER = re.compile("|".join(rf"(?<!\w){re.escape(fold(w))}" for w in _INSTALLER_WORDS.split()))

Offer = Callable[[int, float, str], None]


@dataclass(frozen=True, slots=True)
class CodeReading:
    """What a text's codes say: the one answer if any, every entry named, any unknown code."""

    pick: int | None
    named: frozenset[int]
    unknown: bool


class CodeReader:
    """Reads the codes of a text with the catalog's code index and word index."""

    def __init__(self, entries: list[Entry], text: TextIndex) -> None:
        self.entries = entries
        self.index = CodeIndex(entries)
        self.text = text
        self._installer = {i for i, e in enumerate(entries) if "installer" in e.categories}

    def read(self, folded: str, foreign: bool, offer: Offer, dialog: list[int]) -> CodeReading:
        """Offer entries named by codes, and say which one answers, if one does.

        `foreign`: another product is named as the error's owner. `dialog`: the entries whose
        displayed message the text quotes.
        """
        hits = self.index.scan(folded, whole_number=len(folded.split()) == 1)

        def counts(hit) -> bool:  # beside another product, only Spotify's own codes count
            return hit.strong and not (foreign and (hit.plain or not hit.specific))

        named: set[int] = set()
        unknown = False
        strong = [h for h in hits if counts(h) and h.entries]
        specific = [h for h in strong if h.specific]
        for hit in specific or strong:
            named.update(hit.entries)
        for hit in hits:  # a name ("PREMIUM_REQUIRED") narrows a number several share ("403")
            narrowed = named.intersection(hit.entries)
            if narrowed and len(narrowed) < len(named):
                named = narrowed
        for hit in hits:
            if not hit.entries and hit.strong:
                unknown = True
            for idx in hit.entries:
                weak = not counts(hit) or idx not in named
                score = CODE_WEAK if weak else CODE_SURE if len(named) == 1 else CODE_SHARED
                offer(idx, score, f"code {hit.text}")
        if not named and unknown:
            # An unknown bare number may still be another namespace's: list, never answer.
            for hit in hits:
                value = _NUMBER.search(hit.text)
                if hit.entries or value is None:
                    continue
                n = int(value[0])
                for idx in self.index.by_number.get(abs(n), ()):
                    offer(idx, NUMBER_ELSEWHERE, f"number {n} (as {self.entries[idx].id})")
        if hits and not specific:  # a bare number: its context may say whose it is
            numbers = {abs(int(n)) for h in hits for n in _NUMBER.findall(h.text)}
            if dialog and not named.intersection(dialog):
                # A bare "error 2" beside another entry's dialog is that dialog's own code 2
                # ("Service is temporarily unavailable … (Error code:2)" is auth:2).
                own = self._numbered(dialog, numbers)
                if own is not None:
                    offer(own, CODE_SURE, f"its message and code {self.entries[own].id}")
                    return CodeReading(own, frozenset({own}), unknown)
            if not named <= self._installer and _INSTALLER.search(folded):
                # The installer numbers its own errors: "the installer says Error code: 17"
                # is not the firewall's 17. Its own code answers; another's is only listed.
                own = self._numbered(self._installer, numbers)
                if own is not None:
                    offer(own, CODE_SURE, f"code {self.entries[own].id}, beside the installer")
                    return CodeReading(own, frozenset({own}), unknown)
                return CodeReading(None, frozenset(named), unknown)
        if len(named) == 1 and not (unknown and not specific):
            pick = next(iter(named))
            if not any(self._described_otherwise(folded, hit.text, pick) for hit in hits):
                return CodeReading(pick, frozenset(named), unknown)
        return CodeReading(None, frozenset(named), unknown)

    def _numbered(self, among, numbers: set[int]) -> int | None:
        """The one entry among these whose code has one of the numbers, if just one has."""
        own = [i for i in among if numbers & self.index.numbers[i]]
        return own[0] if len(own) == 1 else None

    def _described_otherwise(self, folded: str, code: str, idx: int) -> bool:
        """Whether the reason written after "CODE:" is in words the entry never uses.

        "INVALID_CLIENT: Invalid redirect URI" is another error of the same service.
        """
        at = folded.find(code.lower())
        said = _REASON.match(folded, at + len(code)) if at >= 0 else None
        if said is None:
            return False
        words = terms(said[1])[:REASON_WORDS]
        if len(words) < 2:
            return False
        own = sum(self.text.holds(w, idx) for w in words)
        return own * 2 < len(words)
