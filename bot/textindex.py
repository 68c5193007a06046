"""Weighted word index over every field of the catalog, for questions in people's own words."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple

from bot.catalog import Entry
from bot.text import fold, terms

# How much a word counts by the field it stands in, in tenths: what people say (keywords),
# what the dialog says (messages) and the title name the error; steps and notes only describe it.
FIELD_WEIGHTS = {
    "keywords": 30,
    "said": 30,
    "title": 20,
    "messages": 20,
    "client_texts": 20,
    "codes": 20,
    "causes": 10,
    "categories": 5,
    "cause_chain": 5,
    "steps": 5,
    "note": 3,
}
BIGRAM_SHARE = 0.5
# Word pairs are indexed only where phrases carry meaning; in long prose they only add bulk.
BIGRAM_FIELDS = frozenset({"keywords", "said", "title", "messages", "client_texts", "codes"})
# Above this share of all entries a term says nothing about which one is meant. (0.25 until
# catalog/words spread topic words such as "login" and "blockieren" over a third of them.)
MAX_DF_SHARE = 0.5
MAX_DF = 400
QUERY_WORDS = 5
# A keyword of this many terms said in full is what people say for that error, not a chance
# meeting of its words: it explains the question as fully as words can (and a shorter one
# when it is a whole line: a title). Four terms found one case fewer on two sets.
PHRASE_TERMS = 3

Postings = dict[str, list[int]]


class Phrase(NamedTuple):
    """A keyword's terms and the entry it belongs to."""

    words: tuple[str, ...]
    entry: int


def _pairs(words: list[str]) -> list[str]:
    return list(map(" ".join, itertools.pairwise(words)))


def _fields(entry: Entry) -> Iterator[tuple[int, list[str]]]:
    """Each field's weight and its terms, with word pairs where phrases carry meaning."""
    for fld, weight in FIELD_WEIGHTS.items():
        value = getattr(entry, fld)
        if fld in BIGRAM_FIELDS:
            grams = []
            for text in (value,) if isinstance(value, str) else value:
                words = terms(fold(text))
                grams += words
                grams += _pairs(words)
        else:  # prose: one pass over the whole field
            grams = terms(fold(value if isinstance(value, str) else " ".join(value)))
        yield weight, grams


def add_postings(found: Postings, entries: list[Entry], start: int) -> None:
    """Append each gram's flat postings, entry, weight, entry, weight..., from entry `start` on.

    Flat, not tuples: a 10,000-entry catalog has over a million postings, and a tuple each
    tripled the time to build them.
    """
    get = found.get
    for idx, entry in enumerate(entries, start):
        for weight, grams in _fields(entry):
            pair = (idx, weight)
            for gram in grams:
                # A gram in several places of one entry counts the sum of their weights;
                # entries come in order, so this entry's pair, if any, is the last one.
                postings = get(gram)
                if postings is None:  # most word pairs: one allocation, not an empty list grown
                    found[gram] = [idx, weight]
                elif postings[-2] == idx:
                    postings[-1] += weight
                else:
                    postings += pair


class TextIndex:
    """Maps terms and word pairs to entries with a field-weighted, saturated weight."""

    def __init__(self, entries: list[Entry]) -> None:
        self.postings: Postings = {}
        add_postings(self.postings, entries, 0)
        self.n = max(len(entries), 1)
        self.max_idf = math.log(1 + self.n)
        # A commoner term picks no entry (too many hold it); its idf still counts.
        self.limit = max(16, min(int(self.n * MAX_DF_SHARE), MAX_DF))
        # Keywords of two terms or more by their first word pair, to find them said in full.
        self.phrases: dict[str, list[Phrase]] = defaultdict(list)
        for idx, entry in enumerate(entries):
            for keyword in entry.keywords:
                words = tuple(terms(fold(keyword)))
                if len(words) >= 2:
                    self.phrases[" ".join(words[:2])].append(Phrase(words, idx))

    def keywords_in(self, folded: str) -> set[int]:
        """Entries one of whose keywords the text says in full.

        A long one anywhere; a short one as a whole line, as an issue's title "Account banned".
        """
        found = set()
        for line in folded.split("\n"):
            words = terms(line)
            for start, pair in enumerate(_pairs(words)):
                for phrase in self.phrases.get(pair, ()):
                    size = len(phrase.words)
                    if tuple(words[start : start + size]) == phrase.words and (
                        size >= PHRASE_TERMS or size == len(words)
                    ):
                        found.add(phrase.entry)
        return found

    def _df(self, gram: str) -> int:
        """How many entries hold the gram."""
        return len(self.postings.get(gram, ())) // 2

    def _idf(self, df: int) -> float:
        if df == 0:
            return self.max_idf
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def weight(self, term: str) -> float:
        """How much a term says about which entry is meant (its idf)."""
        return self._idf(self._df(term))

    def search(self, folded: str, hits: dict[int, int] | None = None) -> dict[int, float]:
        """Score in 0..1 per entry: the share of the query's weight that it explains.

        `hits`, when given, gets how many of the query's words each entry has.
        """
        words = list(dict.fromkeys(terms(folded)))
        if not words:
            return {}
        # The share is of the query's weight, but a long story around the problem should not
        # dilute what its few telling words explain: past QUERY_WORDS rare words' worth, no more.
        total = min(sum(self._idf(self._df(w)) for w in words), QUERY_WORDS * self.max_idf)
        scores: dict[int, float] = defaultdict(float)
        for gram, share in [(w, 1.0) for w in words] + [(p, BIGRAM_SHARE) for p in _pairs(words)]:
            df = self._df(gram)
            if not 0 < df <= self.limit:
                continue
            idf = self._idf(df) * share / total
            found = self.postings.get(gram, [])
            for idx, weight in zip(found[::2], found[1::2], strict=True):
                # saturated: w / (w + 1), in tenths
                scores[idx] += idf * weight / (weight + 10.0)
            if hits is not None and share == 1.0:
                for idx in found[::2]:
                    hits[idx] = hits.get(idx, 0) + 1
        return scores

    def holds(self, term: str, idx: int) -> bool:
        """Whether the entry has the term in any field."""
        return idx in self.postings.get(term, [])[::2]

    def words(self, folded: str, idx: int) -> list[str]:
        """The query's terms that this entry has, to say why it matched."""
        return [
            w
            for w in dict.fromkeys(terms(folded))
            if self._df(w) <= self.limit and self.holds(w, idx)
        ]
