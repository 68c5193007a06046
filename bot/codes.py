"""Find error codes in pasted text: 'auth:73', 'Error code: 17', 'CAPPING_USER_IS_CAPPED'."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from http import HTTPStatus
from typing import NamedTuple

from bot.catalog import Entry
from bot.text import clean, fold, skeleton, tokens

# Words that introduce a bare error number ("error", "code"), in the languages people paste.
# fmt: off
GENERIC_WORDS = (
    # English (with its common typos), German, French, Italian, Spanish, Portuguese
    "errorcode", "error", "err", "eror", "erorr", "errror", "code", "fehlercode", "fehler",
    "erreur", "errore", "codice", "erro", "codigo", "código",
    # Dutch, Scandinavian, Finnish
    "foutcode", "fout", "fejl", "fejlkode", "feil", "feilkode", "felkod", "fel", "kode",
    "virhe", "virhekoodi", "koodi",
    # Polish, Czech, Slovak, Hungarian, Romanian, Turkish, Russian, Ukrainian
    "kod", "kód", "błąd", "błędu", "chyba", "chyby", "hiba", "hibakód", "eroare", "hata",
    "hatası", "kodu",
    "ошибка", "ошибки", "код", "помилка", "помилки",
    # Japanese, Chinese, Korean
    "エラー", "エラーコード", "错误", "错误代码", "錯誤", "錯誤代碼", "오류", "코드",
)
# fmt: on
_GENERIC = frozenset(fold(w) for w in GENERIC_WORDS)
# Words that may stand between those and the number; "cod" only here, as "COD 4" is a game.
# "status" as in "http status: 429": a client library's words for an HTTP status.
_FILLERS = _GENERIC | frozenset(
    map(
        fold,
        (
            "no",
            "nr",
            "number",
            "num",
            "n",
            "de",
            "di",
            "numero",
            "nummer",
            "номер",
            "cod",
            "status",
        ),
    )
)
# Namespaces that are the same thing spelled differently.
NS_ALIASES = {"webapi": "http", "desktoploginaccount": "desktoploginaccounts"}
_WORD = re.compile(r"[^\W_]+")
_NUMBERISH = re.compile(r"[0-9oil]*[0-9][0-9oil]*")
_GLUED = re.compile(r"([^\W\d_]{2,}?)(\d[0-9oil]*)")
_GAP = re.compile(r"[\s_.:#=()/\-]*")
_NUM_FIX = str.maketrans("oil", "011")
_PARENS = re.compile(r"\([^)]*\)")
_SPELLING = re.compile(
    r"^(?P<ns>[^0-9]*?)[\s:]*(?P<num>-?\d+)(?:-(?P<to>\d+)(?![a-z_]))?(?:[\s_-]+(?P<tail>.*))?$"
)
# Where the Web API answers: an HTTP status beside a request to any other host ("HTTP 403 on
# https://gew4-spclient.spotify.com/widevine-license/…") is that host's, not a Web API error.
WEB_API_HOSTS = ("api.spotify.com", "accounts.spotify.com")
_URL_HOST = re.compile(r"https?://([a-z0-9.-]+)")
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
    # An HTTP status or a name typed as words ("too many requests"): other services say it too.
    plain: bool = False


def _ns_key(words: str) -> str:
    """Canonical namespace: letters only, 'code' dropped, 'error' kept only when alone."""
    parts = [p for p in re.split(r"[^a-z]+", fold(words)) if p and p != "code"]
    if len(parts) > 1:
        parts = [p for p in parts if p != "error"]
    key = "".join(parts) or "error"
    return NS_ALIASES.get(key, key)


def _squeeze(text: str) -> str:
    return "".join(tokens(fold(text)))


def _phrase(status: int) -> str:
    """The HTTP reason phrase of a status ("Too Many Requests"), or "" for no known status."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _elsewhere(folded: str, at: int) -> bool:
    """Whether the line around `at` requests a host other than the Web API's."""
    start = folded.rfind("\n", 0, at) + 1
    end = folded.find("\n", at)
    hosts = _URL_HOST.findall(folded[start : end if end >= 0 else len(folded)])
    return bool(hosts) and not any(host.endswith(WEB_API_HOSTS) for host in hosts)


class CodeKeys(NamedTuple):
    """Every key one entry's id and codes are found by."""

    numbers: list[tuple[str, int]]  # (namespace, number)
    names: list[str]  # squeezed symbolic names
    namespaces: list[tuple[str, str]]  # (OCR skeleton, namespace) of each but "error"


def _symbol(text: str) -> str | None:
    """The squeezed form of a symbolic name, or None for text too plain to be one."""
    squeezed = _squeeze(text)
    if len(squeezed) >= MIN_SYMBOL and len(tokens(text)) > 1:
        return squeezed
    return None


def code_keys(entry: Entry) -> CodeKeys:
    """Every key the entry's id and codes are found by."""
    numbers: list[tuple[str, int]] = []
    names: list[str | None] = []
    for spelling in (entry.id, *entry.codes):
        text = _PARENS.sub(" ", fold(clean(spelling)[0])).strip()
        m = _SPELLING.match(text)
        if m is not None:
            ns = _ns_key(m["ns"])
            first = int(m["num"])
            last = int(m["to"]) if m["to"] else first
            for n in range(first, last + 1) if last - first < 20 else (first,):
                numbers += [(ns, n), (ns, abs(n))] if n < 0 else [(ns, n)]
            if m["tail"]:
                names.append(_symbol(m["tail"]))
            continue
        names.append(_symbol(text))
        if ":" in text:
            names.append(_symbol(text.split(":", 1)[1]))
    namespaces = dict.fromkeys(ns for ns, _ in numbers if ns != "error")
    return CodeKeys(
        numbers,
        [name for name in names if name is not None],
        [(skeleton(ns), ns) for ns in namespaces],
    )


class CodeIndex:
    """Every spelling of every entry's code, and a scanner for them in text."""

    def __init__(self, entries: list[Entry]) -> None:
        self.numeric: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.symbols: dict[str, int] = {}
        self.numbers: list[set[int]] = []
        self.by_number: dict[int, list[int]] = defaultdict(list)  # any namespace
        self._ns_by_skeleton: dict[str, str] = {}
        keys = [code_keys(entry) for entry in entries]
        for idx, (numbers, names, namespaces) in enumerate(keys):
            for ns, value in numbers:
                if idx not in self.numeric[(ns, value)]:
                    self.numeric[(ns, value)].append(idx)
                if idx not in self.by_number[value]:
                    self.by_number[value].append(idx)
            for name in names:
                self.symbols.setdefault(name, idx)
            self.numbers.append({abs(value) for _, value in numbers})
            for skel, ns in namespaces:  # two that OCR alike: the first in the catalog
                self._ns_by_skeleton.setdefault(skel, ns)
        # Web API errors: their names are HTTP reason phrases other services send too.
        self._http = {i for (ns, _), found in self.numeric.items() if ns == "http" for i in found}
        # A status spelled with an error's name ("HTTP 401 invalid_client") is one of the many
        # errors the API answers with that status: the number alone lists it, the name answers.
        self._named_status = {
            i
            for (ns, value), found in self.numeric.items()
            if ns == "http"
            for i in found
            if keys[i].names and _squeeze(_phrase(value)) not in keys[i].names
        }
        namespaces = {ns for ns, _ in self.numeric} - {"error"}
        for ns in namespaces:  # a bare namespace ("com.spotify.installer") names no one entry
            self.symbols.pop(ns, None)
        for alias, ns in NS_ALIASES.items():
            if ns in namespaces:
                self._ns_by_skeleton[skeleton(alias)] = ns

    def scan(self, folded: str, whole_number: bool = False) -> list[CodeHit]:
        """Codes in folded text, in order; `whole_number` reads a lone number as a code."""
        spans = [(m.start(), m.end()) for m in _WORD.finditer(folded)]
        words = [folded[a:b] for a, b in spans]
        hits: list[CodeHit] = []
        for i, word in enumerate(words):
            before: list[str] = []
            number = word if _NUMBERISH.fullmatch(word) else None
            if number is None:
                glued = _GLUED.fullmatch(word)  # "auth73", "errorcode2026"
                if glued is None:
                    continue
                before, number = [glued[1]], glued[2]
            if len(number) > 9:
                continue
            gap_end = spans[i][0]
            j = i - 1
            while j >= 0 and len(before) < 4 and _GAP.fullmatch(folded[spans[j][1] : gap_end]):
                if _NUMBERISH.fullmatch(words[j]):
                    break
                before.insert(0, words[j])
                gap_end = spans[j][0]
                j -= 1
            negative = folded[: spans[i][0]].rstrip(" ").endswith("-") and before != []
            hit = self._read(before, int(number.translate(_NUM_FIX)), negative)
            if hit is None and whole_number and len(words) == 1:
                hit = self._numeric_hit(word, "error", int(number.translate(_NUM_FIX)), False)
            if hit is not None and not (hit.plain and _elsewhere(folded, spans[i][0])):
                hits.append(hit)
        hits.extend(self._symbol_hits(folded))
        return hits

    def _read(self, before: list[str], value: int, negative: bool) -> CodeHit | None:
        """The code named by the words before a number, or None when they name none."""
        generic = False
        words = list(before)
        while words and words[-1] in _FILLERS:
            generic = generic or words[-1] in _GENERIC
            words.pop()
        for k in (3, 2, 1):
            if len(words) >= k:
                ns = self._ns_by_skeleton.get(skeleton("".join(words[-k:])))
                if ns is not None:
                    text = " ".join([*before[-k - (len(before) - len(words)) :], str(value)])
                    return self._numeric_hit(text, ns, value, negative)
        if generic:
            return self._numeric_hit(f"error {value}", "error", value, False)
        return None

    def _numeric_hit(self, text: str, ns: str, value: int, negative: bool) -> CodeHit:
        found = self.numeric.get((ns, -value if negative else value)) or self.numeric.get(
            (ns, value), []
        )
        http = ns == "http"
        named = http and bool(found) and self._named_status.issuperset(found)
        return CodeHit(
            text.strip(), tuple(found), specific=ns != "error", strong=not named, plain=http
        )

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
                # Typed as words, a name needs three of them, or its number beside it
                # when it is an HTTP reason ("too many requests" alone is Reddit's too).
                long = j - i >= 2 and idx not in self._http
                strong = glued or long or bool(numbers & self.numbers[idx])
                text = folded[spans[i][0] : spans[j][1]]
                hits.append(CodeHit(text, (idx,), specific=True, strong=strong, plain=not glued))
        return hits
