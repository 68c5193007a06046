"""Shared fixtures for the catalog and CLI tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalog import load_catalog
from bot.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def matcher() -> Matcher:
    """One matcher over the bundled catalog, shared by every test."""
    return Matcher(load_catalog())


@pytest.fixture
def run_bot():
    """Run `python -m bot ARGS` from the project root; returns the CompletedProcess (bytes)."""

    def run(*args: str, stdin: bytes | None = None, env: dict | None = None):
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            env=env,
            timeout=60,
        )

    return run
