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
    """Consecutive slices of about equal total size.

    Equal, though a worker starts late (a fresh interpreter, about 0.15 s): this process
    has to take in the workers' results after its own share, which costs as much.
    """
    total = sum(sizes)
    bounds = [0]
    done = 0
    for i, size in enumerate(sizes):
        if len(bounds) < parts and i > bounds[-1] and done + size / 2 > total * len(bounds) / parts:
            bounds.append(i)
        done += size
    bounds.append(len(sizes))
    return [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def spread(func: str, items: list, sizes: Sequence[int] | None = None) -> list:
    """`module:function(part)` on consecutive parts of the items, one per CPU.

    Returns each part's result in order; this process does the first part itself.
    """
    parts = min(cpus(), len(items))
    if parts < 2:
        return [_call(func, (items,))]
    own, *others = split(sizes if sizes is not None else [1] * len(items), parts)
    started = [Worker(func, (items[part],)) for part in others]
    try:
        return [_call(func, (items[own],))] + [w.result() for w in started]
    finally:
        for worker in started:
            worker.close()


def _call(func: str, args: tuple) -> Any:
    module, name = func.split(":")
    return getattr(importlib.import_module(module), name)(*args)


class Worker:
    """One call of `module:function(*args)` in a fresh interpreter; data crosses as marshal.

    A worker that cannot start or fails is not an error: `result` then runs the call here,
    which raises whatever the worker met, with the same message.
    """

    def __init__(self, func: str, args: tuple) -> None:
        self.func, self.args = func, args
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
            log.warning("cannot start a worker process (%s); working in this one", exc)

    def result(self) -> Any:
        """What the call returned."""
        if self._proc is not None:
            out, _ = self._proc.communicate()
            if self._proc.returncode == 0:
                return marshal.loads(out)
            if self._proc.returncode != 3:  # 3: the call raised; it will again, here
                log.warning("worker for %s exited with %s", self.func, self._proc.returncode)
        return _call(self.func, self.args)

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
