"""Run part of a big catalog's loading in other processes, so it uses every CPU."""

from __future__ import annotations

import importlib
import itertools
import logging
import marshal
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_ROOT = str(Path(__file__).resolve().parent.parent)


def cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def split(sizes: Sequence[int], parts: int) -> list[slice]:
    """Consecutive slices of about equal total size."""
    total = sum(sizes)
    bounds = [0]
    done = 0
    for i, size in enumerate(sizes):
        if len(bounds) < parts and i > bounds[-1] and done + size / 2 > total * len(bounds) / parts:
            bounds.append(i)
        done += size
    bounds.append(len(sizes))
    return [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def share(func: str, items: list, sizes: Sequence[int] | None = None) -> list | None:
    """`module:function(items, claims, backwards)` over the items, on every CPU.

    The items are cut into consecutive segments, one per two CPUs. In each, one process works
    forwards from the start and one backwards from the end, each taking the next item nobody
    has taken (see `claim`), until they meet: a CPU that runs slow leaves more to its
    partner, and each process's items stay consecutive. This process works forwards in the
    first segment. Returns each process's result in item order, or None if a worker failed.
    """
    procs = min(cpus(), len(items))
    if procs < 2:
        return [_call(func, (items, None, False))]
    try:
        claimed = tempfile.TemporaryDirectory(prefix="catalog-claims-")
    except OSError as exc:
        log.warning("no temporary folder for worker processes (%s)", exc)
        return [_call(func, (items, None, False))]
    shares = split(sizes if sizes is not None else [1] * len(items), procs)
    with claimed as claims:
        jobs = []  # (segment's claims, its items, backwards), in item order
        for k in range(0, len(shares), 2):  # a segment: two shares, or the odd one out
            segment = slice(shares[k].start, shares[min(k + 1, len(shares) - 1)].stop)
            os.mkdir(folder := os.path.join(claims, str(k)))
            for backwards in (False, True)[: len(shares[k : k + 2])]:
                jobs.append((folder, items[segment], backwards))
        started = [Worker(func, (part, folder, backwards)) for folder, part, backwards in jobs[1:]]
        try:
            folder, part, backwards = jobs[0]
            results = [_call(func, (part, folder, backwards))] + [w.result() for w in started]
        finally:
            for worker in started:
                worker.close()
    return None if any(result is None for result in results) else results


def claim(claims: str | None, index: int) -> bool:
    """Take item `index` unless another process has: only one can create its file."""
    if claims is None:  # working alone
        return True
    try:
        os.close(os.open(os.path.join(claims, str(index)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _call(func: str, args: tuple) -> Any:
    module, name = func.split(":")
    return getattr(importlib.import_module(module), name)(*args)


class Worker:
    """One call of `module:function(*args)` in a fresh interpreter; data crosses as marshal."""

    def __init__(self, func: str, args: tuple) -> None:
        self.func = func
        self._proc: subprocess.Popen | None = None
        path = os.pathsep.join(filter(None, (_ROOT, os.environ.get("PYTHONPATH"))))
        try:
            # The arguments go through a file: a pipe would block us until the child reads.
            with tempfile.TemporaryFile() as data:
                marshal.dump(args, data)
                data.seek(0)
                self._proc = subprocess.Popen(
                    [sys.executable, "-c", "from bot.workers import main; main()", func],
                    stdin=data,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONPATH": path},
                )
        except OSError as exc:  # no interpreter, no temporary file, no processes left
            log.warning("cannot start a worker process (%s)", exc)

    def result(self) -> Any:
        """What the call returned; None if the worker did not start or failed."""
        if self._proc is None:
            return None
        out, _ = self._proc.communicate()
        if self._proc.returncode != 0:
            if self._proc.returncode != 3:  # 3: the call raised, as it will again
                log.warning("worker for %s exited with %s", self.func, self._proc.returncode)
            return None
        return marshal.loads(out)

    def close(self) -> None:
        """Stop the worker if it is still running."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def main() -> None:
    """A worker process: argv names the function, stdin holds its arguments."""
    try:
        result = _call(sys.argv[1], marshal.load(sys.stdin.buffer))
    except Exception:  # the parent repeats the call and reports the error properly
        sys.exit(3)
    sys.stdout.buffer.write(marshal.dumps(result))
    sys.stdout.buffer.flush()
    # The parent waits for this process's end: skip freeing millions of objects one by one.
    os._exit(0)
