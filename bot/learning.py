"""What the votes and the moderators teach: the most reported fix, and learned phrases."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import yaml

from bot.text import clean, fold, terms

# "Most reported fix" needs this many votes on an entry before it says anything: three
# clicks on one step are an anecdote, not evidence.
MIN_VOTES = 5
# ... and a 95 % Wilson lower bound of at least this share of the voters for its step, so a
# step that helped 12 of 15 is shown (bound 0.55) and 3 of 8 is not (0.14).
WILSON_Z = 1.96
MIN_LOWER_BOUND = 0.3
# Different people who picked the same entry for the same question before it is learned.
PICKS_TO_LEARN = 3
# ... or when the question and the phrase share this much of the lighter one's word weight
# (a rephrasing); measured on our paraphrases of linked questions (0.4 and 0.6 find fewer).
NEAR_SHARE = 0.5
NEAR_WORDS = 3  # ... sharing at least this many words
NEAR_CANDIDATES = 20  # phrases compared per question, found by their rarest shared word
# A phrase of one word ("login") is in too many questions to be present "in full".
FULL_WORDS = 2


@dataclass(frozen=True, slots=True)
class Highlight:
    """The step most reported to work, with its count among all votes on the entry."""

    step: int
    worked: int
    votes: int

    def line(self) -> str:
        return f"✅ Most reported fix: step {self.step} — worked for {self.worked} of {self.votes}"


def wilson_lower_bound(successes: int, trials: int, z: float = WILSON_Z) -> float:
    """The lower end of the Wilson score interval of successes/trials (0 with no trials)."""
    if trials <= 0:
        return 0.0
    p = successes / trials
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (p + z * z / (2 * trials) - spread) / (1 + z * z / trials)


def most_reported_fix(votes: dict[int | None, int], steps: int) -> Highlight | None:
    """The step with the best lower bound, once there is enough evidence; None otherwise.

    "None of these worked" counts among the votes, so a step that seldom helps is not shown.
    """
    total = sum(votes.values())
    if total < MIN_VOTES:
        return None
    candidates = [(s, n) for s, n in votes.items() if s is not None and 1 <= s <= steps and n]
    if not candidates:
        return None
    step, worked = max(candidates, key=lambda sn: (wilson_lower_bound(sn[1], total), -sn[0]))
    if wilson_lower_bound(worked, total) < MIN_LOWER_BOUND:
        return None
    return Highlight(step, worked, total)


@dataclass(frozen=True, slots=True)
class Learned:
    """A question linked to an entry in one server, by a moderator or by users' picks."""

    guild_id: int
    phrase: str
    entry_id: str
    by_moderator: bool


@dataclass(frozen=True, slots=True)
class LearnedHit:
    """A learned phrase that fits a question: in full (all its words, in order) or near."""

    entry_id: str
    phrase: str
    full: bool
    by_moderator: bool

    @property
    def sure(self) -> bool:
        """Only a moderator's phrase present in full may answer unasked."""
        return self.full and self.by_moderator


def phrase_key(text: str) -> str:
    """The searchable words of a phrase, as the matcher reads them."""
    return " ".join(terms(fold(clean(text)[0])))


class LearnedIndex:
    """One server's learned phrases, looked up by their words."""

    def __init__(self, learned: Iterable[Learned]) -> None:
        self.phrases: list[tuple[str, frozenset[str], Learned]] = []
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for item in learned:
            key = phrase_key(item.phrase)
            if not key:
                continue
            words = frozenset(key.split())
            for word in words:
                self.by_word[word].append(len(self.phrases))
            self.phrases.append((key, words, item))

    def __len__(self) -> int:
        return len(self.phrases)

    def lookup(
        self, folded_terms: list[str], weight: Callable[[str], float] = lambda _: 1.0
    ) -> list[LearnedHit]:
        """Learned phrases that fit the question's terms, full matches first.

        `weight` tells how much a word says (the catalog's idf): a phrase is near when it and
        the question share most of the lighter one's weight, so a rephrasing still finds it.
        """
        words = set(folded_terms)
        if not words or not self.phrases:
            return []
        # The rarest shared words find the candidates, so 10,000 phrases cost a few lookups.
        rare = sorted((w for w in words if w in self.by_word), key=lambda w: len(self.by_word[w]))
        seen: dict[int, None] = {}
        for word in rare:
            seen.update(dict.fromkeys(self.by_word[word]))
            if len(seen) >= NEAR_CANDIDATES:
                break
        padded = f" {' '.join(folded_terms)} "
        asked = sum(map(weight, words))
        hits = []
        for idx in list(seen)[:NEAR_CANDIDATES]:
            key, phrase, item = self.phrases[idx]
            shared = phrase & words
            full = len(phrase) >= FULL_WORDS and len(shared) == len(phrase) and f" {key} " in padded
            if full or (
                len(shared) >= NEAR_WORDS
                # a short question inside a long report, or a long question around a phrase
                and sum(map(weight, shared)) >= NEAR_SHARE * min(sum(map(weight, phrase)), asked)
            ):
                hits.append(LearnedHit(item.entry_id, item.phrase, full, item.by_moderator))
        return sorted(hits, key=lambda h: (not h.sure, not h.full))


def learned_yaml(learned: Iterable[Learned]) -> str:
    """Learned phrases as catalog entries' `keywords` lists, for a maintainer to fold in."""
    by_entry: dict[str, list[str]] = defaultdict(list)
    for item in learned:
        phrase = " ".join(item.phrase.split())
        if phrase and phrase not in by_entry[item.entry_id]:
            by_entry[item.entry_id].append(phrase)
    data = [
        {"id": entry_id, "keywords": sorted(by_entry[entry_id])} for entry_id in sorted(by_entry)
    ]
    header = "# Learned phrases in the catalog's keywords format: add each list to its entry.\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
