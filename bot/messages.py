"""The catalog's displayed messages in OCR skeleton form, and the words that find them."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from bot.catalog import Entry
from bot.text import clean, fold, skeleton_text, terms

# Shorter messages (in skeleton characters) are too plain to recognise in a paste.
MIN_FRAGMENT = 12
_CODE_SUFFIX = re.compile(r"\s*\((?:error )?code[^)]*\)", re.IGNORECASE)

# One entry's messages as indexed: (as shown, without a code suffix; skeleton form; terms).
MessageKeys = list[tuple[str, str, list[str]]]


def message_keys(entry: Entry) -> MessageKeys:
    """The entry's displayed messages as the index keeps them."""
    keys = []
    for shown in entry.messages:
        core = _CODE_SUFFIX.sub("", shown).strip()
        skel = skeleton_text(fold(clean(core)[0]))
        if len(skel) >= MIN_FRAGMENT:
            keys.append((core, skel, list(set(terms(fold(core))))))
    return keys


@dataclass(frozen=True, slots=True)
class Message:
    """A displayed message of an entry."""

    entry: int
    text: str  # skeleton form
    shown: str


class MessageIndex:
    """Every entry's displayed messages, found by the words they share with a paste."""

    def __init__(self, entries: list[Entry], keys: list[MessageKeys] | None = None) -> None:
        """`keys`: message_keys of each entry, when other processes worked them out."""
        self.messages: list[Message] = []
        self._by_term: dict[str, list[int]] = defaultdict(list)
        for idx, found in enumerate(keys if keys is not None else map(message_keys, entries)):
            for shown, skel, words in found:
                for term in words:
                    self._by_term[term].append(len(self.messages))
                self.messages.append(Message(idx, skel, shown))

    def candidates(self, folded: str, limit: int) -> list[Message]:
        """The messages sharing the most terms with the text, most first."""
        votes: dict[int, int] = defaultdict(int)
        for term in set(terms(folded)):
            for mid in self._by_term.get(term, ()):
                votes[mid] += 1
        best = sorted(votes, key=votes.__getitem__, reverse=True)[:limit]
        return [self.messages[mid] for mid in best]
