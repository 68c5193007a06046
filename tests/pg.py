"""A throwaway PostgreSQL server for the tests: initdb, start on a unix socket, stop.

python -m tests.pg start DIR    prints the server's URL (CI exports it to the tests)
python -m tests.pg stop DIR
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Tests need speed, not durability: a crash loses a throwaway cluster anyway. (Fault tests
# that stop the server mid-write start theirs with DURABLE: a commit is then on its WAL.)
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
DURABLE = "-c fsync=off -c synchronous_commit=on"
ENV_URL = "SEB_TEST_POSTGRES"  # a running server's URL; set by .ci/run


def bindir() -> Path | None:
    """Where Debian's (or PATH's) initdb and pg_ctl are, or None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(cmd: list[str]) -> list[str]:
    """initdb refuses root: run the server as the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def url_for(folder: Path, database: str = "postgres") -> str:
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    return f"postgresql://{user}@/{database}?host={folder}"


def start(folder: Path, settings: str = "") -> str:
    """Create and start a cluster in `folder` (socket inside it); returns its URL."""
    bins = bindir()
    if bins is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb)")
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    initdb = [str(bins / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"]
    subprocess.run(_as_owner(initdb), check=True, capture_output=True)
    (folder / "settings").write_text(settings or FAST)
    _pg_ctl_start(bins, folder)
    return url_for(folder)


def _pg_ctl_start(bins: Path, folder: Path) -> None:
    settings = (folder / "settings").read_text()
    options = f"{settings} -c listen_addresses='' -c unix_socket_directories={folder}"
    log = str(folder / "server.log")
    cmd = [str(bins / "pg_ctl"), "-D", str(folder / "data"), "-o", options, "-l", log, "-w"]
    subprocess.run(_as_owner([*cmd, "start"]), check=True, capture_output=True)


def stop(folder: Path, mode: str = "fast") -> None:
    bins = bindir()
    if bins is not None and (folder / "data").is_dir():
        subprocess.run(
            _as_owner([str(bins / "pg_ctl"), "-D", str(folder / "data"), "-m", mode, "stop"]),
            capture_output=True,
            check=False,
        )


def restart(folder: Path) -> None:
    """Stop (fast: clients are cut off, commits kept) and start the same cluster again."""
    stop(folder)
    _pg_ctl_start(bindir(), folder)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[1])
    if argv[0] == "start":
        print(start(folder))
    else:
        stop(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
