"""Terminal front end: `lookup` and `catalog check`."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import TextIO

from bot.catalog import CatalogError, load_catalog
from bot.loading import load_matcher
from bot.matcher import Matcher, Result
from bot.settings import Settings, load_settings
from bot.text import MAX_QUERY_CHARS


def add_catalog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog",
        metavar="PATH",
        default=None,
        help="folder of catalog YAML files (default: the bundled catalog, or CATALOG_PATH)",
    )


def catalog_path(path: str | None, settings: Settings | None = None) -> Path | None:
    """--catalog, else CATALOG_PATH (environment or .env), else None for the bundled catalog."""
    if path:
        return Path(path)
    return (settings or load_settings(need_token=False)).catalog_path


def matcher_for(path: str | None) -> Matcher:
    settings = load_settings(need_token=False)  # .env read once: CATALOG_PATH and MEANINGS
    return load_matcher(catalog_path(path, settings), settings.meanings)


def format_result(result: Result, out: TextIO) -> None:
    """Print an answer the way a person reads it."""
    best = result.best
    if best is None:
        out.write(
            "Nothing matched. Try the code (e.g. auth:73, error 2026) or the exact text"
            " of the error dialog.\n"
        )
        return
    if result.truncated:
        out.write(
            f"(The text was long: only its first {MAX_QUERY_CHARS:,} characters were searched.)\n"
        )
    if result.ambiguous:
        out.write("Several errors show this. Look for a code in the dialog to tell which.\n\n")
    elif not result.confident:
        out.write("Not sure. Best guess:\n\n")
    e = best.entry
    bullet = textwrap.TextWrapper(width=88, subsequent_indent="    ")
    numbered = textwrap.TextWrapper(width=88, subsequent_indent="      ")
    out.write(f"{e.id} — {e.title}\n")
    out.write(f"Severity: {e.severity}   Platforms: {', '.join(e.platforms)}\n")
    for message in e.messages:
        out.write(f'Message: "{message}"\n')
    if e.cause_chain:
        out.write("Cause chain: " + " → ".join(e.cause_chain) + "\n")
    out.write("\nCauses:\n")
    for cause in e.causes:
        out.write(bullet.fill(f"  - {cause}") + "\n")
    out.write("\nSteps:\n")
    for n, step in enumerate(e.steps, 1):
        out.write(numbered.fill(f"  {n:>2}. {step}") + "\n")
    if e.note:
        out.write(
            "\nNote:\n"
            + textwrap.fill(e.note, 88, initial_indent="  ", subsequent_indent="  ")
            + "\n"
        )
    out.write(f"\nMatched on {best.reason} (score {best.score:.0f}). Source: {e.cited}\n")
    if len(result.matches) > 1:
        out.write("\nOther candidates:\n")
        for m in result.matches[1:]:
            out.write(f"  {m.entry.id} — {m.entry.title} (score {m.score:.0f}; {m.reason})\n")


def _stdin_queries(stream) -> list[str]:
    """One JSON-encoded string per line; a line that is not one is taken as plain text."""
    queries = []
    for raw in stream:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        try:
            value = json.loads(line)
        except ValueError:
            value = line
        queries.append(value if isinstance(value, str) else json.dumps(value))
    return queries


def _usage(text: str) -> int:
    print(f"lookup: {text}", file=sys.stderr)
    return 2


def _read_images(paths: list[str]) -> list[tuple[str, str]] | str:
    """(path, text) per image read (one stderr line for each that is not), or why none can be."""
    from bot.screens import MAX_BYTES, load_reader  # Pillow and the engine: only when asked

    reader = load_reader()
    if not reader.available:
        return f"images are not read here: {reader.status}"
    read = []
    for path in paths:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:  # not even loaded
            print(f"lookup: {path}: not read: the file is {size / 1e6:.1f} MB", file=sys.stderr)
            continue
        reading = reader.read_bytes(path, Path(path).read_bytes())
        if reading.problem:
            print(f"lookup: {path}: not read: {reading.problem}", file=sys.stderr)
        elif not reading.text:
            print(f"lookup: {path}: no text found in the image", file=sys.stderr)
        else:
            read.append((path, reading.text))
    return read


def _screenshot_lines(matcher: Matcher, result: Result, read: list[tuple[str, str]]) -> str:
    """'Read from PATH: "…"' for each image whose text names the answer."""
    from bot.screens import deciding_line, quote

    if result.best is None:
        return ""
    lines = [
        (path, deciding_line(text, result.best.entry.id, matcher.match)) for path, text in read
    ]
    return "".join(f'Read from {path}: "{quote(line)}"\n' for path, line in lines if line)


def cmd_lookup(args: argparse.Namespace) -> int:
    images = args.image or []
    if args.stdin and (args.query is not None or images):
        return _usage("give the text as an argument (or --image) or with --stdin, not both")
    if not args.stdin and args.query is None and not images:
        return _usage("give the text to look up, --image PATH, or --stdin")
    if args.limit < 1:
        return _usage(f"--limit must be 1 or more (got {args.limit})")
    missing = [p for p in images if not Path(p).is_file()]
    if missing:
        return _usage(f"--image {missing[0]}: no such file")
    matcher = matcher_for(args.catalog)
    if images:
        read = _read_images(images)
        if isinstance(read, str):
            return _usage(read)
        query = "\n".join(t for t in [args.query or "", *(text for _, text in read)] if t.strip())
        result = matcher.match(query, limit=args.limit)
        if args.json:
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(_screenshot_lines(matcher, result, read))
            format_result(result, sys.stdout)
        return 0
    out = sys.stdout
    if args.stdin:
        for query in _stdin_queries(sys.stdin.buffer):
            out.write(
                json.dumps(matcher.match(query, limit=args.limit).to_json(), ensure_ascii=False)
                + "\n"
            )
        return 0
    result = matcher.match(args.query, limit=args.limit)
    if args.json:
        out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        format_result(result, out)
    return 0


def cmd_catalog_check(args: argparse.Namespace) -> int:
    catalog = load_catalog(catalog_path(args.catalog))
    summary = catalog.summary()
    print(f"catalog OK: {len(catalog)} entries in {catalog.path}")
    for title, counts in (
        ("per file", summary["file"]),
        ("per severity", summary["severity"]),
        ("per platform", summary["platform"]),
    ):
        print(f"\n{title}:")
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:>4}  {key}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    lookup = sub.add_parser("lookup", help="name the Spotify error behind a paste")
    lookup.add_argument("query", nargs="?", help="the code or text to look up")
    lookup.add_argument(
        "--image",
        action="append",
        metavar="PATH",
        help="a screenshot to read (PNG, JPEG, WebP, GIF); repeatable, and with a query too",
    )
    lookup.add_argument("--json", action="store_true", help="print one JSON object")
    lookup.add_argument(
        "--stdin",
        action="store_true",
        help="read one JSON string per line, write one JSON object per line",
    )
    lookup.add_argument(
        "--limit", type=int, default=5, metavar="N", help="how many matches to list (default 5)"
    )
    add_catalog_option(lookup)
    lookup.set_defaults(func=cmd_lookup)

    catalog = sub.add_parser("catalog", help="catalog tools")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    check = catalog_sub.add_parser("check", help="validate the catalog and summarise it")
    add_catalog_option(check)
    check.set_defaults(func=cmd_catalog_check)


def handle_catalog_error(exc: CatalogError) -> int:
    """Every problem of the catalog, one line each."""
    for line in str(exc).splitlines():
        print(f"catalog error: {line}", file=sys.stderr)
    return 1
