"""A big catalog loads on every CPU and answers exactly as one loaded in one process."""

from __future__ import annotations

import gc
import json
import logging
import re
import shutil
import sys
import weakref
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import loading, workers
from bot.catalog import DEFAULT_CATALOG, CatalogError, Entry, assemble, load_catalog
from bot.codes import CodeIndex
from bot.matcher import Matcher
from bot.messages import MessageIndex
from bot.parts import index_files
from bot.text import _TOKEN, clean, tokens
from bot.textindex import TextIndex
from tests.test_matcher import CAPTIONS, CODES, MESSAGES, NEGATIVES, OCR, PARAPHRASES

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.json"
QUERIES = [q for q, _ in CODES + OCR + MESSAGES + CAPTIONS + PARAPHRASES] + NEGATIVES
if DEV.exists():
    QUERIES += [case["query"] for case in json.loads(DEV.read_text())]


@pytest.fixture
def parallel(monkeypatch):
    """Every catalog counts as big, so even the bundled one is read by worker processes."""
    monkeypatch.setattr(loading, "PARALLEL_BYTES", 0)


@pytest.mark.parametrize("cpus", [2, 3, 4])
def test_a_catalog_read_by_workers_answers_every_query_alike(
    parallel, monkeypatch, matcher: Matcher, cpus
):
    monkeypatch.setattr(workers, "cpus", lambda: cpus)  # as many workers as on such a machine
    spread = loading.load_matcher()
    # the word index really came from several processes, one per CPU
    assert len(spread.text.parts) == cpus
    assert [e.id for e in spread.entries] == [e.id for e in matcher.entries]
    for query in QUERIES:
        assert spread.match(query).to_json() == matcher.match(query).to_json(), query
    assert [e.id for e in spread.complete("acc")] == [e.id for e in matcher.complete("acc")]


@pytest.mark.parametrize("big", [False, True])
def test_a_replaced_catalog_is_freed_at_once(parallel, monkeypatch, big):
    """A reload drops the old matcher: with its objects frozen out of the cyclic GC (bulk),
    a reference cycle anywhere in it would keep it for the bot's lifetime."""
    if not big:
        monkeypatch.setattr(loading, "PARALLEL_BYTES", 10**12)
    old = loading.load_matcher()
    old.match("my songs stop after a few seconds, error 17 or auth:73")  # fill its memos
    parts = [old, old.codes, old.messages, old.text]
    refs = [weakref.ref(part) for part in parts]
    del old, parts
    gc.disable()
    try:
        assert [ref() for ref in refs] == [None] * len(refs)
    finally:
        gc.enable()


def _broken_copy(tmp_path: Path) -> Path:
    """The bundled catalog with a wrong severity in its last file, which a worker reads."""
    folder = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG, folder)
    last = sorted(folder.glob("*.yaml"))[-1]
    text = last.read_text(encoding="utf-8")
    last.write_text(re.sub(r"severity: \w+", "severity: urgent", text, count=1), "utf-8")
    return folder


def test_a_broken_file_read_by_a_worker_is_named_as_when_read_here(parallel, tmp_path):
    folder = _broken_copy(tmp_path)
    with pytest.raises(CatalogError) as serial:
        load_catalog(folder)
    with pytest.raises(CatalogError) as spread:
        loading.load_matcher(folder)
    assert str(spread.value) == str(serial.value)
    assert "09-general.yaml" in str(spread.value) and "field 'severity'" in str(spread.value)


def _assembled(parts: list) -> Matcher:
    """A matcher put together from parts, as load_matcher does."""
    entries = [Entry(*row) for rows, *_ in parts for row in rows]
    return Matcher(
        assemble(entries, DEFAULT_CATALOG, 9),
        codes=CodeIndex(entries, [keys for part in parts for keys in part[2]]),
        messages=MessageIndex(entries, [keys for part in parts for keys in part[3]]),
        text=TextIndex(entries, [(len(p[0]), p[4], p[1]) for p in parts]),
    )


@pytest.mark.parametrize("cut", [0, 4, 9])
def test_runs_worked_forwards_and_backwards_answer_alike(matcher: Matcher, cut):
    """However two processes split the files, numbering from either end gives one index."""
    paths = [str(p) for p in sorted(DEFAULT_CATALOG.glob("*.yaml"))]
    spread = _assembled([
        index_files(paths[:cut], None, False), index_files(paths[cut:], None, True)
    ])
    for query in QUERIES:
        assert spread.match(query).to_json() == matcher.match(query).to_json(), query


def test_two_processes_take_every_file_once_and_meet(tmp_path):
    paths = [str(p) for p in sorted(DEFAULT_CATALOG.glob("*.yaml"))]
    assert workers.claim(str(tmp_path), 5) and not workers.claim(str(tmp_path), 5)
    forwards = index_files(paths, str(tmp_path), False)  # stops at file 5, taken
    backwards = index_files(paths, str(tmp_path), True)  # takes 8, 7, 6, then meets
    assert [r[0] for r in forwards[0]] + [r[0] for r in backwards[0]] == [
        e.id for e in load_catalog().entries if e.file not in {Path(paths[5]).name}
    ]


def test_a_worker_that_cannot_start_leaves_the_work_to_this_process(
    parallel, monkeypatch, caplog, matcher: Matcher
):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with caplog.at_level(logging.WARNING):
        alone = loading.load_matcher()
    assert "cannot start a worker process" in caplog.text
    assert alone.match("auth:73").to_json() == matcher.match("auth:73").to_json()


def test_a_worker_whose_call_fails_reports_no_result(tmp_path):
    worker = workers.Worker("bot.parts:index_files", ([str(tmp_path / "gone.yaml")], None, False))
    assert worker.result() is None


@given(sizes=st.lists(st.integers(min_value=0, max_value=10**7), max_size=40),
       parts=st.integers(min_value=1, max_value=8))
def test_work_is_split_into_consecutive_runs_covering_everything(sizes, parts):
    runs = workers.split(sizes, parts)
    assert [i for run in runs for i in range(run.start, run.stop)] == list(range(len(sizes)))
    assert len(runs) <= max(parts, 1) and all(run.stop > run.start for run in runs)


def test_equal_sizes_split_evenly():
    own, other = workers.split([100] * 10, 2)
    assert own.stop - own.start == other.stop - other.start == 5


@given(text=st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_paths_cut_and_clean_like_the_general_ones(text):
    """The byte-table tokenizer and the plain-ASCII clean agree with the regular expressions."""
    assert tokens(text.lower()) == _TOKEN.findall(text.lower())
    general = clean(text + "\u00e9")[0]  # one non-ASCII letter forces the general path
    assert clean(text)[0] == general.removesuffix("\u00e9").rstrip()
