"""What each process works out from its share of a big catalog's files (see loading.py).

Apart from loading.py, so a worker process imports only what this needs.
"""

from __future__ import annotations

from pathlib import Path

from bot import workers
from bot.catalog import as_row, bulk, load_file
from bot.codes import CodeKeys, code_keys
from bot.messages import MessageKeys, message_keys
from bot.textindex import Postings, add_postings

# Rows of the entries, in file order; their word postings, numbered from the first entry
# (or backwards from the last); their code keys and message keys; whether backwards.
Part = tuple[list[tuple], Postings, list[CodeKeys], list[MessageKeys], bool]


def index_files(paths: list[str], claims: str | None, backwards: bool) -> Part:
    """Parse and index the files nobody has claimed, from the first (or the last) on,
    until meeting the process that works from the other end."""
    order = range(len(paths) - 1, -1, -1) if backwards else range(len(paths))
    found: Postings = {}
    files = []  # (rows, code keys, message keys) of each file, in the order taken
    done = 0
    with bulk():
        for i in order:
            if not workers.claim(claims, i):
                break
            entries = load_file(Path(paths[i]))
            add_postings(found, entries, -(done + len(entries)) if backwards else done)
            done += len(entries)
            files.append((
                list(map(as_row, entries)),
                list(map(code_keys, entries)),
                list(map(message_keys, entries)),
            ))
    if backwards:
        files.reverse()
    rows, codes, messages = ([x for file in files for x in file[k]] for k in range(3))
    return rows, found, codes, messages, backwards
