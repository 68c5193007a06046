"""Group commit: writes queue up, one writer commits them in batches and retries outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.store.base import BATCH_MAX, CLOSE_TIMEOUT, QUEUE_MAX, RETRY_FIRST, RETRY_MAX, StoreError

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Write:
    """One statement and its parameters, and who waits for its commit."""

    sql: str
    params: tuple
    done: asyncio.Future


def runs(batch: list[Write]) -> list[tuple[str, list[tuple]]]:
    """Consecutive writes of the same statement, for one executemany each."""
    out: list[tuple[str, list[tuple]]] = []
    for write in batch:
        if out and out[-1][0] == write.sql:
            out[-1][1].append(write.params)
        else:
            out.append((write.sql, [write.params]))
    return out


class WriteQueue:
    """A bounded queue of writes and the one task that commits them.

    `commit(batch)` writes a batch in one transaction. An exception of a `transient` type
    means the database refuses writes for now (locked, read-only, full, restarting): the
    batch waits and is retried with back-off. Any other exception is bad data: the batch is
    split so that only the bad write fails.
    """

    def __init__(
        self,
        commit: Callable[[list[Write]], Awaitable[None]],
        transient: tuple[type[BaseException], ...],
        name: str,
    ) -> None:
        self._commit = commit
        self._transient = transient
        self.failing: str | None = None  # the error while the database refuses writes
        self._queue: asyncio.Queue[Write] = asyncio.Queue(QUEUE_MAX)
        self._in_flight = 0
        self._task = asyncio.create_task(self._loop(), name=name)

    @property
    def queued(self) -> int:
        """Writes accepted but not yet committed."""
        return self._queue.qsize() + self._in_flight

    async def write(self, sql: str, params: tuple) -> None:
        """Queue one write and wait until it is committed (or fails for good)."""
        done = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(Write(sql, params, done))
        except asyncio.QueueFull:
            log.error(
                "store: %d writes waiting; refusing more until the database recovers", QUEUE_MAX
            )
            raise StoreError("too many writes waiting for the database") from None
        await done

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Finish queued writes, waiting at most `timeout` for a failing database."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            log.error("store: closing with %d writes NOT saved: %s", self.queued, self.failing)
        self._task.cancel()

    async def _loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH_MAX and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._in_flight = len(batch)
            try:
                await self._save(batch)
            finally:
                self._in_flight = 0
                for _ in batch:
                    self._queue.task_done()

    async def _save(self, batch: list[Write]) -> None:
        """Commit a batch; wait out a refusing database; isolate bad rows."""
        delay = RETRY_FIRST
        while True:
            try:
                await self._commit(batch)
            except self._transient as exc:
                if self.failing is None:
                    log.error(
                        "store: database refuses writes (%s); %d writes wait in memory",
                        _said(exc),
                        self.queued,
                    )
                self.failing = _said(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            except Exception as exc:  # bad data (or a bug): retrying cannot help, others go on
                if len(batch) > 1:
                    for write in batch:
                        await self._save([write])
                    return
                log.error("store: write rejected: %s", _said(exc))
                _settle(batch, StoreError(_said(exc)))
                return
            if self.failing is not None:
                log.warning("store: database takes writes again")
                self.failing = None
            _settle(batch, None)
            return


def _said(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _settle(batch: list[Write], error: Exception | None) -> None:
    for write in batch:
        if write.done.done():
            continue
        if error is None:
            write.done.set_result(None)
        else:
            write.done.set_exception(error)
