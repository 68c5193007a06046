"""Load and index a catalog folder; a big one on every CPU."""

from __future__ import annotations

from pathlib import Path

from bot import workers
from bot.catalog import Entry, assemble, bulk, catalog_files, load_catalog
from bot.matcher import Matcher
from bot.textindex import TextIndex

# From this many bytes of YAML on, other processes parse and index some of the files: a
# fresh interpreter costs about 0.15 s to start, which a smaller catalog does not repay.
PARALLEL_BYTES = 4_000_000


def load_matcher(path: Path | str | None = None) -> Matcher:
    """The matcher of a catalog folder (the bundled catalog by default)."""
    folder, files = catalog_files(path)
    sizes = [file.stat().st_size for file in files]
    if sum(sizes) < PARALLEL_BYTES:
        return Matcher(load_catalog(folder))
    # Each process parses consecutive files and indexes their entries numbered from 0; the
    # word index keeps those parts as they are, so nothing is renumbered here.
    parts = workers.spread("bot.textindex:index_files", list(map(str, files)), sizes)
    with bulk():
        entries = [Entry(*row) for rows, _ in parts for row in rows]
    catalog = assemble(entries, folder, len(files))
    text = TextIndex(entries, [(len(rows), found) for rows, found in parts])
    return Matcher(catalog, text)
