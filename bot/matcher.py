"""Name the catalog entry behind a paste: codes first, then displayed messages, then words."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.catalog import Catalog, Entry
from bot.code_reading import CODE_SURE, CodeReader
from bot.learning import LearnedIndex
from bot.meanings import Meanings, available
from bot.messages import MessageIndex
from bot.owners import Owners
from bot.text import clean, english, fold, spelled_out, terms
from bot.textindex import TextIndex

log = logging.getLogger(__name__)

# Messages within this many points of the best are the same evidence: a tie, not a guess.
MESSAGE_TIE = 4
# A long story is also read a sentence at a time, so one telling sentence ("I was banned")
# is not drowned by the rest; a sentence's share counts this much (0.6-0.8 measured alike).
SENTENCE_SHARE = 0.7
# A dot inside a word ("open.spotify.com", "1.2.19", "Spotify.exe") ends no sentence.
_SENTENCES = re.compile(r"[.!?;]+(?!\w)|\n+|, but ")
# ... and a long sentence a clause at a time ("…to no avail, my account is banned"), at
# less: a clause is a smaller piece of evidence (0.4 gained nothing, 0.6 lost a language case).
CLAUSE_SHARE = 0.5
SENTENCE_WORDS = 3  # shorter pieces are not sentences ("Hi.", "Thanks!")
# Nor is a question of one telling word ("Is there anything I'm doing wrong?").
SENTENCE_TERMS = 2
TEXT_MIN = 0.25  # share of the query's weight a words-only match must explain to be listed
# A words-only guess below this share is listed for the asker but, in the moderators' reports,
# counts as a question nothing answered: /unmatched keeps what it showed at a 0.3 listing bar.
GUESS_SHARE = 0.3
# Listed on one word of the question only when it is most of what the question says
# ("banned"); "mi coche no arranca" shares "arranca" (start) with a launch error by chance.
GUESS_WORDS = 2
ONE_WORD_SHARE = 0.35
# Scores (0-100) by the kind of evidence, so that a stronger kind outranks a weaker one
# (codes: bot/code_reading.py, 60-100).
# A displayed message scores 90-95 at the 86-100 similarity it needs: with the codes, above words.
MESSAGE_BASE, MESSAGE_SHARE = 60, 0.35
WORDS_MAX = 75  # words alone: below any code or message the text holds
# Learned phrases: a moderator's, present in full, outranks a message; others rank above
# words; beside a code in the text they rank below it.
LEARNED_SURE, LEARNED_RANK, LEARNED_BESIDE_CODE = 97, 80, 70
WORD_RANKED = 25  # entries ranked by words at least, whatever the limit: room for ties
WHY_WORDS = 6  # words named in a words match's reason
# An English question's meaning reorders what its words listed (bot/meanings.py): a listed
# entry's share grows by this much per unit of closeness past the floor. Unrelated English
# texts sit near 0.3; 0.5 and 0.3 measured best on the real sets (1.0 lost two on N).
MEANING_WEIGHT, MEANING_FLOOR = 0.5, 0.3
# A link's scheme and API version say nothing of the error ("https" is not an HTTP status);
# a link is a piece of its own, like a sentence.
_LINK = re.compile(r"\s*\bhttps?://")
_API_VERSION = re.compile(r"/v\d+/")
_SLASH_COMMAND = re.compile(r"^/[\w-]+\s+")


@dataclass(frozen=True, slots=True)
class Match:
    """One candidate entry, its score (0-100) and why it matched."""

    entry: Entry
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Result:
    """The answer to one query, best match first."""

    query: str
    matches: tuple[Match, ...]
    confident: bool
    ambiguous: bool = False
    truncated: bool = False

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def found(self) -> Match | None:
        """The best match, unless it is only a weak guess by words: what the reports count."""
        best = self.best
        if best is None or self.confident or best.score >= WORDS_MAX * GUESS_SHARE:
            return best
        return None

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "confident": self.confident,
            "ambiguous": self.ambiguous,
            "truncated": self.truncated,
            "matches": [
                {
                    "id": m.entry.id,
                    "title": m.entry.title,
                    "score": round(m.score, 1),
                    "reason": m.reason,
                }
                for m in self.matches
            ],
        }


class Matcher:
    """Indexes a catalog once; `match` is cheap and never raises on any text."""

    def __init__(self, catalog: Catalog, meanings: bool = True) -> None:
        """`meanings`: also rank English questions by what they mean, where installed."""
        self.catalog = catalog
        self.entries = catalog.entries
        self._ids = {fold(e.id): i for i, e in enumerate(self.entries)}
        self.messages = MessageIndex(self.entries)
        self.text = TextIndex(self.entries)
        self.codes = CodeReader(self.entries, self.text)
        self.owners = Owners(self.entries)
        self.meanings = Meanings(self.entries) if meanings and available() else None

    def match(self, text: str, limit: int = 5, learned: LearnedIndex | None = None) -> Result:
        """Rank the entries for a paste; `confident` only when the bot would answer unasked.

        `learned` is the asking server's learned phrases, if it has any.
        """
        query, truncated = clean(text if isinstance(text, str) else str(text))
        asked = _SLASH_COMMAND.sub("", query)
        folded = fold(asked)
        if not folded.strip():
            return Result(query, (), False, truncated=truncated)
        exact = self._ids.get(folded.strip())
        if exact is not None:  # an id, as autocomplete fills it in
            return Result(query, (Match(self.entries[exact], CODE_SURE, "id"),), True)
        found: dict[int, tuple[float, str]] = {}

        def offer(idx: int, score: float, reason: str) -> None:
            if idx not in found or found[idx][0] < score:
                found[idx] = (score, reason)

        # Another product named as the error's owner: its messages and numbers are not Spotify's.
        foreign = self.owners.names_other(folded)
        bucket, bucket_sure = self._messages(folded, offer)
        coded = self.codes.read(folded, foreign, offer, bucket)
        taught = self._learned(folded, learned, bool(coded.named), offer) if learned else None
        camel = spelled_out(asked)
        linked = _LINK.sub("\n", fold(camel) if camel != asked else folded)
        spelled = _API_VERSION.sub(" ", linked)
        hits: dict[int, int] = {}
        text_scores = self._words(spelled, hits)
        listed = [
            i
            for i, share in text_scores.items()
            if i in found
            or share >= ONE_WORD_SHARE
            or (share >= TEXT_MIN and hits.get(i, 0) >= GUESS_WORDS)
        ]
        if all(score <= WORDS_MAX for score, _ in found.values()):  # only words to go on
            self._meant(asked, spelled, listed, text_scores)
        ranked_by_words = sorted(listed, key=text_scores.__getitem__, reverse=True)
        for idx in ranked_by_words[: max(limit, WORD_RANKED)]:
            words = ", ".join(self.text.words(spelled, idx)[:WHY_WORDS])
            offer(idx, WORDS_MAX * min(1.0, text_scores[idx]), f"words: {words}")

        confident = False
        ambiguous = False
        if coded.pick is not None:
            confident = True
        elif coded.named:
            ambiguous = len(coded.named) > 1
        elif taught is not None:
            confident = True
        elif len(bucket) == 1:
            confident = bucket_sure and not coded.unknown and not foreign
        elif len(bucket) > 1:
            ambiguous = True

        # Evidence of one strength (a message several entries share, words that top out at
        # WORDS_MAX) is a tie: the entry that more of the text's words describe comes first.
        def order(kv: tuple[int, tuple[float, str]]) -> tuple[float, float, int]:
            return -kv[1][0], -text_scores.get(kv[0], 0.0), kv[0]

        ranked = sorted(found.items(), key=order)
        keep = max(limit, len(bucket) if ambiguous else 0)
        matches = tuple(Match(self.entries[i], s, r) for i, (s, r) in ranked[:keep])
        return Result(query, matches, confident and bool(matches), ambiguous, truncated)

    def _learned(self, folded: str, learned: LearnedIndex, coded: bool, offer) -> int | None:
        """Offer the entries of learned phrases that fit; return a sure one's, if any.

        A code in the text outranks what was learned, and learned phrases then only list.
        """
        sure = None
        for hit in learned.lookup(terms(folded), self.text.weight):
            idx = self._ids.get(fold(hit.entry_id))
            if idx is None:  # the entry left the catalog since it was learned
                continue
            if coded:
                score = LEARNED_BESIDE_CODE
            elif hit.sure:
                score = LEARNED_SURE
                sure = idx if sure is None else sure
            else:
                score = LEARNED_RANK
            offer(idx, score, f'learned: "{hit.phrase}"')
        return sure

    def _meant(self, asked: str, folded: str, listed: list[int], shares: dict[int, float]):
        """Add to the listed entries' shares how close each one's meaning is to the question.

        English only: the model knows little of the other languages, and reordered their
        words' guesses worse (L6 -3).
        """
        if self.meanings is None or not listed or not english(folded):
            return
        for idx, near in self.meanings.closeness(asked, listed).items():
            shares[idx] += MEANING_WEIGHT * max(0.0, near - MEANING_FLOOR)

    def _words(self, folded: str, hits: dict[int, int]) -> dict[int, float]:
        """Each entry's share of the question's words: of the whole text, or of a sentence.

        A keyword said word for word explains it all. `hits` gets how many of the whole
        text's words each entry has.
        """
        scores = self.text.search(folded, hits)
        for idx in self.text.keywords_in(folded):
            scores[idx] = max(scores.get(idx, 0.0), 1.0)
        sentences = [s for s in _SENTENCES.split(folded) if _is_piece(s)]
        for sentence in sentences if len(sentences) > 1 else ():
            for idx, share in self.text.search(sentence).items():
                scores[idx] = max(scores.get(idx, 0.0), share * SENTENCE_SHARE)
            clauses = [c for c in sentence.split(", ") if _is_piece(c)]
            for clause in clauses if len(clauses) > 1 else ():
                for idx, share in self.text.search(clause).items():
                    scores[idx] = max(scores.get(idx, 0.0), share * CLAUSE_SHARE)
        return scores

    def _messages(self, folded: str, offer) -> tuple[list[int], bool]:
        """Offer entries whose displayed message is in the text; return the tied best ones."""
        best = self.messages.quoted(folded)
        if not best:
            return [], False
        top = max(q.score for q in best.values())
        bucket = sorted(i for i, q in best.items() if q.score >= top - MESSAGE_TIE)
        shared = f" (shared by {len(bucket)} entries)" if len(bucket) > 1 else ""
        for idx, q in best.items():
            tied = idx in bucket
            offer(
                idx,
                MESSAGE_BASE + MESSAGE_SHARE * (top if tied else q.score),
                f"message {q.shown}{shared if tied else ''}",
            )
        return bucket, all(best[i].sure for i in bucket)

    def likeliest(self, text: str) -> list[Entry]:
        """Every entry, the likeliest for the text first: its matches, then any shared word."""
        shares = self.text.search(fold(clean(text)[0]))
        first = {m.entry.id: m.entry for m in self.match(text, limit=len(self.entries)).matches}
        rest = sorted(range(len(self.entries)), key=lambda i: (-shares.get(i, 0.0), i))
        for idx in rest:
            first.setdefault(self.entries[idx].id, self.entries[idx])
        return list(first.values())

    def complete(self, text: str, limit: int = 25) -> list[Entry]:
        """Entries for autocomplete: ids and codes by prefix, then the matcher's ranking."""
        query = fold(clean(text)[0]).strip()
        if not query:
            return self.entries[:limit]
        out: dict[str, Entry] = {}
        for entry in self.entries:
            if any(fold(s).startswith(query) for s in (entry.id, *entry.codes)):
                out.setdefault(entry.id, entry)
        for m in self.match(text, limit=limit).matches:
            out.setdefault(m.entry.id, m.entry)
        return list(out.values())[:limit]


def _is_piece(text: str) -> bool:
    """Whether a sentence or clause says enough to be read on its own."""
    return len(text.split()) >= SENTENCE_WORDS and len(terms(text)) >= SENTENCE_TERMS
