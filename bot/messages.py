"""The catalog's displayed messages in OCR skeleton form, and the words that find them."""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.catalog import Entry
from bot.text import clean, fold, skeleton_text, terms

# Shorter messages (in skeleton characters) are too plain to recognise in a paste.
MIN_FRAGMENT = 12
# A word no message has may be one retyped with a typo ("sesion"): it also finds messages
# with a word this similar (0-100), for this many such words of a paste at most.
TYPO_SIMILARITY = 80
TYPO_MIN_LENGTH = 5
TYPO_WORDS = 4
_CODE_SUFFIX = re.compile(r"\s*\((?:error )?code[^)]*\)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Message:
    """A displayed message of an entry."""

    entry: int
    text: str  # skeleton form
    shown: str
    program: str = ""  # another program that prints it (clients.yaml); "" for Spotify's own


class MessageIndex:
    """Every entry's displayed messages, found by the words they share with a paste."""

    def __init__(self, entries: list[Entry]) -> None:
        self.messages: list[Message] = []
        self._by_term: dict[str, list[int]] = defaultdict(list)
        for idx, entry in enumerate(entries):
            for program, shown in [("", m) for m in entry.messages] + list(entry.clients):
                core = _CODE_SUFFIX.sub("", shown).strip()  # as shown, without a code suffix
                skel = skeleton_text(fold(clean(core)[0]))
                if len(skel) < MIN_FRAGMENT:
                    continue
                for term in set(terms(fold(core))):
                    self._by_term[term].append(len(self.messages))
                self.messages.append(Message(idx, skel, core, program))
        self._vocabulary = list(self._by_term)
        self._sorted = sorted(range(len(self.messages)), key=lambda mid: self.messages[mid].text)
        self._texts = [self.messages[mid].text for mid in self._sorted]

    def opening(self, message: Message) -> list[Message]:
        """Other entries' longer messages that open with this one: the same words on screen.

        "Spotify can't play this right now." is also how two longer dialogs begin, so whoever
        quotes it may be looking at any of them.
        """
        start = bisect.bisect_right(self._texts, message.text)
        found = []
        for pos in range(start, len(self._texts)):
            if not self._texts[pos].startswith(message.text):
                break
            longer = self.messages[self._sorted[pos]]
            if longer.entry != message.entry:
                found.append(longer)
        return found

    def candidates(self, folded: str, limit: int) -> list[Message]:
        """The messages sharing the most terms with the text, most first."""
        votes: dict[int, int] = defaultdict(int)
        unknown = []
        # In paste order, not a set's: which words get the typo look-up, and how ties
        # rank, must not change from one run to the next.
        for term in dict.fromkeys(terms(folded)):
            found = self._by_term.get(term)
            if found is None and len(term) >= TYPO_MIN_LENGTH:
                unknown.append(term)
            for mid in found or ():
                votes[mid] += 1
        # Only a candidate: the message must still be similar enough as a whole to count.
        for term in unknown[:TYPO_WORDS]:
            near = process.extractOne(
                term, self._vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_SIMILARITY
            )
            if near is not None:
                for mid in self._by_term[near[0]]:
                    votes[mid] += 1
        best = sorted(votes, key=votes.__getitem__, reverse=True)[:limit]
        return [self.messages[mid] for mid in best]
