"""What each process works out from its share of a big catalog's files (see loading.py).

Apart from loading.py, so a worker process imports only what this needs.
"""

from __future__ import annotations

from pathlib import Path

from bot.catalog import as_row, bulk, load_file
from bot.codes import CodeKeys, code_keys
from bot.messages import MessageKeys, message_keys
from bot.textindex import Postings, postings

Part = tuple[list[tuple], Postings, list[CodeKeys], list[MessageKeys]]


def index_files(paths: list[str]) -> Part:
    """Parse the files; their entries as rows, word postings, code keys and message keys."""
    with bulk():
        entries = [entry for path in paths for entry in load_file(Path(path))]
        return (
            list(map(as_row, entries)),
            postings(entries),
            list(map(code_keys, entries)),
            list(map(message_keys, entries)),
        )
