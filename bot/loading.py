"""Load and index a catalog folder."""

from __future__ import annotations

from pathlib import Path

from bot.catalog import load_catalog
from bot.matcher import Matcher


def load_matcher(path: Path | str | None = None, meanings: bool = True) -> Matcher:
    """The matcher of a catalog folder (the bundled catalog by default)."""
    return Matcher(load_catalog(path), meanings)
