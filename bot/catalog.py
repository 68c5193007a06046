"""Load the YAML error catalog and validate every entry."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "catalog"
SEVERITIES = ("fatal", "error", "warn", "info")

# field -> (kind, required); kind "str" or "list"
FIELDS: dict[str, tuple[str, bool]] = {
    "id": ("str", True),
    "codes": ("list", False),
    "title": ("str", True),
    "severity": ("str", True),
    "platforms": ("list", True),
    "categories": ("list", True),
    "messages": ("list", True),
    "cause_chain": ("list", False),
    "causes": ("list", True),
    "steps": ("list", True),
    "note": ("str", False),
    "keywords": ("list", False),
    "source": ("str", True),
}
# Lists that must hold at least one item.
NON_EMPTY = ("platforms", "categories", "causes", "steps")


class CatalogError(Exception):
    """A catalog that cannot be used; the message names file, entry and field."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One catalog entry: a Spotify error with its causes and fix steps."""

    id: str
    title: str
    severity: str
    platforms: tuple[str, ...]
    categories: tuple[str, ...]
    messages: tuple[str, ...]
    causes: tuple[str, ...]
    steps: tuple[str, ...]
    source: str
    codes: tuple[str, ...] = ()
    cause_chain: tuple[str, ...] = ()
    note: str = ""
    keywords: tuple[str, ...] = ()
    file: str = field(default="", compare=False)


@dataclass(slots=True)
class Catalog:
    """All entries, in file-name then file order, with lookup by id."""

    entries: list[Entry]
    path: Path
    by_id: dict[str, Entry] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {e.id: e for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    def summary(self) -> dict[str, Counter]:
        """Counts of entries per file, severity and platform."""
        return {
            "file": Counter(e.file for e in self.entries),
            "severity": Counter(e.severity for e in self.entries),
            "platform": Counter(p for e in self.entries for p in e.platforms),
        }


def _where(file: str, entry: str | None, fld: str | None, line: int | None) -> str:
    parts = [file if line is None else f"{file}:{line}"]
    if entry is not None:
        parts.append(f"entry {entry}")
    if fld is not None:
        parts.append(f"field '{fld}'")
    return ", ".join(parts)


def _entry_lines(text: str) -> list[int]:
    """1-based line of each item in the top-level `entries` list, for error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "entries" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _check_entry(raw: object, file: str, index: int, line: int | None) -> Entry:
    if not isinstance(raw, dict):
        raise CatalogError(f"{_where(file, f'#{index + 1}', None, line)}: must be a mapping")
    name = raw.get("id")
    label = name if isinstance(name, str) and name.strip() else f"#{index + 1}"
    unknown = sorted(set(map(str, raw)) - FIELDS.keys())
    if unknown:
        raise CatalogError(
            f"{_where(file, label, unknown[0], line)}: unknown field"
            f" (allowed: {', '.join(FIELDS)})"
        )
    values: dict[str, object] = {}
    for fld, (kind, required) in FIELDS.items():
        value = raw.get(fld)
        where = _where(file, label, fld, line)
        if value is None:
            if required:
                raise CatalogError(f"{where}: missing")
            continue
        if kind == "str":
            if not isinstance(value, str) or not value.strip():
                raise CatalogError(f"{where}: must be a non-empty string, got {value!r}")
            values[fld] = value.strip()
            continue
        if not isinstance(value, list):
            raise CatalogError(f"{where}: must be a list, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise CatalogError(f"{where}: every item must be a non-empty string, got {item!r}")
        if fld in NON_EMPTY and not value:
            raise CatalogError(f"{where}: must not be empty")
        values[fld] = tuple(item.strip() for item in value)
    if values["severity"] not in SEVERITIES:
        raise CatalogError(
            f"{_where(file, label, 'severity', line)}: {values['severity']!r} is not one of"
            f" {', '.join(SEVERITIES)}"
        )
    return Entry(file=file, **values)  # type: ignore[arg-type]


def load_file(path: Path) -> list[Entry]:
    """Parse and validate one catalog file."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{name}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(f"{name}{line}: invalid YAML: {problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CatalogError(f"{name}: must be a mapping with an 'entries' list")
    lines = _entry_lines(text)
    return [
        _check_entry(raw, name, i, lines[i] if i < len(lines) else None)
        for i, raw in enumerate(data["entries"])
    ]


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load every *.yaml file of a folder (in name order) and check ids and codes are unique."""
    folder = Path(path) if path is not None else DEFAULT_CATALOG
    if not folder.is_dir():
        raise CatalogError(f"{folder}: not a folder of catalog YAML files")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise CatalogError(f"{folder}: no .yaml files")
    entries: list[Entry] = []
    owner: dict[str, tuple[str, str]] = {}  # normalised id/code -> (entry id, file)
    for file in files:
        for entry in load_file(file):
            for fld, spelling in [("id", entry.id)] + [("codes", c) for c in entry.codes]:
                key = " ".join(spelling.casefold().split())
                prev = owner.get(key)
                if prev is not None and prev[0] != entry.id:
                    raise CatalogError(
                        f"{_where(entry.file, entry.id, fld, None)}: {spelling!r} is already"
                        f" used by entry {prev[0]} in {prev[1]}"
                    )
                if prev is not None and fld == "id":
                    raise CatalogError(
                        f"{_where(entry.file, entry.id, 'id', None)}: duplicate id"
                        f" (first in {prev[1]})"
                    )
                owner[key] = (entry.id, entry.file)
            entries.append(entry)
    log.info("catalog loaded: %d entries from %d files in %s", len(entries), len(files), folder)
    return Catalog(entries=entries, path=folder)
