"""`db backup PATH` and `db check`: for the operator, safe while the bot runs."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from bot.settings import SettingsError, database_path


def _source(args: argparse.Namespace) -> Path | None:
    try:
        path = Path(args.database) if args.database else database_path()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    if not path.is_file():
        print(f"error: no database at {path} (set DATABASE_URL or --database)", file=sys.stderr)
        return None
    return path


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy through SQLite's backup API, even while the bot writes."""
    source = _source(args)
    if source is None:
        return 2
    target = Path(args.path)
    if target.exists() and not args.force:
        print(f"error: {target} exists (use --force to overwrite)", file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        (ok,) = dst.execute("PRAGMA integrity_check").fetchone()
    print(f"backed up {source} to {target} ({target.stat().st_size:,} bytes, integrity {ok})")
    return 0 if ok == "ok" else 1


def cmd_check(args: argparse.Namespace) -> int:
    """Integrity, foreign keys and applied migrations."""
    source = _source(args)
    if source is None:
        return 2
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as db:
        integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
        orphans = db.execute("PRAGMA foreign_key_check").fetchall()
        migrations = [
            row[0] for row in db.execute("SELECT name FROM schema_migrations ORDER BY version")
        ]
        counts = {
            t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("lookups", "answers", "votes")
        }
    healthy = integrity == ["ok"] and not orphans
    print(f"database {source}: {'OK' if healthy else 'PROBLEMS FOUND'}")
    print(f"  integrity: {', '.join(integrity[:10])}")
    print(f"  foreign-key violations: {len(orphans)}")
    print(f"  migrations: {', '.join(migrations) or 'none'}")
    print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    return 0 if healthy else 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database tools: backup, check")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    backup = db_sub.add_parser("backup", help="consistent copy of the (running) database")
    backup.add_argument("path", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = db_sub.add_parser("check", help="integrity and foreign-key check")
    for parser, func in ((backup, cmd_backup), (check, cmd_check)):
        parser.add_argument(
            "--database", metavar="PATH", help="the SQLite file (default: from DATABASE_URL)"
        )
        parser.set_defaults(func=func)
