"""Load and index a catalog folder; a big one on every CPU."""

from __future__ import annotations

from pathlib import Path

from bot import workers
from bot.catalog import Entry, assemble, bulk, catalog_files, load_catalog
from bot.codes import CodeIndex
from bot.matcher import Matcher
from bot.messages import MessageIndex
from bot.textindex import TextIndex

# From this many bytes of YAML on, other processes parse and index some of the files: a
# fresh interpreter costs about 0.15 s to start, which a smaller catalog (under about
# 1,800 entries) does not repay.
PARALLEL_BYTES = 2_000_000


def load_matcher(path: Path | str | None = None) -> Matcher:
    """The matcher of a catalog folder (the bundled catalog by default)."""
    folder, files = catalog_files(path)
    sizes = [file.stat().st_size for file in files]
    if sum(sizes) < PARALLEL_BYTES:
        return Matcher(load_catalog(folder))
    # Each process parses consecutive files and works out what indexing their entries
    # takes (see parts.py); here only the indexes are put together.
    with bulk():  # the workers' results too: millions of objects, none in a cycle
        parts = workers.share("bot.parts:index_files", list(map(str, files)), sizes)
        if parts is None:  # a worker failed: do it all here, which says why if it can
            return Matcher(load_catalog(folder))
        entries = [Entry(*row) for rows, *_ in parts for row in rows]
        catalog = assemble(entries, folder, len(files))
        return Matcher(
            catalog,
            codes=CodeIndex(entries, [keys for part in parts for keys in part[2]]),
            messages=MessageIndex(entries, [keys for part in parts for keys in part[3]]),
            # The word index keeps each process's postings as they were numbered there.
            text=TextIndex(entries, [(len(p[0]), p[4], p[1]) for p in parts]),
        )
