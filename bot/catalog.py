"""Load the YAML error catalog and validate every entry."""

from __future__ import annotations

import gc
import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
# A checkout reads the repository's catalog/; an installed wheel its bundled copy.
DEFAULT_CATALOG = next(
    (p for p in (_HERE.parent / "catalog", _HERE / "bundled_catalog") if p.is_dir()),
    _HERE.parent / "catalog",
)
SEVERITIES = ("fatal", "error", "warn", "info")


class _Loader(getattr(yaml, "CBaseLoader", yaml.BaseLoader)):  # type: ignore[misc]
    """libyaml's parser when present, composing nodes without resolving tags.

    The catalog holds only strings, so a node's tag is never read; the resolver's three
    Python calls per node were a third of the time it takes to read a big catalog.
    """

    def descend_resolver(self, parent: object, index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: object, value: object, implicit: object) -> None:
        return None

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})

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


def _plain(node: yaml.Node) -> object:
    """Python data of a composed node: strings, lists, dicts, and None for an empty value."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.style is None and node.value in _NULLS else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    out: dict[str, object] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        if not isinstance(key, yaml.ScalarNode):
            raise _NodeError(line, None, "a key must be a plain name")
        if key.value in out:
            raise _NodeError(line, key.value, "given twice")
        out[key.value] = _plain(value)
    return out


class _NodeError(Exception):
    """A structural problem found while reading nodes, before the entry's id is known."""

    def __init__(self, line: int, field: str | None, problem: str) -> None:
        super().__init__(problem)
        self.line, self.field, self.problem = line, field, problem


@contextmanager
def bulk():
    """Pause the cyclic GC: a big catalog is millions of acyclic objects, rescanned for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()  # what was built lives as long as the catalog: keep it out of later scans
    finally:  # a failed load is not frozen: its leftovers must stay collectable
        if enabled:
            gc.enable()


def _label(node: yaml.Node, index: int) -> str:
    """The entry's id if its node has a plain one, else its position."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == "id" and isinstance(value, yaml.ScalarNode):
                return value.value
    return f"#{index + 1}"


_KINDS = {fld: kind for fld, (kind, _) in FIELDS.items()}
_REQUIRED = frozenset(fld for fld, (_, required) in FIELDS.items() if required)


def _text(node: yaml.Node) -> str:
    """A scalar node's text, stripped; "" for anything else or a null."""
    if type(node) is not yaml.ScalarNode or (node.style is None and node.value in _NULLS):
        return ""
    return node.value.strip()


def _quick_entry(node: yaml.Node, file: str) -> Entry | None:
    """A well-formed entry straight from its node, or None for the full check to look at.

    Nearly every entry is well-formed; skipping the plain-data copy that the full check
    reads saves a fifth of a big catalog's parse.
    """
    if type(node) is not yaml.MappingNode:
        return None
    values: dict[str, object] = {}
    for key, value in node.value:
        if type(key) is not yaml.ScalarNode or key.value in values:
            return None
        kind = _KINDS.get(key.value)
        if kind == "str":
            got: str | tuple[str, ...] = _text(value)
            good = bool(got)
        elif kind == "list" and type(value) is yaml.SequenceNode:
            got = tuple(map(_text, value.value))
            good = all(got) and (bool(got) or key.value not in NON_EMPTY)
        else:
            return None
        if not good:
            return None
        values[key.value] = got
    if not values.keys() >= _REQUIRED or values["severity"] not in SEVERITIES:
        return None
    return Entry(file=file, **values)  # type: ignore[arg-type]


def _check_entry(raw: object, file: str, index: int, line: int | None) -> Entry:
    if not isinstance(raw, dict):
        raise CatalogError(f"{_where(file, f'#{index + 1}', None, line)}: must be a mapping")
    name = raw.get("id")
    label = name if isinstance(name, str) and name.strip() else f"#{index + 1}"
    unknown = sorted(set(map(str, raw)) - FIELDS.keys())
    if unknown:
        raise CatalogError(
            f"{_where(file, label, unknown[0], line)}: unknown field (allowed: {', '.join(FIELDS)})"
        )
    values: dict[str, object] = {}
    for fld, (kind, required) in FIELDS.items():
        value = raw.get(fld)
        problem = None
        if value is None:
            problem = "missing" if required else None
        elif kind == "str":
            if isinstance(value, str) and value.strip():
                values[fld] = value.strip()
            else:
                problem = f"must be a non-empty string, got {value!r}"
        elif not isinstance(value, list):
            problem = f"must be a list, got {type(value).__name__}"
        else:
            items = tuple(item.strip() if isinstance(item, str) else "" for item in value)
            if not all(items):
                bad = value[items.index("")]
                problem = f"every item must be a non-empty string, got {bad!r}"
            elif fld in NON_EMPTY and not items:
                problem = "must not be empty"
            else:
                values[fld] = items
        if problem is not None:
            raise CatalogError(f"{_where(file, label, fld, line)}: {problem}")
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
        root = yaml.compose(text, Loader=_Loader)
        items = None
        if isinstance(root, yaml.MappingNode):
            found = [v for k, v in root.value if getattr(k, "value", None) == "entries"]
            if len(found) > 1:
                raise CatalogError(f"{name}: 'entries' is given {len(found)} times; use one list")
            items = found[0] if found else None
        if not isinstance(items, yaml.SequenceNode):
            raise CatalogError(f"{name}: must be a mapping with an 'entries' list")
        entries = []
        for i, node in enumerate(items.value):
            entry = _quick_entry(node, name)
            if entry is None:  # something is off, or unusual: the full check tells which
                line = node.start_mark.line + 1
                try:
                    raw = _plain(node)
                except _NodeError as exc:
                    where = _where(name, _label(node, i), exc.field, exc.line)
                    raise CatalogError(f"{where}: {exc.problem}") from None
                entry = _check_entry(raw, name, i, line)
            entries.append(entry)
        return entries
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(f"{name}{line}: invalid YAML: {problem}") from None
    except RecursionError:
        raise CatalogError(f"{name}: YAML aliases nest too deep") from None


# An entry as a plain tuple, and back with Entry(*row): what crosses to another process.
as_row = attrgetter(*(f.name for f in fields(Entry)))


def catalog_files(path: Path | str | None = None) -> tuple[Path, list[Path]]:
    """The catalog folder and its *.yaml files in name order, the order they load in."""
    folder = Path(path) if path is not None else DEFAULT_CATALOG
    if not folder.is_dir():
        raise CatalogError(f"{folder}: not a folder of catalog YAML files")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise CatalogError(f"{folder}: no .yaml files")
    return folder, files


def assemble(entries: list[Entry], folder: Path, files: int) -> Catalog:
    """The catalog of these entries, once ids and codes are checked unique across files."""
    owner: dict[str, tuple[str, str]] = {}  # normalised id/code -> (entry id, file)
    for entry in entries:
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
    log.info("catalog loaded: %d entries from %d files in %s", len(entries), files, folder)
    return Catalog(entries=entries, path=folder)


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load every *.yaml file of a folder (in name order) and check ids and codes are unique."""
    folder, files = catalog_files(path)
    with bulk():
        entries = [entry for file in files for entry in load_file(file)]
    return assemble(entries, folder, len(files))
