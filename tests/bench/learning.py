"""Learning benchmark: the real dev set before and after users' picks and moderators' links.

Run: python -m tests.bench.learning [--cases ../shared/eval/real-dev.json] [--links 20]

Replays what a server would do with the real reports: every question answered only with a
"Did you mean…" list whose expected entry is in the list is picked by three different users
(PICKS_TO_LEARN), and moderators link the `--links` weakest questions (nothing found first,
then a wrong first guess, then a list) to their entry. The same questions are then asked
again, and our own paraphrases of the linked questions (learning_paraphrases.json) show
whether learning reaches beyond the exact text.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.catalog import load_catalog
from bot.learning import Learned, LearnedIndex
from bot.matcher import Matcher, Result

HERE = Path(__file__).resolve().parent
DEFAULT_CASES = HERE.parents[2] / "shared" / "eval" / "real-dev.json"
GUILD = 1
LIST_SIZE = 5  # what "Did you mean…" shows


@dataclass(frozen=True, slots=True)
class Case:
    query: str
    expected: tuple[str, ...]


@dataclass(slots=True)
class Score:
    top1: int = 0
    sure_right: int = 0
    sure_wrong: int = 0
    total: int = 0

    def add(self, result: Result, expected: tuple[str, ...]) -> None:
        hit = result.best is not None and result.best.entry.id in expected
        self.total += 1
        self.top1 += hit
        self.sure_right += result.confident and hit
        self.sure_wrong += result.confident and not hit

    def line(self) -> str:
        return (
            f"top-1 {self.top1}/{self.total}   answered with confidence {self.sure_right}"
            f"   confident-wrong {self.sure_wrong}"
        )


def weakness(result: Result, expected: tuple[str, ...]) -> int:
    """0 nothing found, 1 a wrong first guess, 2 a right list, 3 a sure answer."""
    if result.best is None:
        return 0
    if result.best.entry.id not in expected:
        return 1
    return 3 if result.confident else 2


def score(matcher: Matcher, cases: list[Case], learned: LearnedIndex | None) -> Score:
    out = Score()
    for case in cases:
        out.add(matcher.match(case.query, learned=learned), case.expected)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--links", type=int, default=20)
    args = parser.parse_args()
    if not args.cases.is_file():
        print(f"no case file at {args.cases}: pass --cases PATH", file=sys.stderr)
        return 2
    raw = json.loads(args.cases.read_text(encoding="utf-8"))
    cases = [Case(c["query"], tuple(c["expected"])) for c in raw if c["expected"]]
    matcher = Matcher(load_catalog())
    results = [matcher.match(c.query) for c in cases]

    learned: list[Learned] = []
    for case, result in zip(cases, results, strict=True):
        listed = [m.entry.id for m in result.matches[:LIST_SIZE]]
        hit = next((e for e in listed if e in case.expected), None)
        if not result.confident and hit is not None:  # three people pick it from the list
            learned.append(Learned(GUILD, case.query, hit, by_moderator=False))
    order = sorted(range(len(cases)), key=lambda i: weakness(results[i], cases[i].expected))
    linked = [i for i in order if weakness(results[i], cases[i].expected) < 3][: args.links]
    for i in linked:
        learned.append(Learned(GUILD, cases[i].query, cases[i].expected[0], by_moderator=True))
    index = LearnedIndex(learned)

    picks = sum(not item.by_moderator for item in learned)
    print(f"{args.cases.name}: {len(cases)} questions naming a catalog error")
    print(f"learned: {picks} from users' picks, {len(linked)} linked by moderators")
    print(f"  before  {score(matcher, cases, None).line()}")
    print(f"  after   {score(matcher, cases, index).line()}")
    paraphrases = json.loads((HERE / "learning_paraphrases.json").read_text(encoding="utf-8"))
    rephrased = [Case(p["paraphrase"], (p["expected"],)) for p in paraphrases]
    print(f"our paraphrases of the linked questions ({len(rephrased)}):")
    print(f"  before  {score(matcher, rephrased, None).line()}")
    print(f"  after   {score(matcher, rephrased, index).line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
