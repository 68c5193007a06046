"""The operator's `db` commands: backup, check, migrate, copy, export-learned."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import asyncpg

from bot.learning import learned_yaml
from bot.settings import load_settings, redact_url
from bot.store import DatabaseRefused, DatabaseUnreachable, open_store, sqlite_path
from bot.store.copy import CopyError, copy

TABLES = ("lookups", "answers", "votes", "picks", "learned")
# A PostgreSQL server that is down, unreachable or refuses us: one line, exit 1.
POSTGRES_FAILURES = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    DatabaseUnreachable,
    DatabaseRefused,
)
SALVAGE = (
    "stop the bot and put back the newest `db backup` copy; with no copy, salvage what is"
    " readable: sqlite3 {path} .recover | sqlite3 recovered.sqlite3"
)


class Unreadable(Exception):
    """The file cannot be read as the bot's database; the message says why and what to do."""


def _fail(text: str, code: int) -> int:
    print(f"error: {text}", file=sys.stderr)
    return code


def _url(args: argparse.Namespace) -> str:
    """--database (a SQLite path or a URL), else DATABASE_URL."""
    given = args.database
    if not given:
        return load_settings(need_token=False).database_url
    return given if "://" in given else f"sqlite:///{given}"


def _source(args: argparse.Namespace) -> Path:
    path = sqlite_path(_url(args))
    assert path is not None  # callers checked the scheme
    return path


def _postgres(args: argparse.Namespace) -> str | None:
    url = _url(args)
    return url if sqlite_path(url) is None else None


def _run(coro) -> int:
    """Run a PostgreSQL tool; a server that is down or refuses is one line, exit 1."""
    try:
        return asyncio.run(coro)
    except POSTGRES_FAILURES as exc:
        return _postgres_failed(exc)


def _postgres_failed(exc: BaseException) -> int:
    return _fail(f"PostgreSQL: {str(exc) or type(exc).__name__}", 1)


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _read(path: Path, db: sqlite3.Connection) -> tuple[list[str], int, list[str], dict[str, int]]:
    """Integrity, foreign-key violations, migrations and row counts, or Unreadable."""
    try:
        integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            return integrity, 0, [], {}
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "schema_migrations" not in names:
            raise Unreadable(
                f"{path} is a SQLite database without this bot's tables (no schema_migrations):"
                " check DATABASE_URL or --database"
            )
        orphans = len(db.execute("PRAGMA foreign_key_check").fetchall())
        migrations = [r[0] for r in db.execute("SELECT name FROM schema_migrations ORDER BY 1")]
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    except sqlite3.DatabaseError as exc:
        raise Unreadable(_explain(path, exc)) from None
    return integrity, orphans, migrations, counts


def _explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "not a database" in text:
        return f"{path} is not a SQLite database ({text}): check DATABASE_URL or --database"
    if "malformed" in text:
        return f"{path} is corrupt ({text}): " + SALVAGE.format(path=path)
    return f"{path} could not be read ({text})"


def cmd_check(args: argparse.Namespace) -> int:
    """Integrity, foreign keys and applied migrations; exit 1 when anything is wrong."""
    url = _postgres(args)
    if url is not None:
        return _run(_check_postgres(url))
    path = _source(args)
    if not path.is_file():
        return _fail(f"no database at {path} (set DATABASE_URL or --database)", 2)
    try:
        with closing(_open_readonly(path)) as db:
            integrity, orphans, migrations, counts = _read(path, db)
    except Unreadable as exc:
        print(f"database {path}: PROBLEMS FOUND\n  {exc}")
        return 1
    healthy = integrity == ["ok"] and not orphans
    print(f"database {path}: {'OK' if healthy else 'PROBLEMS FOUND'}")
    print(f"  integrity: {', '.join(integrity[:10])}")
    if integrity != ["ok"]:
        print("  what to do: " + SALVAGE.format(path=path))
        return 1
    print(f"  foreign-key violations: {orphans}")
    print(f"  migrations: {', '.join(migrations) or 'none'}")
    print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    return 0 if healthy else 1


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy through SQLite's backup API (pg_dump on PostgreSQL), bot running."""
    url = _postgres(args)
    if url is not None:
        return _backup_postgres(url, Path(args.path), args.force)
    source = _source(args)
    if not source.is_file():
        return _fail(f"no database at {source} (set DATABASE_URL or --database)", 2)
    target = Path(args.path)
    if target.is_dir():
        return _fail(f"{target} is a folder: give the path of the file to write", 2)
    if target.exists() and not args.force:
        return _fail(f"{target} exists (use --force to overwrite)", 2)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"cannot create the folder {target.parent}: {exc.strerror}", 2)
    partial = target.with_name(target.name + ".partial")  # a failed copy replaces nothing
    try:
        with closing(_open_readonly(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            (ok,) = dst.execute("PRAGMA integrity_check").fetchone()
        partial.replace(target)
    except sqlite3.DatabaseError as exc:
        return _fail(_explain(source, exc), 1)
    except OSError as exc:
        return _fail(f"cannot write {target}: {exc.strerror}", 2)
    finally:
        partial.unlink(missing_ok=True)
    print(f"backed up {source} to {target} ({target.stat().st_size:,} bytes, integrity {ok})")
    return 0 if ok == "ok" else 1


async def _check_postgres(url: str) -> int:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        names = {r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables")}
        if "schema_migrations" not in names:
            print(
                f"database {redact_url(url)}: PROBLEMS FOUND\n"
                "  no schema_migrations: run `python -m bot db migrate`"
            )
            return 1
        done = [r[0] for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY 1")]
        counts = {t: await conn.fetchval(f"SELECT COUNT(*) FROM {t}") for t in TABLES}
    finally:
        await conn.close()
    print(f"database {redact_url(url)}: OK")
    print(f"  migrations: {', '.join(done) or 'none'}")
    print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    return 0


def _backup_postgres(url: str, target: Path, force: bool) -> int:
    """pg_dump's custom format (restore with pg_restore); pg_dump must be installed."""
    if shutil.which("pg_dump") is None:
        return _fail("pg_dump not found: install the PostgreSQL client (postgresql-client)", 2)
    if target.exists() and not force:
        return _fail(f"{target} exists (use --force to overwrite)", 2)
    partial = target.with_name(target.name + ".partial")
    done = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={partial}", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return _fail(f"pg_dump: {redact_url(last)}", 1)
    partial.replace(target)
    print(f"backed up {redact_url(url)} to {target} ({target.stat().st_size:,} bytes, pg_dump)")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply pending migrations without starting the bot (the bot does it at start, too)."""
    url = _url(args)

    async def migrate() -> int:
        store = await open_store(url)
        await store.close()
        print(f"database {redact_url(url)}: migrations applied")
        return 0

    if sqlite_path(url) is None:
        return _run(migrate())
    try:
        return asyncio.run(migrate())
    except sqlite3.DatabaseError as exc:
        return _fail(_explain(_source(args), exc), 1)


def cmd_copy(args: argparse.Namespace) -> int:
    """Copy everything from one database to another; rerunnable; checks every row landed."""
    try:
        copied = _run_copy(args.source, args.target)
    except CopyError as exc:
        return _fail(str(exc), 2)
    if isinstance(copied, int):
        return copied
    missing = 0
    for c in copied:
        missing += c.source - c.found
        print(f"  {c.table}: {c.source:,} rows, {c.found:,} in the target")
    if missing:
        return _fail(f"{missing:,} rows did not reach the target", 1)
    print(f"copied {redact_url(args.source)} to {redact_url(args.target)}: every row is there")
    return 0


def _run_copy(source: str, target: str):
    try:
        return asyncio.run(copy(source, target))
    except POSTGRES_FAILURES as exc:
        return _postgres_failed(exc)
    except sqlite3.DatabaseError as exc:
        return _fail(f"SQLite: {exc}", 1)


def cmd_export_learned(args: argparse.Namespace) -> int:
    """Every server's learned phrases (or one's) as YAML in the catalog's keywords format."""
    url = _url(args)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return _fail(f"no database at {path} (set DATABASE_URL or --database)", 2)

    async def read() -> list:
        store = await open_store(url)
        try:
            return await store.learned(args.guild)
        finally:
            await store.close()

    try:
        learned = asyncio.run(read())
    except sqlite3.DatabaseError as exc:
        return _fail(_explain(path, exc), 1)
    except POSTGRES_FAILURES as exc:
        return _postgres_failed(exc)
    text = learned_yaml(learned)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror}", 2)
    print(f"wrote {len(learned)} learned phrases to {args.output}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database tools: backup, check, migrate, copy, export-learned")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    backup = db_sub.add_parser("backup", help="consistent copy of the (running) database")
    backup.add_argument("path", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = db_sub.add_parser("check", help="integrity and foreign-key check")
    export = db_sub.add_parser(
        "export-learned", help="learned phrases as YAML in the catalog's keywords format"
    )
    export.add_argument("--guild", type=int, help="only this server's (default: every server's)")
    export.add_argument("--output", metavar="PATH", help="write here (default: standard output)")
    migrate = db_sub.add_parser("migrate", help="apply pending migrations, bot stopped or not")
    commands = ((backup, cmd_backup), (check, cmd_check), (export, cmd_export_learned))
    for parser, func in (*commands, (migrate, cmd_migrate)):
        parser.add_argument(
            "--database",
            metavar="PATH|URL",
            help="a SQLite file or a database URL (default: DATABASE_URL)",
        )
        parser.set_defaults(func=func)
    move = db_sub.add_parser("copy", help="copy every row to another database (rerunnable)")
    move.add_argument("--from", dest="source", required=True, metavar="URL")
    move.add_argument("--to", dest="target", required=True, metavar="URL")
    move.set_defaults(func=cmd_copy)
