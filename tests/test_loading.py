"""Catalog reloads: the old matcher is freed at once, and twenty reloads leave nothing behind."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

from hypothesis import given
from hypothesis import strategies as st

from bot.loading import load_matcher
from bot.text import _TOKEN, clean, tokens

QUERY = "my songs stop after a few seconds, error 17 or auth:73"
RELOADS = 20
# What twenty reloads may add beyond the first few: caches of fixed size, not a catalog each.
MAX_GROWTH_OBJECTS = 2_000
MAX_GROWTH_BYTES = 512 * 1024


def test_a_replaced_catalog_is_freed_at_once():
    """A reload drops the old matcher by reference counting alone: nothing in it is a cycle."""
    old = load_matcher()
    old.match(QUERY)  # fill its caches
    parts = [old, old.codes, old.messages, old.text]
    refs = [weakref.ref(part) for part in parts]
    del old, parts
    gc.disable()
    try:
        assert [ref() for ref in refs] == [None] * len(refs)
    finally:
        gc.enable()


def test_twenty_reloads_keep_objects_and_memory_flat():
    """Reload after reload, live objects and bytes stay where the first reloads left them."""
    matcher = load_matcher()
    tracemalloc.start()
    try:
        for round_ in range(RELOADS):
            matcher = load_matcher()
            assert matcher.match(QUERY).best is not None
            if round_ == 2:
                gc.collect()
                objects, (allocated, _) = len(gc.get_objects()), tracemalloc.get_traced_memory()
        gc.collect()
        grown_objects = len(gc.get_objects()) - objects
        grown_bytes = tracemalloc.get_traced_memory()[0] - allocated
    finally:
        tracemalloc.stop()
    assert gc.get_freeze_count() == 0  # nothing was frozen out of the collector's sight
    assert grown_objects < MAX_GROWTH_OBJECTS, grown_objects
    assert grown_bytes < MAX_GROWTH_BYTES, grown_bytes


@given(text=st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_paths_cut_and_clean_like_the_general_ones(text):
    """The byte-table tokenizer and the plain-ASCII clean agree with the regular expressions."""
    assert tokens(text.lower()) == _TOKEN.findall(text.lower())
    general = clean(text + "\u00e9")[0]  # one non-ASCII letter forces the general path
    assert clean(text)[0] == general.removesuffix("\u00e9").rstrip()
