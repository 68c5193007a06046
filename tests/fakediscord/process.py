"""BotProcess: the real bot in a subprocess (via the launcher) talking to a FakeDiscord."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .recording import FakeDiscordTimeout

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """`python -m tests.fakediscord.launch ARGS` with stdout+stderr in a log file."""

    def __init__(
        self,
        fake: FakeDiscord,
        args: Sequence[str] = (),
        *,
        env: dict[str, str] | None = None,
        log_dir: str | Path | None = None,
        python: str = sys.executable,
        cwd: str | Path = PROJECT_ROOT,
        entry: str | None = None,
    ) -> None:
        self.fake = fake
        self.entry = entry  # "module:function"; None: bot.__main__:main
        self.args = list(args)
        self.env = dict(env or {})
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="fakediscord-bot-"))
        self.log_path = self.log_dir / "bot.log"
        self.python = python
        self.cwd = Path(cwd)
        self.proc: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None
        self._identifies_before = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    def log_text(self) -> str:
        """Everything the bot printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self) -> BotProcess:
        env = os.environ.copy()
        env.update(self.env)
        env.update(
            FAKE_DISCORD_HTTP=self.fake.http_base,
            FAKE_DISCORD_GATEWAY=self.fake.gateway_url,
            PYTHONUNBUFFERED="1",
        )
        if self.entry:
            env["FAKE_DISCORD_ENTRY"] = self.entry
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.cwd), env.get("PYTHONPATH", "")) if p
        )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log_path.open("wb")
        self._identifies_before = len(self.fake.identify_payloads)
        self.proc = await asyncio.create_subprocess_exec(
            self.python,
            "-m",
            "tests.fakediscord.launch",
            *self.args,
            cwd=self.cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.info("bot started, pid %s, log %s", self.proc.pid, self.log_path)
        return self

    async def wait_ready(self, timeout: float = 15.0, line: str | None = None) -> None:
        """Until the bot processed READY/GUILD_CREATE, or until a log line matches `line`."""
        # "Processed" = after IDENTIFY it answered the HEARTBEAT request sent after GUILD_CREATE.
        deadline = time.monotonic() + timeout
        pattern = re.compile(line) if line else None
        while True:
            if self.proc is not None and self.proc.returncode is not None:
                raise AssertionError(
                    f"the bot exited with {self.proc.returncode} before "
                    f"it was ready; log tail:\n{self.log_text()[-3000:]}"
                )
            if pattern is not None:
                if pattern.search(self.log_text()):
                    return
            else:
                gw = self.fake.gateway
                if (
                    len(gw.identify_payloads) > self._identifies_before
                    and gw.current
                    and gw.current.ready
                ):
                    await asyncio.sleep(0.15)  # on_ready fires after guild_ready_timeout
                    return
            if time.monotonic() > deadline:
                raise FakeDiscordTimeout(
                    f"the bot was not ready within {timeout:g} s; "
                    f"log tail:\n{self.log_text()[-3000:]}"
                )
            await asyncio.sleep(0.02)

    async def wait(self, timeout: float | None = None) -> int:
        """Until the process exits; its return code."""
        assert self.proc is not None, "not started"
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return code

    async def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait (SIGKILL after `timeout`); the return code."""
        if self.proc is None:
            raise RuntimeError("not started")
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return await self.wait(timeout)
            except TimeoutError:
                log.warning("bot pid %s ignored SIGTERM for %g s; killing", self.pid, timeout)
                return await self.kill()
        return await self.wait()

    async def kill(self) -> int:
        """SIGKILL and wait; the return code."""
        if self.proc is None:
            raise RuntimeError("not started")
        if self.proc.returncode is None:
            self.proc.kill()
        return await self.wait()

    async def __aenter__(self) -> BotProcess:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            await self.stop()


async def start_bot(
    fake: FakeDiscord,
    args: Sequence[str] = (),
    *,
    env: dict[str, str] | None = None,
    log_dir: str | Path | None = None,
    entry: str | None = None,
    ready: bool = True,
    timeout: float = 15.0,
) -> BotProcess:
    """Start the bot via the launcher and (by default) wait until it is ready."""
    proc = await BotProcess(fake, args, env=env, log_dir=log_dir, entry=entry).start()
    if ready:
        try:
            await proc.wait_ready(timeout)
        except BaseException:
            await proc.kill()
            raise
    return proc
