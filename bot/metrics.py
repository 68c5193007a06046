"""Counters and a latency histogram, rendered in Prometheus' text format."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter


class Counted:
    """A counter with one label."""

    def __init__(self, name: str, help_text: str, label: str) -> None:
        self.name, self.help, self.label = name, help_text, label
        self.values: Counter[str] = Counter()

    def inc(self, value: str, n: int = 1) -> None:
        self.values[value] += n

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        lines += [f'{self.name}{{{self.label}="{k}"}} {v}' for k, v in sorted(self.values.items())]
        return lines


class Histogram:
    """Fixed buckets (seconds); cumulative counts as Prometheus expects."""

    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]) -> None:
        self.name, self.help, self.buckets = name, help_text, buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.buckets, seconds)] += 1
        self.sum += seconds

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        running = 0
        for bound, n in zip((*self.buckets, float("inf")), self.counts, strict=True):
            running += n
            le = "+Inf" if bound == float("inf") else repr(bound)
            lines.append(f'{self.name}_bucket{{le="{le}"}} {running}')
        lines += [f"{self.name}_sum {self.sum:.6f}", f"{self.name}_count {running}"]
        return lines


class Metrics:
    """Everything /metrics shows that the bot counts itself."""

    def __init__(self) -> None:
        self.lookups = Counted("seb_lookups_total", "Questions looked up, by outcome.", "outcome")
        self.answers = Counted("seb_answers_total", "Answers posted, by source.", "source")
        self.votes = Counted("seb_votes_total", "Votes, by outcome.", "outcome")
        self.match_seconds = Histogram(
            "seb_match_seconds",
            "Time to match one question.",
            (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
        )

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """The text exposition; `gauges` maps name to (help, value) read at scrape time."""
        lines: list[str] = []
        for metric in (self.lookups, self.answers, self.votes, self.match_seconds):
            lines += metric.render()
        for name, (help_text, value) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
        return "\n".join(lines) + "\n"
