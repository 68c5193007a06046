"""Screenshot benchmark: OCR cost per image, the score over rendered screenshots of every kind,
and slash-command latency while the real bot reads a burst of images, beside an idle run.

Run: python -m tests.bench.screens [--per-kind 57] [--burst 50] [--slash 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bot.catalog import load_catalog
from bot.matcher import Matcher
from bot.screens import load_reader
from tests import screenshots as s
from tests.fakediscord import FakeDiscord, start_bot
from tests.support import bot_env

SLASH_CONCURRENCY = 4  # slash commands in flight while images are read
START = 100  # where the bench's entries and fonts start, away from the tests' samples


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def score(per_kind: int) -> None:
    """Every kind: top-1, confident-wrong, and seconds per image; other apps' dialogs too."""
    matcher = Matcher(load_catalog())
    reader = load_reader()
    print(f"engine: {reader.status}")
    shown = s.identifiable(matcher)
    rows: dict[str, dict] = defaultdict(lambda: {"n": 0, "top1": 0, "wrong": 0, "secs": []})
    for shot in s.positives(shown, per_kind, start=START):
        reading = reader.read_bytes(shot.name, shot.data)
        result = matcher.match(reading.text)
        got = result.best.entry.id if result.best else None
        row = rows[shot.kind]
        row["n"] += 1
        row["top1"] += got == shot.entry_id
        row["wrong"] += result.confident and got != shot.entry_id
        row["secs"].append(reading.seconds)
    negatives = {"n": 0, "confident": 0, "secs": []}
    for kind in s.KINDS:
        for shot in s.negatives((kind,)):
            reading = reader.read_bytes(shot.name, shot.data)
            negatives["n"] += 1
            negatives["confident"] += matcher.match(reading.text).confident
            negatives["secs"].append(reading.seconds)
    print(f"{len(shown)} entries whose dialog names them; {per_kind} screenshots per kind")
    print("| kind | screenshots | top-1 | confident-wrong | s/image p50 | p99 |")
    print("| --- | --- | --- | --- | --- | --- |")
    every: list[float] = []
    for kind, row in rows.items():
        every += row["secs"]
        print(
            f"| {kind} | {row['n']} | {row['top1']}/{row['n']} | {row['wrong']} |"
            f" {statistics.median(row['secs']):.3f} | {pct(row['secs'], 0.99):.3f} |"
        )
    top1 = sum(r["top1"] for r in rows.values())
    wrong = sum(r["wrong"] for r in rows.values())
    print(
        f"| all positives | {len(every)} | {top1}/{len(every)} | {wrong} |"
        f" {statistics.median(every):.3f} | {pct(every, 0.99):.3f} |"
    )
    print(
        f"| other apps' errors (every kind) | {negatives['n']} |"
        f" confident: {negatives['confident']} | — | {statistics.median(negatives['secs']):.3f} |"
        f" {pct(negatives['secs'], 0.99):.3f} |"
    )


async def slash_phase(fake: FakeDiscord, n: int, until=None) -> list[float]:
    """n slash commands (and more, until `until()` holds), SLASH_CONCURRENCY in flight."""
    latencies: list[float] = []
    count = iter(range(10**9))

    async def worker() -> None:
        for i in count:
            if i >= n and (until is None or until()):
                return
            result = await fake.slash_command("spotify-error", {"query": "error 2026"}, timeout=60)
            latencies.append(result.latency)

    await asyncio.gather(*(worker() for _ in range(SLASH_CONCURRENCY)))
    return latencies


def show(label: str, latencies: list[float]) -> None:
    print(
        f"| {label} | {len(latencies)} | {statistics.median(latencies) * 1e3:.0f} ms"
        f" | {pct(latencies, 0.99) * 1e3:.0f} ms |"
    )


async def burst(images: int, slash: int) -> None:
    """The real bot: slash commands idle, then while `images` screenshots land at once."""
    matcher = Matcher(load_catalog())
    shown = s.identifiable(matcher)
    faces = s.fonts()
    shots = [
        s.shoot(s.dialog_for(shown[i % len(shown)]), s.KINDS[i % len(s.KINDS)], faces[i % 3])
        for i in range(images)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord(validate=False) as fake:
            env = bot_env(fake, Path(tmp) / "db.sqlite3", LOG_LEVEL="INFO")
            proc = await start_bot(fake, ["run"], env=env, log_dir=tmp)
            try:
                await slash_phase(fake, 20)  # warm-up
                idle = await slash_phase(fake, slash)

                def read() -> int:
                    return proc.log_text().count("screenshot guild=")

                before = read()
                help_id = fake.channel_id("help")
                started = time.perf_counter()
                for i, shot in enumerate(shots):
                    author = fake.make_user(f"poster{i}")
                    await fake.dispatch_message(
                        help_id, "", files=[(shot.name, shot.data)], author=author
                    )
                busy = await slash_phase(fake, slash, until=lambda: read() - before >= images)
                drained = time.perf_counter() - started
                busy_lines = proc.log_text().count("problem='busy")
            finally:
                await proc.stop()
    print(f"{images} screenshots posted at once: all read in {drained:.1f} s ({busy_lines} busy)")
    print("| slash commands | n | p50 | p99 |")
    print("| --- | --- | --- | --- |")
    show("idle", idle)
    show(f"during the burst of {images} images", busy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=57)
    parser.add_argument("--burst", type=int, default=50, help="0 skips the bot's phase")
    parser.add_argument("--slash", type=int, default=200, help="0 skips the bot's phase")
    args = parser.parse_args()
    score(args.per_kind)
    if args.burst > 0 and args.slash > 0:
        asyncio.run(burst(args.burst, args.slash))


if __name__ == "__main__":
    main()
