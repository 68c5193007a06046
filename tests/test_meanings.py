"""The meanings layer: English questions' words-only guesses reordered by what they mean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from bot.catalog import load_catalog
from bot.matcher import Matcher
from tests.test_descriptions import LANGUAGES

# Our own cases: what the words alone rank second, and the meaning first.
REORDERED = [
    (  # a free account refused: the words lean to the wrong password
        "Login broken without premium\n\nThe readme only recommends Premium, but on my free"
        " account the login fails with the right password, the error is 'Failed to authenticate'",
        "accounts:409",
    ),
    (  # the licence refused, not Widevine missing: the words lean to the missing module
        "widevine calls fail\n\nI made a desktop wrapper with electron and the castlabs fork for"
        " widevine a while ago. Starting it today, the requests to the license endpoint fail"
        " with `widevine error`",
        "EME_LICENSE_REQUEST_FAILED_WITH_STATUS",
    ),
]
# English questions of every kind, Spotify's and not.
ENGLISH = [
    "my friend cannot see my songs",
    "the app crashes when I open the settings page on my laptop",
    "spotify banned my account out of nowhere",
    "downloads stopped on my phone after the update",
    "the web player plays a few seconds of each song and then stops",
]


@pytest.fixture(scope="module")
def words() -> Matcher:
    return Matcher(load_catalog(), meanings=False)


def _listed(matcher: Matcher, query: str) -> set[str]:
    return {m.entry.id for m in matcher.match(query, limit=100).matches}


@pytest.mark.parametrize(("query", "expected"), REORDERED)
def test_an_english_description_is_ranked_by_what_it_means(matcher, words, query, expected):
    """The words list the right entry; its meaning puts it first. Still only a suggestion."""
    assert words.match(query).best.entry.id != expected
    result = matcher.match(query)
    assert result.best.entry.id == expected, result.to_json()
    assert not result.confident


@pytest.mark.parametrize("query", ENGLISH)
def test_meanings_list_nothing_the_words_did_not(matcher, words, query):
    """The layer only reorders: the same entries listed, and never an unasked answer."""
    assert _listed(matcher, query) == _listed(words, query)
    assert matcher.match(query).confident == words.match(query).confident


@pytest.mark.parametrize(("query", "expected"), LANGUAGES)
def test_other_languages_are_left_to_their_words(matcher, words, query, expected):
    """The model knows English: other languages rank exactly as their words do."""
    ours, theirs = matcher.match(query), words.match(query)
    assert [(m.entry.id, m.score) for m in ours.matches] == [
        (m.entry.id, m.score) for m in theirs.matches
    ]


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_model_comes_from_its_package_and_never_the_network():
    """With every connection refused, the layer still loads and ranks, and logs nothing."""
    out = _run(
        """
        import socket, sys
        def refuse(*args, **kwargs):
            raise OSError("no network in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from bot.loading import load_matcher
        matcher = load_matcher()
        assert matcher.meanings is not None
        best = matcher.match(sys.argv[1]).best.entry.id
        import logging
        assert not logging.getLogger().handlers  # wordllama's basicConfig was undone
        print(best)
        """,
        REORDERED[0][0],
    )
    assert out.strip() == REORDERED[0][1]


def test_without_the_model_package_the_words_alone_rank():
    """An install without wordllama works as before: codes, messages and words."""
    out = _run(
        """
        import sys
        sys.modules["wordllama"] = None  # as if it were not installed
        from bot.loading import load_matcher
        matcher = load_matcher()
        assert matcher.meanings is None
        print(matcher.match("error 2026").best.entry.id)
        """
    )
    assert out.strip() == "error:2026"


def test_an_operator_can_turn_the_meanings_off(run_bot):
    """MEANINGS=off: words alone rank; a value other than on or off is one line, exit 2."""
    query, expected = REORDERED[1]
    on = run_bot("lookup", "--json", query)
    off = run_bot("lookup", "--json", query, env={**os.environ, "MEANINGS": "off"})
    assert json.loads(on.stdout)["matches"][0]["id"] == expected
    assert json.loads(off.stdout)["matches"][0]["id"] != expected
    bad = run_bot("lookup", "error 2026", env={**os.environ, "MEANINGS": "maybe"})
    assert bad.returncode == 2
    assert bad.stderr.decode().strip() == "error: MEANINGS: must be on or off"
