"""Matcher benchmark: latency and throughput at the real catalog and a synthetic 10,000 entries.

Run: python -m tests.bench.matcher [--entries 10000] [--queries 2000] [--loads 5] [--phrases N]

Loading is timed in fresh processes (as a bot start or reload meets it) and reported as the
median and range: single runs here vary by a third.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.catalog import load_catalog
from bot.learning import Learned, LearnedIndex
from bot.matcher import Matcher
from tests.test_descriptions import (
    ACCOUNT,
    COUNTRY,
    DEVICES,
    LANGUAGES,
    NOT_SPOTIFY,
    REGION_TRACKS,
)
from tests.test_matcher import CAPTIONS, CODES, MESSAGES, NEGATIVES, OCR, PARAPHRASES


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))


def synthetic_catalog(folder: Path, n: int, seed: int = 7) -> None:
    """Write n entries shaped like the real ones (codes, messages, causes, steps) as YAML."""
    rng = random.Random(seed)
    vocab = [_word(rng) for _ in range(4000)]
    real = load_catalog()

    def sentence(k: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(k)).capitalize() + "."

    per_file = 1000
    for f in range(0, n, per_file):
        entries = []
        for i in range(f, min(n, f + per_file)):
            base = real.entries[i % len(real)]
            entries.append(
                {
                    "id": f"{_word(rng)}:{i}",
                    "codes": [f"SYNTH_{_word(rng).upper()}_{i}"],
                    "title": sentence(4)[:-1],
                    "severity": base.severity,
                    "platforms": list(base.platforms),
                    "categories": list(base.categories),
                    "messages": [sentence(rng.randint(5, 12))],
                    "cause_chain": [sentence(2)] * 3,
                    "causes": [sentence(8) for _ in range(3)],
                    "steps": [sentence(10) for _ in range(4)],
                    "note": sentence(20),
                    "keywords": [sentence(3)[:-1] for _ in range(5)],
                    "source": "synthetic",
                }
            )
        (folder / f"{f // per_file:03d}.yaml").write_text(
            yaml.safe_dump({"entries": entries}, sort_keys=False), encoding="utf-8"
        )


def queries_for(matcher: Matcher, count: int, seed: int = 11) -> list[str]:
    """Codes, whole and cut messages, OCR-damaged text, chatter and the tests' own cases."""
    rng = random.Random(seed)
    dev = [q for q, _ in CODES + OCR + MESSAGES + CAPTIONS + PARAPHRASES] + NEGATIVES
    out = []
    while len(out) < count:
        e = rng.choice(matcher.entries)
        kind = rng.randrange(5)
        if kind == 0:
            out.append(f"error code {e.id}")
        elif kind == 1 and e.messages:
            msg = rng.choice(e.messages)
            out.append(f"Spotify\n{msg}\nOK" if rng.random() < 0.5 else msg[: len(msg) * 2 // 3])
        elif kind == 2 and e.messages:
            out.append(rng.choice(e.messages).replace("l", "1").replace("o", "0"))
        elif kind == 3 and dev:
            out.append(rng.choice(dev))
        else:
            out.append(" ".join(rng.choice(e.keywords or e.causes).split()[:6]))
    return out


def measure(fn, queries: list[str]) -> dict[str, float]:
    times = []
    start = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    times.sort()
    return {
        "p50_ms": statistics.median(times) * 1e3,
        "p99_ms": times[int(len(times) * 0.99) - 1] * 1e3,
        "qps": len(queries) / total,
    }


def run(label: str, matcher: Matcher, queries: list[str], words: Matcher | None = None) -> None:
    """The matcher beside the same catalog by words alone (no meanings) and a naive search."""
    texts = [" ".join((e.id, e.title, *e.messages)) for e in matcher.entries]
    timed = [("matcher", measure(lambda q: matcher.match(q), queries))]
    if words is not None:
        timed.append(("  words only, no meanings", measure(lambda q: words.match(q), queries)))
    naive = measure(lambda q: process.extract(q, texts, scorer=fuzz.WRatio, limit=5), queries)
    timed.append(("naive rapidfuzz.process.extract", naive))
    print(f"{label} ({len(matcher.entries)} entries, {len(queries)} queries)")
    for name, r in timed:
        print(
            f"  {name:<32} p50 {r['p50_ms']:7.3f} ms   p99 {r['p99_ms']:7.3f} ms"
            f"   {r['qps']:9.0f} queries/s"
        )


def run_learned(matcher: Matcher, queries: list[str], phrases: int, seed: int = 5) -> None:
    """The same queries with and without a server's learned phrases, in alternating rounds."""
    rng = random.Random(seed)
    ids = [e.id for e in matcher.entries]
    # phrases in the catalog's own words, so questions share words with many of them
    words = sorted({w for e in matcher.entries for k in e.keywords for w in k.split()})
    learned = LearnedIndex(
        Learned(1, " ".join(rng.choices(words, k=rng.randint(3, 8))), ids[i % len(ids)], i % 2)
        for i in range(phrases)
    )
    # a tenth of the questions are learned ones, as in a server that taught the bot
    asked = [learned.phrases[i][-1].phrase if i % 10 == 0 else q for i, q in enumerate(queries)]
    rounds = {"without": [], "with": []}
    for _ in range(3):
        rounds["without"].append(measure(lambda q: matcher.match(q), asked))
        rounds["with"].append(measure(lambda q: matcher.match(q, learned=learned), asked))
    print(f"\nlearned phrases ({phrases} in one server, {len(asked)} queries, best of 3 rounds)")
    for name, runs in rounds.items():
        p50 = min(r["p50_ms"] for r in runs)
        p99 = min(r["p99_ms"] for r in runs)
        print(f"  {name + ' learned phrases':<32} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms")


# The peak is read from /proc (VmHWM): getrusage's ru_maxrss in a child counts the parent's
# size at the fork, which here is the whole bench.
_TIMED_LOAD = (
    "import sys, time; from bot.catalog import load_catalog;"
    " from bot.matcher import Matcher; t = time.perf_counter();"
    " Matcher(load_catalog(sys.argv[1] or None), meanings=sys.argv[2] == 'on');"
    " print(time.perf_counter() - t, next(line.split()[1] for line in open('/proc/self/status')"
    " if line.startswith('VmHWM')))"
)


def timed_load(folder: str, meanings: str) -> tuple[float, float]:
    """Seconds to load and index the folder in a fresh interpreter, and its peak MB."""
    done = subprocess.run(
        [sys.executable, "-c", _TIMED_LOAD, folder, meanings],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, kilobytes = done.stdout.split()
    return float(seconds), int(kilobytes) / 1024


def report_loads(folder: str, entries: int, runs: int) -> None:
    """Load times in fresh processes, as a start or a reload meets them: median and range."""
    print(f"\nloading and indexing {entries} entries from YAML, {runs} fresh processes:")
    for meanings in ("on", "off"):
        found = [timed_load(folder, meanings) for _ in range(runs)]
        times = sorted(t for t, _ in found)
        print(
            f"  meanings {meanings:<3}  median {statistics.median(times):5.2f} s"
            f"   range {times[0]:.2f}-{times[-1]:.2f} s"
            f"   peak memory {max(mb for _, mb in found):.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--loads", type=int, default=5, help="fresh-process load timings")
    parser.add_argument("--phrases", type=int, default=10_000, help="learned phrases")
    args = parser.parse_args()

    catalog = load_catalog()
    real, words = Matcher(catalog), Matcher(catalog, meanings=False)
    run("real catalog", real, queries_for(real, args.queries), words)
    english = [*COUNTRY, *ACCOUNT, *DEVICES, *REGION_TRACKS, *(q for q, _ in PARAPHRASES)]
    run("\nEnglish descriptions", real, english * (args.queries // len(english)), words)
    described = [q for q, _ in LANGUAGES] + NOT_SPOTIFY
    run("\ndescriptions in nine other languages", real, described * (args.queries // 15), words)
    run_learned(real, queries_for(real, args.queries), args.phrases)
    report_loads("", len(catalog), args.loads)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_catalog(Path(tmp), args.entries)
        report_loads(tmp, args.entries, args.loads)
        big, big_words = Matcher(load_catalog(tmp)), Matcher(load_catalog(tmp), meanings=False)
        run("\nsynthetic catalog", big, queries_for(big, min(args.queries, 1000)), big_words)


if __name__ == "__main__":
    main()
