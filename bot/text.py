"""Normalise pasted text: Unicode clean-up, OCR-tolerant word forms, tokens."""

from __future__ import annotations

import functools
import re
import unicodedata

from stop_words import get_stop_words

# Longer pastes are cut here before matching; the answer says so (documented in the README).
MAX_QUERY_CHARS = 4000

_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
# Cyrillic letters that OCR and keyboards swap for Latin ones; З looks like the digit 3.
_HOMOGLYPHS = str.maketrans("аеорсухкмтвнАЕОРСУХКМТВНіІЗз", "aeopcyxkmtbhAEOPCYXKMTBHiI33")
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u00ad\u061c\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# Letters and digits of any script ("|" is an OCR'd "l"); Chinese and Japanese are written
# without spaces, so their runs are cut into overlapping character pairs, as search engines do.
_TOKEN = re.compile(r"(?:[^\W_]|\|)+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
# The possessive particles ("我的电脑", "スマホの画面"): a pair across one says nothing.
_PARTICLES = frozenset("的の")
# Letters that keep a stroke, not an accent, and so survive NFKD: folded by hand.
_STROKES = str.maketrans("łøđħıŀ", "lodhil")
# The same tokens for ASCII text, cut by a byte table: a quarter of findall's time.
_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789|"
_TOKEN_BYTES = bytes(b if chr(b) in _TOKEN_CHARS else 32 for b in range(256))
# OCR skeleton: characters a scanner confuses are folded onto one form on both sides.
_SKELETON_PAIRS = (("rn", "m"), ("vv", "w"))
_SKELETON_CHARS = str.maketrans("01l|5", "oiiis")
_HAS_LETTER = re.compile(r"[a-z]")

# English: our own list, since the library's holds words that name errors ("abroad", "down").
_ENGLISH_STOPWORDS = """
    a an the is are was were be been am to of in on for and or my i it its me we you your
    but with this that these those by at from as so if then than just very really also says say
    said saying get gets getting got keep keeps when what whats how do does did doing can cant
    could won wont would will should t s m ve ll re d im ive dont doesnt didnt isnt any some all
    there here have has had help please anyone someone anybody pls plz thanks spotify spotifys
    error errors code codes app application message show shows showing popup hi hello hey ok okay
    anything something nothing everything
    describe description bug reproduce expected behavior behaviour actual
    """.split()
# The other languages people ask in: their function words ("mi", "de", "не", "ich") would
# otherwise tie a question to whichever entry's phrases in that language share them.
STOPWORD_LANGUAGES = (
    "russian",
    "chinese",
    "spanish",
    "portuguese",
    "german",
    "french",
    "polish",
    "turkish",
    "japanese",
)
# Chinese and Japanese are searched by character pairs; these pairs are their function
# words ("有些" some, "什么" what, "けど" but), which the lists hold only as single characters.
_CJK_FUNCTION_PAIRS = """
    有些 一些 什么 怎么 为什 么办 我的 你的 可以 就是 但是 还是 这个 那个 然后 现在 一直 已经
    突然 不是 因为 所以 如果 时候 一下 一个 我们 他们 大家 请问 知道 感觉 好像 是不 怎样 吗
    して です ます けど から って てる でも のに ので とか たら なんか なん ちゃ こと もの
    """.split()
# English words that name errors but stand in those lists ("no" is Spanish, "point" French).
_ENGLISH_CONTENT = frozenset({"force", "go", "no", "one", "point"})


def clean(text: str, limit: int = MAX_QUERY_CHARS) -> tuple[str, bool]:
    """Strip what cannot be shown or compared; cut to `limit` characters. Returns (text, cut)."""
    if text.isascii() and text.isprintable():  # nothing to strip but repeated spaces
        text = " ".join(text.split())
    else:
        text = _SURROGATES.sub("", text)
        text = unicodedata.normalize("NFKC", text)
        text = _INVISIBLE.sub("", text).translate(_DASHES)
        text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        return text[:limit], True
    return text, False


def fold(text: str) -> str:
    """Case-, accent- and homoglyph-folded form of cleaned text, for comparisons."""
    if text.isascii():  # the common case, and ten times faster than the translate
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_HOMOGLYPHS).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_STROKES)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


STOPWORDS = (
    frozenset(_ENGLISH_STOPWORDS + _CJK_FUNCTION_PAIRS)
    | frozenset(
        fold(word)
        for language in STOPWORD_LANGUAGES
        for word in get_stop_words(language)
        if not any(ch.isdigit() for ch in word)
    )
    - _ENGLISH_CONTENT
)

# Which language a question is in, by its function words: English ones against the other
# languages'. Our own short list: stop-words' English one (1,333 words) has "de" and "que",
# and _ENGLISH_STOPWORDS above holds the words every language's question carries ("spotify").
_ENGLISH_FUNCTION = frozenset(
    """
    the a an is are was were be been being am to of in on for and or but with this that it
    its i me my we our you your he she his her they them their not no when what which who how
    why do does did done can cant could would will wont should have has had there here then
    than just from by at as so if im ive dont doesnt didnt isnt wasnt arent after before again
    """.split()
)
_OTHER_FUNCTION = (
    frozenset(fold(w) for language in STOPWORD_LANGUAGES for w in get_stop_words(language))
    - _ENGLISH_FUNCTION
)
# English when its English function words outnumber the others this many times over: a
# Spanish question quoting an English dialog is still Spanish.
ENGLISH_MARGIN = 2


def english(folded: str) -> bool:
    """Whether a folded text is written in English, as far as its function words tell."""
    words = tokens(folded)
    ours = sum(w in _ENGLISH_FUNCTION for w in words)
    theirs = sum(w in _OTHER_FUNCTION for w in words)
    return ours > 0 and ours > ENGLISH_MARGIN * theirs


# Log lines name errors in CamelCase ("AuthenticationException: TravelRestriction"): for the
# words, those are the words they are made of.
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")


def spelled_out(text: str) -> str:
    """CamelCase words as the words they are made of ("TravelRestriction": "Travel Restriction")."""
    return _CAMEL.sub(" ", text)


def tokens(folded: str) -> list[str]:
    """Alphanumeric runs of folded text; character pairs of Chinese and Japanese."""
    if folded.isascii():
        return folded.encode().translate(_TOKEN_BYTES).decode().split()
    found = _TOKEN.findall(folded)
    if not _CJK.search(folded):
        return found
    out: list[str] = []
    for token in found:
        for part in re.split(f"({_CJK.pattern})", token):
            if _CJK.fullmatch(part):
                pairs = (part[i : i + 2] for i in range(max(len(part) - 1, 1)))
                out += [pair for pair in pairs if not _PARTICLES.intersection(pair)]
            elif part:
                out.append(part)
    return out


def skeleton(word: str) -> str:
    """OCR-insensitive form of a word; numbers stay numbers."""
    if not _HAS_LETTER.search(word):
        return word
    for a, b in _SKELETON_PAIRS:
        word = word.replace(a, b)
    return word.translate(_SKELETON_CHARS)


def skeleton_text(folded: str) -> str:
    """Skeleton of every word, punctuation dropped and spaces single."""
    return " ".join(map(_SKELETONS, tokens(folded)))


def stem(word: str) -> str:
    """A light suffix strip so 'locked', 'locks' and 'lock' meet."""
    for suffix in ("ing", "ed", "s", "ly"):  # not "es": "devices" must meet "device"
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


# Words are compared by their first few letters: "disabled" meets "disable", "profilimle"
# meets "profil", "passwort" meets "password". Six measured best on every set (5 and 7 worse).
TERM_CHARS = 6


def term(token: str) -> str:
    """The searchable form of one token, or "" for a stopword."""
    token = token.replace("|", "l")
    if token in STOPWORDS or len(token) < 2:
        return ""
    word = skeleton(stem(token))
    return word[:TERM_CHARS] if len(word) > TERM_CHARS and not word.isdigit() else word


# Words repeat across entries and pastes; remembered, bounded so pasted junk cannot grow it.
WORD_CACHE = 200_000
_TERMS = functools.lru_cache(maxsize=WORD_CACHE)(term)
_SKELETONS = functools.lru_cache(maxsize=WORD_CACHE)(skeleton)


def terms(folded: str) -> list[str]:
    """Searchable terms: stemmed skeletons of the non-stopword tokens."""
    # map and filter keep the per-token work in C: a big catalog has a million tokens.
    return list(filter(None, map(_TERMS, tokens(folded))))
