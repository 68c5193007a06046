"""Load the YAML error catalog, checking every entry; every problem is reported at once."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import yaml

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
# A checkout reads the repository's catalog/; an installed wheel its bundled copy.
DEFAULT_CATALOG = next(
    (p for p in (_HERE.parent / "catalog", _HERE / "bundled_catalog") if p.is_dir()),
    _HERE.parent / "catalog",
)
SEVERITIES = ("fatal", "error", "warn", "info")
# Names and links of the documents entries cite by key; not itself a file of entries.
SOURCES_FILE = "sources.yaml"
# How people describe each error, one file per language: an entry's `said` phrases.
WORDS_FOLDER = "words"
# What other programs print for each error: an entry's `clients` messages.
CLIENTS_FILE = "clients.yaml"


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
    """A catalog that cannot be used: one line per problem, naming file:line, entry and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Source:
    """The document an entry's facts come from, as a reader recognises it."""

    name: str
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.name} <{self.url}>" if self.url else self.name


class ClientMessage(NamedTuple):
    """A message another program prints for an entry's error (clients.yaml)."""

    program: str
    text: str


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
    # From words/<lang>.yaml: searched like keywords, but they name other products as context
    # ("since I installed steam"), so they are not Spotify's naming vocabulary (bot/owners.py).
    said: tuple[str, ...] = ()
    said_in_english: tuple[str, ...] = ()  # those of words/en.yaml, for bot/meanings.py
    clients: tuple[ClientMessage, ...] = ()  # from clients.yaml
    file: str = field(default="", compare=False)
    cites: Source | None = field(default=None, compare=False)  # what `source` names

    @property
    def client_texts(self) -> tuple[str, ...]:
        """What other programs print for this error, without their names."""
        return tuple(message.text for message in self.clients)

    @property
    def cited(self) -> Source:
        """The source to show: its name and link, or the `source` text itself."""
        if self.cites is not None:
            return self.cites
        return Source(self.source, self.source if self.source.startswith("https://") else None)


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


class _Spelling(NamedTuple):
    """An id or code as written, where, for the check that no two entries share one."""

    text: str
    field: str
    entry: str
    at: str  # file:line


def _where(at: str, entry: str | None = None, fld: str | None = None) -> str:
    parts = [at]
    if entry:
        parts.append(f"entry {entry}")
    if fld:
        parts.append(f"field '{fld}'")
    return ", ".join(parts)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _plain(node: yaml.Node) -> object:
    """What a node holds, for a problem's message."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.style is None and node.value in _NULLS else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    return {getattr(k, "value", "?"): _plain(v) for k, v in node.value}


def _text(node: yaml.Node) -> str:
    """A scalar node's text, stripped; "" for anything else or a null."""
    if type(node) is not yaml.ScalarNode or (node.style is None and node.value in _NULLS):
        return ""
    return node.value.strip()


def _value(fld: str, node: yaml.Node) -> tuple[str | tuple[str, ...] | None, str | None]:
    """A field's value, or the problem with it."""
    if FIELDS[fld][0] == "str":
        text = _text(node)
        return (text, None) if text else (None, f"must be a non-empty string, got {_plain(node)!r}")
    if type(node) is not yaml.SequenceNode:
        return None, f"must be a list, got {type(_plain(node)).__name__}"
    items = tuple(map(_text, node.value))
    if "" in items:
        return (
            None,
            f"every item must be a non-empty string, got {_plain(node.value[items.index('')])!r}",
        )
    if fld in NON_EMPTY and not items:
        return None, "must not be empty"
    return items, None


def _entry(
    node: yaml.Node, file: str, index: int, problems: list[str], spellings: list[_Spelling]
) -> Entry | None:
    """The entry of one node, or None with its problems added; its id and codes are noted."""
    at = f"{file}:{_line(node)}"
    if type(node) is not yaml.MappingNode:
        problems.append(f"{_where(at, f'#{index + 1}')}: must be a mapping")
        return None
    ids = [v for k, v in node.value if getattr(k, "value", None) == "id"]
    label = (_text(ids[0]) if ids else "") or f"#{index + 1}"
    found = len(problems)
    values: dict[str, object] = {}
    said: list[_Spelling] = []
    for key, value in node.value:
        here = f"{file}:{_line(key)}"
        name = key.value if type(key) is yaml.ScalarNode else None
        if name is None:
            problems.append(f"{_where(here, label)}: a key must be a plain name")
        elif name not in FIELDS:
            problems.append(
                f"{_where(here, label, name)}: unknown field (allowed: {', '.join(FIELDS)})"
            )
        elif name in values:
            problems.append(f"{_where(here, label, name)}: given twice")
        elif _text(value) or type(value) is not yaml.ScalarNode:  # a null is as if absent
            got, problem = _value(name, value)
            values[name] = got
            if name == "severity" and got not in (None, *SEVERITIES):
                problem = f"{got!r} is not one of {', '.join(SEVERITIES)}"
            if problem:
                problems.append(f"{_where(here, label, name)}: {problem}")
            elif name == "id":
                said.append(_Spelling(label, "id", label, at))
            elif name == "codes":
                said += [
                    _Spelling(_text(c), name, label, f"{file}:{_line(c)}") for c in value.value
                ]
    for fld, (_, required) in FIELDS.items():
        if required and fld not in values:
            problems.append(f"{_where(at, label, fld)}: missing")
    if len(problems) > found:
        return None
    spellings += said
    return Entry(file=file, **values)  # type: ignore[arg-type]


def _compose(path: Path, problems: list[str]) -> yaml.Node | None:
    """A file's YAML node tree (None when empty), or None with the problem added."""
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path.name}: cannot read: {exc}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problems.append(f"{path.name}{line}: invalid YAML: {getattr(exc, 'problem', None) or exc}")
    except RecursionError:
        problems.append(f"{path.name}: YAML aliases nest too deep")
    return None


def _items(root: yaml.Node | None, name: str, key: str, problems: list[str]) -> list:
    """The (key, value) pairs or nodes under the root's one `key`, or [] with the problem."""
    kind = yaml.SequenceNode if key == "entries" else yaml.MappingNode
    pairs = root.value if type(root) is yaml.MappingNode else []
    found = [v for k, v in pairs if getattr(k, "value", None) == key]
    if len(found) != 1 or type(found[0]) is not kind:
        shape = "list" if key == "entries" else "mapping"
        problems.append(f"{name}: must be a mapping with one '{key}' {shape}")
        return []
    return found[0].value


def load_file(path: Path, problems: list[str], spellings: list[_Spelling]) -> list[Entry]:
    """The good entries of one file; its problems, and its ids and codes, are added."""
    before = len(problems)
    root = _compose(path, problems)
    if len(problems) > before:  # unreadable: no entries to look at
        return []
    nodes = _items(root, path.name, "entries", problems)
    found = (_entry(node, path.name, i, problems, spellings) for i, node in enumerate(nodes))
    return [entry for entry in found if entry is not None]


def _clashes(spellings: list[_Spelling]) -> list[str]:
    """Ids given twice and codes claimed by two entries (case and spacing aside)."""
    problems, first = [], {}
    for spelling in spellings:
        key = " ".join(spelling.text.casefold().split())
        prev = first.setdefault(key, spelling)
        if prev is spelling or (prev.entry == spelling.entry and spelling.field == "codes"):
            continue
        where = _where(spelling.at, spelling.entry, spelling.field)
        if spelling.field == "id" and prev.field == "id":
            problems.append(f"{where}: duplicate id, first at {prev.at}")
        else:
            problems.append(
                f"{where}: {spelling.text!r} is already used by entry {prev.entry} at {prev.at}"
            )
    return problems


def _sources(folder: Path, problems: list[str]) -> dict[str, Source]:
    """The folder's cited documents by key (none without a sources file)."""
    path = folder / SOURCES_FILE
    if not path.exists():
        return {}
    before = len(problems)
    root = _compose(path, problems)
    if len(problems) > before:
        return {}
    sources = {}
    for key, node in _items(root, SOURCES_FILE, "sources", problems):
        pairs = node.value if type(node) is yaml.MappingNode else []
        given = {getattr(k, "value", None): _text(v) for k, v in pairs}
        if not given.get("name"):
            problems.append(f"{SOURCES_FILE}:{_line(key)}, source {_text(key)}: needs a name")
            continue
        sources[_text(key)] = Source(given["name"], given.get("url") or None)
    return sources


def _by_id(pairs: list, name: str, ids: set[str], problems: list[str], what: str):
    """(entry id, strings) of each good key of a mapping from ids to lists of strings."""
    for key, node in pairs:
        at, entry = f"{name}:{_line(key)}", _text(key)
        got, problem = _value("keywords", node)
        if entry not in ids:
            problem = "no entry has this id"
        if problem:
            problems.append(f"{_where(at, entry or '?', what)}: {problem}")
        else:
            yield entry, got


def _words(folder: Path, ids: set[str], problems: list[str]) -> dict[str, dict[str, tuple]]:
    """Phrases per language file ("en", "ru", …) and entry id (none without the folder)."""
    said: dict[str, dict[str, tuple[str, ...]]] = {}
    words = folder / WORDS_FOLDER
    for path in sorted(words.glob("*.yaml")) if words.is_dir() else ():
        name = f"{WORDS_FOLDER}/{path.name}"
        before = len(problems)
        root = _compose(path, problems)
        if len(problems) > before:
            continue
        for entry, got in _by_id(
            _items(root, name, "words", problems), name, ids, problems, "words"
        ):
            said.setdefault(path.stem, {})[entry] = got
    return said


def _clients(
    folder: Path, ids: set[str], problems: list[str]
) -> dict[str, tuple[ClientMessage, ...]]:
    """Other programs' messages per entry id from clients.yaml (none without the file)."""
    path = folder / CLIENTS_FILE
    before = len(problems)
    root = _compose(path, problems) if path.exists() else None
    found: dict[str, tuple[ClientMessage, ...]] = {}
    if root is None or len(problems) > before:
        return found
    for key, node in _items(root, CLIENTS_FILE, "programs", problems):
        program = _text(key)
        given = node.value if type(node) is yaml.MappingNode else []
        messages = [v for k, v in given if getattr(k, "value", None) == "messages"]
        if not program or len(messages) != 1 or type(messages[0]) is not yaml.MappingNode:
            problems.append(
                f"{CLIENTS_FILE}:{_line(key)}, program {program or '?'}: needs a 'messages' mapping"
            )
            continue
        for entry, got in _by_id(messages[0].value, CLIENTS_FILE, ids, problems, "messages"):
            found[entry] = found.get(entry, ()) + tuple(ClientMessage(program, t) for t in got)
    return found


def catalog_files(path: Path | str | None = None) -> tuple[Path, list[Path]]:
    """The catalog folder and its entry files in name order, the order they load in."""
    folder = Path(path) if path is not None else DEFAULT_CATALOG
    if not folder.is_dir():
        raise CatalogError([f"{folder}: not a folder of catalog YAML files"])
    files = sorted(
        p
        for p in folder.iterdir()
        if p.suffix in (".yaml", ".yml") and p.name not in (SOURCES_FILE, CLIENTS_FILE)
    )
    if not files:
        raise CatalogError([f"{folder}: no .yaml files"])
    return folder, files


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Every entry file of a folder, in name order; any problem of any file raises them all."""
    folder, files = catalog_files(path)
    problems: list[str] = []
    spellings: list[_Spelling] = []
    entries = [entry for file in files for entry in load_file(file, problems, spellings)]
    problems += _clashes(spellings)
    sources = _sources(folder, problems)
    ids = {e.id for e in entries}
    words = _words(folder, ids, problems)
    said = {i: sum((lang.get(i, ()) for lang in words.values()), ()) for i in ids}
    english = words.get("en", {})
    clients = _clients(folder, ids, problems)
    if problems:
        raise CatalogError(problems)
    entries = [
        replace(
            e,
            cites=sources.get(e.source),
            said=said[e.id],
            said_in_english=english.get(e.id, ()),
            clients=clients.get(e.id, ()),
        )
        if e.source in sources or said[e.id] or e.id in clients
        else e
        for e in entries
    ]
    log.info("catalog loaded: %d entries from %d files in %s", len(entries), len(files), folder)
    return Catalog(entries=entries, path=folder)
