"""Weighted word index over every field of the catalog, for questions in people's own words."""

from __future__ import annotations

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
# Above this share of all entries a term says nothing about which one is meant.
MAX_DF_SHARE = 0.25


def _grams(words: list[str]) -> list[str]:
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class TextIndex:
    """Maps terms and word pairs to entries with a field-weighted, saturated weight."""

    def __init__(self, entries: list[Entry]) -> None:
        raw: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for idx, entry in enumerate(entries):
            for fld, weight in FIELD_WEIGHTS.items():
                value = getattr(entry, fld)
                for text in (value,) if isinstance(value, str) else value:
                    for gram in _grams(terms(fold(text))):
                        raw[gram][idx] += weight
        n = max(len(entries), 1)
        self.max_idf = math.log(1 + n)
        self.idf: dict[str, float] = {}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        limit = max(8, int(n * MAX_DF_SHARE))
        for gram, docs in raw.items():
            if len(docs) > limit:
                continue
            self.idf[gram] = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            self.postings[gram] = [(i, w / (w + 1.0)) for i, w in docs.items()]

    def search(self, folded: str) -> tuple[dict[int, float], dict[int, list[str]]]:
        """Score in 0..1 per entry (share of the query's weight it explains) and the words."""
        words = list(dict.fromkeys(terms(folded)))
        if not words:
            return {}, {}
        total = sum(self.idf.get(w, self.max_idf) for w in words)
        scores: dict[int, float] = defaultdict(float)
        why: dict[int, list[str]] = defaultdict(list)
        pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        for gram, share in [(w, 1.0) for w in words] + [(p, BIGRAM_SHARE) for p in pairs]:
            postings = self.postings.get(gram)
            if postings is None:
                continue
            idf = self.idf[gram] * share
            for idx, sat in postings:
                scores[idx] += idf * sat
                if share == 1.0:
                    why[idx].append(gram)
        return {i: min(1.0, s / total) for i, s in scores.items()}, why
