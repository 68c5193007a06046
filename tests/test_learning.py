"""What the votes teach: the most reported fix, and phrases learned per server."""

from __future__ import annotations

import pytest
import yaml

from bot.learning import (
    Learned,
    LearnedIndex,
    learned_yaml,
    most_reported_fix,
    phrase_key,
    wilson_lower_bound,
)


def test_the_wilson_bound_grows_with_evidence_at_the_same_share():
    assert wilson_lower_bound(4, 5) < wilson_lower_bound(40, 50) < 0.8
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(12, 15) == pytest.approx(0.548, abs=0.005)


def test_a_step_that_worked_for_most_voters_is_highlighted():
    best = most_reported_fix({1: 1, 3: 12, None: 2}, steps=4)
    assert best is not None and (best.step, best.worked, best.votes) == (3, 12, 15)
    assert best.line() == "✅ Most reported fix: step 3 — worked for 12 of 15"


@pytest.mark.parametrize(
    "votes",
    [
        {2: 3},  # three clicks are an anecdote
        {1: 3, 2: 3, None: 2},  # no step stands out
        {1: 2, None: 9},  # the answer mostly fails
        {7: 9},  # a step the entry no longer has (the catalog changed)
    ],
)
def test_no_highlight_without_enough_evidence(votes):
    assert most_reported_fix(votes, steps=4) is None


def _index(*items: tuple[str, str, bool]) -> LearnedIndex:
    return LearnedIndex(Learned(1, phrase, entry, mod) for phrase, entry, mod in items)


def test_a_moderators_phrase_in_full_is_sure_and_a_near_one_only_ranks():
    index = _index(("spotify wants me to change where I live", "accounts:408", True))
    [full] = index.lookup(phrase_key("hey, spotify wants me to change where I live?? help").split())
    assert full.entry_id == "accounts:408" and full.sure
    [other] = index.lookup(phrase_key("it wants me to change where I am living").split())
    assert not other.sure and not other.full


def test_phrases_learned_from_picks_and_one_word_phrases_never_answer_unasked():
    index = _index(
        ("the green dot is gone", "connect:device-picker", False), ("login", "auth:1", True)
    )
    hits = index.lookup(phrase_key("the green dot is gone since yesterday").split())
    assert [h.entry_id for h in hits] == ["connect:device-picker"] and not hits[0].sure
    assert all(not h.sure for h in index.lookup(phrase_key("cant login").split()))


def test_unrelated_questions_find_no_learned_phrase():
    index = _index(("spotify wants me to change where I live", "accounts:408", True))
    assert index.lookup(phrase_key("how do I make a playlist").split()) == []
    assert LearnedIndex([]).lookup(["anything"]) == []


TAUGHT = _index(
    ("the green dot next to my speaker vanished", "connect:device-picker", True),
    ("my playlist shuffles in a weird order", "error.generic", False),
)


def test_the_matcher_answers_a_moderators_phrase_in_full(matcher):
    result = matcher.match("the green dot next to my speaker vanished again", learned=TAUGHT)
    assert result.confident and result.best.entry.id == "connect:device-picker"
    assert matcher.match("the green dot next to my speaker vanished again").best is None


def test_a_near_phrase_or_users_picks_only_rank(matcher):
    near = matcher.match("green dot next to the speaker is gone", learned=TAUGHT)
    picked = matcher.match("my playlist shuffles in a weird order", learned=TAUGHT)
    assert near.best.entry.id == "connect:device-picker" and not near.confident
    assert picked.best.entry.id == "error.generic" and not picked.confident


def test_a_learned_phrase_never_overrides_the_code_the_text_names(matcher):
    result = matcher.match("error 2026, the green dot next to my speaker vanished", learned=TAUGHT)
    assert result.confident and result.best.entry.id == "error:2026"
    assert "connect:device-picker" in [m.entry.id for m in result.matches]


def test_learned_phrases_export_as_the_catalogs_keywords():
    items = [
        Learned(1, "spotify wants  me to move", "accounts:408", True),
        Learned(2, "spotify wants me to move", "accounts:408", False),
        Learned(1, "der grüne punkt ist weg", "connect:device-picker", True),
    ]
    data = yaml.safe_load(learned_yaml(items))
    assert data == [
        {"id": "accounts:408", "keywords": ["spotify wants me to move"]},
        {"id": "connect:device-picker", "keywords": ["der grüne punkt ist weg"]},
    ]


def test_a_rephrased_question_finds_the_phrase_it_rephrases(matcher):
    index = _index(
        (
            "my raspotify box vanished from the speaker picker overnight",
            "connect:device-picker",
            True,
        )
    )
    asked = "since last night my raspotify box is gone from the speaker picker, what do i do"
    [hit] = index.lookup(phrase_key(asked).split(), matcher.text.weight)
    assert hit.entry_id == "connect:device-picker" and not hit.full
    assert index.lookup(phrase_key("my box of cereal vanished").split(), matcher.text.weight) == []
