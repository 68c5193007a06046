"""What the bot counts for /metrics, through prometheus_client (one registry per bot)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Matching takes well under a millisecond; the top buckets catch a slow paste or a stall.
MATCH_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05)
# OCR of a dialog takes 0.03 s, of a whole desktop 0.6 s; the limit per image is 10 s.
OCR_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Counters, the match-time histogram, and gauges read when Prometheus scrapes."""

    def __init__(self) -> None:
        # Its own registry, not the process-wide default: tests run several bots in one process.
        self.registry = CollectorRegistry()
        self.lookups = Counter(
            "seb_lookups", "Questions looked up, by outcome.", ["outcome"], registry=self.registry
        )
        self.answers = Counter(
            "seb_answers", "Answers posted, by source.", ["source"], registry=self.registry
        )
        self.votes = Counter("seb_votes", "Votes, by outcome.", ["outcome"], registry=self.registry)
        self.match_seconds = Histogram(
            "seb_match_seconds",
            "Time to match one question.",
            buckets=MATCH_BUCKETS,
            registry=self.registry,
        )

        self.screenshots = Counter(
            "seb_screenshots",
            "Images read, by outcome: matched, unmatched, no text, unreadable.",
            ["outcome"],
            registry=self.registry,
        )
        self.ocr_seconds = Histogram(
            "seb_ocr_seconds",
            "Time to read one image.",
            buckets=OCR_BUCKETS,
            registry=self.registry,
        )

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """A value read at scrape time."""
        Gauge(name, help_text, registry=self.registry).set_function(read)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
