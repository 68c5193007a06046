"""Find error codes in pasted text: 'auth:73', 'Error code: 17', 'CAPPING_USER_IS_CAPPED'."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from bot.catalog import Entry
from bot.text import clean, fold, skeleton, tokens

# Words that introduce a bare error number, in the languages people paste.
GENERIC_WORDS = (
    "errorcode", "error", "err", "code", "fehlercode", "fehler", "erreur", "errore", "erro",
    "codigo", "código", "kod", "foutcode", "fout", "virhe", "hata", "ошибка", "błąd", "fejl",
    "felkod", "fel", "feil",
)
# Namespaces that are the same thing spelled differently.
NS_ALIASES = {"webapi": "http", "desktoploginaccount": "desktoploginaccounts"}
_CONFUSABLE = {"o": "[o0]", "i": "[i1l|]", "l": "[l1i|]", "s": "[s5]", "m": "(?:m|rn)"}
_NUM = r"(?P<sign>-\s?)?(?P<num>[0-9oil|]*[0-9][0-9oil|]*)(?![a-z0-9])"
_NUM_FIX = str.maketrans("oil|", "0111")
_PARENS = re.compile(r"\([^)]*\)")
_SPELLING = re.compile(
    r"^(?P<ns>[^0-9]*?)[\s:]*(?P<num>-?\d+)(?:-(?P<to>\d+)(?![a-z_]))?(?:[\s_-]+(?P<tail>.*))?$"
)
# Symbols shorter than this, once squeezed, are ordinary words and not codes.
MIN_SYMBOL = 8
MAX_SYMBOL_WORDS = 8


@dataclass(frozen=True, slots=True)
class CodeHit:
    """One code found in the text: the entries it names (none when unknown)."""

    text: str
    entries: tuple[int, ...]
    specific: bool  # a namespace or a symbolic name, not a bare "error N"
    strong: bool  # explicit enough to answer on


def _ns_key(words: str) -> str:
    """Canonical namespace: letters only, 'code' dropped, 'error' kept only when alone."""
    parts = [p for p in re.split(r"[^a-z]+", fold(words)) if p and p != "code"]
    if len(parts) > 1:
        parts = [p for p in parts if p != "error"]
    key = "".join(parts) or "error"
    return NS_ALIASES.get(key, key)


def _fuzzy(ns: str) -> str:
    """Regex for a namespace tolerant of OCR swaps and lost or added separators."""
    return r"[\s_.\-]?".join(_CONFUSABLE.get(c, re.escape(c)) for c in ns)


def _squeeze(text: str) -> str:
    return "".join(tokens(fold(text)))


class CodeIndex:
    """Every spelling of every entry's code, and a scanner for them in text."""

    def __init__(self, entries: list[Entry]) -> None:
        self.numeric: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.symbols: dict[str, int] = {}
        self.numbers: list[set[int]] = []
        for idx, entry in enumerate(entries):
            nums: set[int] = set()
            for spelling in (entry.id, *entry.codes):
                self._add(idx, spelling, nums)
            self.numbers.append(nums)
        namespaces = sorted({ns for ns, _ in self.numeric} - {"error"}, key=len, reverse=True)
        namespaces += [ns for ns, alias in NS_ALIASES.items() if alias in namespaces]
        generic = "|".join(map(re.escape, GENERIC_WORDS))
        self._pattern = re.compile(
            rf"(?<![a-z0-9])(?:(?P<ns>{'|'.join(map(_fuzzy, namespaces))})|(?P<gen>{generic}))"
            rf"[\s_.:#=]*(?:error[\s_.\-]?)?(?:code[\s_.]*)?[:#=]?\s*(?:no\.?\s*)?{_NUM}"
        )
        self._ns_by_skeleton = {skeleton(ns): ns for ns in namespaces}

    def _add(self, idx: int, spelling: str, nums: set[int]) -> None:
        text = _PARENS.sub(" ", fold(clean(spelling)[0])).strip()
        m = _SPELLING.match(text)
        if m is not None:
            ns = _ns_key(m["ns"])
            first = int(m["num"])
            last = int(m["to"]) if m["to"] else first
            for n in range(first, last + 1) if last - first < 20 else (first,):
                for value in {n, abs(n)}:
                    if idx not in self.numeric[(ns, value)]:
                        self.numeric[(ns, value)].append(idx)
                nums.add(abs(n))
            if m["tail"]:
                self._add_symbol(idx, m["tail"])
            return
        self._add_symbol(idx, text)
        if ":" in text:
            self._add_symbol(idx, text.split(":", 1)[1])

    def _add_symbol(self, idx: int, text: str) -> None:
        squeezed = _squeeze(text)
        if len(squeezed) >= MIN_SYMBOL and len(tokens(text)) > 1:
            self.symbols.setdefault(squeezed, idx)

    def scan(self, folded: str, whole_number: bool = False) -> list[CodeHit]:
        """Codes in folded text, in order; `whole_number` reads a lone number as a code."""
        hits: list[CodeHit] = []
        for m in self._pattern.finditer(folded):
            value = int(m["num"].translate(_NUM_FIX))
            if m["ns"] is not None:
                ns = _ns_key(self._ns_by_skeleton.get(skeleton(_squeeze(m["ns"])), m["ns"]))
                hits.append(self._numeric_hit(m[0], ns, value, m["sign"] is not None))
            else:
                hits.append(self._numeric_hit(m[0], "error", value, False))
        stripped = folded.strip()
        if whole_number and not hits and re.fullmatch(r"-?\d{1,6}", stripped):
            hits.append(self._numeric_hit(stripped, "error", int(stripped), False))
        hits.extend(self._symbol_hits(folded))
        return hits

    def _numeric_hit(self, text: str, ns: str, value: int, negative: bool) -> CodeHit:
        found = self.numeric.get((ns, -value if negative else value)) or self.numeric.get(
            (ns, value), []
        )
        return CodeHit(text.strip(), tuple(found), specific=ns != "error", strong=True)

    def _symbol_hits(self, folded: str) -> list[CodeHit]:
        spans = [(m.start(), m.end()) for m in re.finditer(r"[a-z0-9]+", folded)]
        words = [folded[a:b] for a, b in spans]
        numbers = {int(w) for w in words if w.isdigit() and len(w) < 7}
        hits: list[CodeHit] = []
        for i in range(len(words)):
            squeezed = ""
            glued = True
            for j in range(i, min(i + MAX_SYMBOL_WORDS, len(words))):
                if j > i and not folded[spans[j - 1][1] : spans[j][0]].strip():
                    glued = False  # only spaces between the words: typed as a phrase
                squeezed += words[j]
                idx = self.symbols.get(squeezed)
                if idx is None:
                    continue
                strong = glued or j - i >= 2 or bool(numbers & self.numbers[idx])
                text = folded[spans[i][0] : spans[j][1]]
                hits.append(CodeHit(text, (idx,), specific=True, strong=strong))
        return hits
