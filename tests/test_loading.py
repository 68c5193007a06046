"""A big catalog loads on every CPU and answers exactly as one loaded in one process."""

from __future__ import annotations

import json
import logging
import re
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import loading, workers
from bot.catalog import DEFAULT_CATALOG, CatalogError, load_catalog
from bot.matcher import Matcher
from bot.text import _TOKEN, clean, tokens
from tests.test_matcher import CAPTIONS, CODES, MESSAGES, NEGATIVES, OCR, PARAPHRASES

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.json"
QUERIES = [q for q, _ in CODES + OCR + MESSAGES + CAPTIONS + PARAPHRASES] + NEGATIVES
if DEV.exists():
    QUERIES += [case["query"] for case in json.loads(DEV.read_text())]


@pytest.fixture
def parallel(monkeypatch):
    """Every catalog counts as big, so even the bundled one is read by worker processes."""
    monkeypatch.setattr(loading, "PARALLEL_BYTES", 0)


@pytest.mark.skipif(workers.cpus() < 2, reason="one CPU: nothing runs in parallel")
def test_a_catalog_read_by_workers_answers_every_query_alike(parallel, matcher: Matcher):
    spread = loading.load_matcher()
    files = len(list(DEFAULT_CATALOG.glob("*.yaml")))
    # the word index really came from several processes, one per CPU
    assert len(spread.text.parts) == min(workers.cpus(), files) > 1
    assert [e.id for e in spread.entries] == [e.id for e in matcher.entries]
    for query in QUERIES:
        assert spread.match(query).to_json() == matcher.match(query).to_json(), query
    assert [e.id for e in spread.complete("acc")] == [e.id for e in matcher.complete("acc")]


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


def test_a_worker_that_cannot_start_leaves_the_work_to_this_process(monkeypatch, caplog):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    paths = [str(p) for p in sorted(DEFAULT_CATALOG.glob("*.yaml"))[:2]]
    with caplog.at_level(logging.WARNING):
        rows, found, *_ = workers.Worker("bot.parts:index_files", (paths,)).result()
    assert "cannot start a worker process" in caplog.text
    assert rows and found


def test_a_failing_call_fails_here_with_its_own_message(tmp_path):
    worker = workers.Worker("bot.parts:index_files", ([str(tmp_path / "gone.yaml")],))
    with pytest.raises(CatalogError, match=r"gone\.yaml: cannot read"):
        worker.result()


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
