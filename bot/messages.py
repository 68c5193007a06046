"""The catalog's displayed messages in OCR skeleton form, and the words that find them."""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.catalog import Entry
from bot.text import STOPWORDS, clean, fold, skeleton_text, terms

# Shorter messages (in skeleton characters) are too plain to recognise in a paste.
MIN_FRAGMENT = 12
# A word no message has may be one retyped with a typo ("sesion"): it also finds messages
# with a word this similar (0-100), for this many such words of a paste at most.
TYPO_SIMILARITY = 80
TYPO_MIN_LENGTH = 5
TYPO_WORDS = 4
# A message counts when this similar (0-100) over at least MIN_FRAGMENT characters.
MESSAGE_MIN = 86
# A message this short (characters) reads as other words after two edits ("not connecting"
# is not "No connection"): its telling words must match at this similarity, one edit's worth
# ("account is disabled" is still "Account disabled").
SHORT_MESSAGE, SHORT_MESSAGE_MIN = 20, 92
# Enough of a message to answer unasked: most of it, or a long distinctive piece.
CONFIDENT_COVERAGE = 0.8
CONFIDENT_FRAGMENT = (24, 4)  # characters, words
# Below this a "match" can be a shared opening ("Spotify can't play this …"), not the message.
CONFIDENT_SIMILARITY = 93
MESSAGE_CANDIDATES = 12  # messages compared in full: those sharing the most words with it
_CODE_SUFFIX = re.compile(r"\s*\((?:error )?code[^)]*\)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Message:
    """A displayed message of an entry."""

    entry: int
    text: str  # skeleton form
    shown: str
    program: str = ""  # another program that prints it (clients.yaml); "" for Spotify's own


@dataclass(frozen=True, slots=True)
class Quoted:
    """An entry's message found in a text: how alike (0-100), enough to answer on, as shown."""

    score: float
    sure: bool
    shown: str


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

    def quoted(self, folded: str) -> dict[int, Quoted]:
        """Per entry, its message that the text quotes best, if any is close enough."""
        qskel = skeleton_text(folded)
        if len(qskel) < MIN_FRAGMENT:
            return {}
        # Window chrome ("Spotify", "OK", "Error") is not what the person is asking about.
        content = len(_telling(qskel))
        best: dict[int, Quoted] = {}
        direct: dict[int, str] = {}  # entry: its message that the text quotes in full
        for msg in self.candidates(folded, MESSAGE_CANDIDATES):
            if len(msg.text) <= len(qskel):
                score, frag, covered = _whole_words_ratio(msg.text, qskel), len(msg.text), 1.0
            else:
                score, frag = fuzz.partial_ratio(qskel, msg.text), len(qskel)
                covered = frag / len(msg.text)
            if score < MESSAGE_MIN or frag < MIN_FRAGMENT:
                continue
            short = frag < CONFIDENT_FRAGMENT[0] and frag < 0.6 * content
            # Another program's wording lists its entries, and never answers alone.
            sure = (
                not msg.program
                and score >= CONFIDENT_SIMILARITY
                and (
                    (covered >= CONFIDENT_COVERAGE and not short)
                    or (
                        frag >= CONFIDENT_FRAGMENT[0]
                        and qskel.count(" ") + 1 >= CONFIDENT_FRAGMENT[1]
                    )
                )
            )
            quoted = f'"{msg.shown}"' + (f" ({msg.program})" if msg.program else "")
            for seen in (msg, *self.opening(msg)):
                if seen.entry not in best or best[seen.entry].score < score:
                    best[seen.entry] = Quoted(score, sure, quoted)
                    direct[seen.entry] = seen.text if seen is msg and covered == 1.0 else ""
        # A message inside a longer one the text also quotes is only part of what it says:
        # "No connection" in "No connection could be made because the target machine …".
        for entry, text in direct.items():
            if text and any(text in other and text != other for other in direct.values()):
                del best[entry]
        return best


def _whole_words_ratio(message: str, text: str) -> float:
    """How well the message matches the words of the text where it fits best (0-100).

    The best window is widened to whole words, so a short message is not found inside
    longer different words ("No connection" in "No internet connection").
    """
    found = fuzz.partial_ratio_alignment(message, text)
    start = text.rfind(" ", 0, found.dest_start) + 1
    end = text.find(" ", max(found.dest_end - 1, start))
    window = text[start : len(text) if end < 0 else end]
    short = len(message) <= SHORT_MESSAGE
    if short and fuzz.ratio(_telling(message), _telling(window)) < SHORT_MESSAGE_MIN:
        return 0.0  # other words, not the message
    return fuzz.ratio(message, window)


def _telling(text: str) -> str:
    """The words of a text that are not stopwords."""
    return " ".join(w for w in text.split() if w not in STOPWORDS)
