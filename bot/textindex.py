"""Weighted word index over every field of the catalog, for questions in people's own words."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

from bot.catalog import Entry
from bot.text import fold, terms

# How much a word counts by the field it stands in: what people say (keywords), what the
# dialog says (messages) and the title name the error; steps and notes only describe it.
FIELD_WEIGHTS = {
    "keywords": 3.0,
    "title": 2.0,
    "messages": 2.0,
    "codes": 2.0,
    "causes": 1.0,
    "categories": 0.5,
    "cause_chain": 0.5,
    "steps": 0.5,
    "note": 0.3,
}
BIGRAM_SHARE = 0.5
# Word pairs are indexed only where phrases carry meaning; in long prose they only add bulk.
BIGRAM_FIELDS = frozenset({"keywords", "title", "messages", "codes"})
# Above this share of all entries a term says nothing about which one is meant.
MAX_DF_SHARE = 0.25
MAX_DF = 400


def _pairs(words: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in itertools.pairwise(words)]


class TextIndex:
    """Maps terms and word pairs to entries with a field-weighted, saturated weight."""

    def __init__(self, entries: list[Entry]) -> None:
        raw: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for idx, entry in enumerate(entries):
            weights: dict[str, float] = {}
            get = weights.get
            for fld, weight in FIELD_WEIGHTS.items():
                value = getattr(entry, fld)
                if fld in BIGRAM_FIELDS:
                    grams = []
                    for text in (value,) if isinstance(value, str) else value:
                        words = terms(fold(text))
                        grams += words + _pairs(words)
                else:  # prose: one pass over the whole field
                    grams = terms(fold(value if isinstance(value, str) else " ".join(value)))
                for gram in grams:
                    weights[gram] = get(gram, 0.0) + weight
            for gram, w in weights.items():
                raw[gram].append((idx, w / (w + 1.0)))
        n = max(len(entries), 1)
        self.max_idf = math.log(1 + n)
        self.idf: dict[str, float] = {}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        limit = max(16, min(int(n * MAX_DF_SHARE), MAX_DF))
        for gram, docs in raw.items():
            self.idf[gram] = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            if len(docs) <= limit:  # a commoner term picks no entry; its idf still counts
                self.postings[gram] = docs

    def search(self, folded: str) -> dict[int, float]:
        """Score in 0..1 per entry: the share of the query's weight that it explains."""
        words = list(dict.fromkeys(terms(folded)))
        if not words:
            return {}
        total = sum(self.idf.get(w, self.max_idf) for w in words)
        scores: dict[int, float] = defaultdict(float)
        for gram, share in [(w, 1.0) for w in words] + [(p, BIGRAM_SHARE) for p in _pairs(words)]:
            postings = self.postings.get(gram)
            if postings is None:
                continue
            idf = self.idf[gram] * share / total
            for idx, sat in postings:
                scores[idx] += idf * sat
        return scores

    def words(self, folded: str, idx: int) -> list[str]:
        """The query's terms that this entry has, to say why it matched."""
        return [
            w
            for w in dict.fromkeys(terms(folded))
            if any(i == idx for i, _ in self.postings.get(w, ()))
        ]
