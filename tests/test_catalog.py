"""The error catalog: the bundled files against the public id table, and broken catalogs."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.catalog import SEVERITIES, CatalogError, load_catalog
from bot.matcher import Matcher
from tests.support import FIREWALL_IDS

ROOT = Path(__file__).resolve().parent.parent
IDS_DOC = ROOT / "catalog" / "ids.md"
FIREWALL = "A firewall may be blocking Spotify."
FLUX = "The flux capacitor overheated unexpectedly."


def _loose(text: str) -> str:
    return " ".join(text.replace("\u2212", "-").casefold().split())


def _id_table() -> list[tuple[str, list[str]]]:
    """(id, [other spellings]) for each row of the public id table."""
    rows = []
    for line in IDS_DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("id", "") or set(cells[0]) <= set("-:"):
            continue
        rows.append((cells[0], [c.strip() for c in cells[1].split(",") if c.strip()]))
    return rows


ID_TABLE = _id_table()
# The catalog-ids doc: "codes are the other spellings of the same error that users see or type;
# each one must find its entry".
SPELLINGS = [
    pytest.param(
        entry_id,
        spelling,
        id=spelling,
    )
    for entry_id, codes in ID_TABLE
    for spelling in dict.fromkeys([entry_id, *codes])
]


# ---------------------------------------------------------------- the bundled catalog


@pytest.fixture(scope="module")
def bundled():
    """The bundled catalog, loaded once."""
    return load_catalog()


def test_bundled_catalog_has_exactly_the_contract_ids(bundled):
    """The bundled catalog holds exactly the ids of the public table, each once."""
    table_ids = [entry_id for entry_id, _ in ID_TABLE]
    assert len(table_ids) == len(set(table_ids))
    assert f"{len(table_ids)} entries." in IDS_DOC.read_text(encoding="utf-8")
    ids = [e.id for e in bundled.entries]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(table_ids)


def test_every_bundled_source_is_a_named_document(bundled):
    """Answers cite a document a reader recognises, never a bare key like seeds/001."""
    for entry in bundled.entries:
        assert entry.cites is not None, (entry.id, entry.source)
        assert entry.cited.name != entry.source and " " in entry.cited.name, entry.id
    reference = bundled.get("auth:73").cited
    assert reference.url == "https://0iy.github.io/spotify-error-ref/"
    assert str(reference) == f"{reference.name} <{reference.url}>"


def test_every_contract_spelling_is_on_its_entry(bundled):
    """Every spelling in the table's codes column is the entry's id or one of its codes."""
    missing = []
    for entry_id, codes in ID_TABLE:
        entry = bundled.get(entry_id)
        assert entry is not None, entry_id
        have = {_loose(s) for s in (entry.id, *entry.codes)}
        missing += [(entry_id, c) for c in codes if _loose(c) not in have]
    assert missing == []


def test_every_entry_has_steps_causes_and_a_valid_severity(bundled):
    """Each entry gives at least one cause and one step, and a known severity."""
    for e in bundled.entries:
        assert e.steps and all(s.strip() for s in e.steps), e.id
        assert e.causes and all(c.strip() for c in e.causes), e.id
        assert e.severity in ("fatal", "error", "warn", "info"), e.id


def test_firewall_message_is_shared_by_exactly_seven_entries(bundled):
    """'A firewall may be blocking Spotify.' opens a message of exactly the seven known entries."""
    sharing = [e.id for e in bundled.entries if any(m.startswith(FIREWALL) for m in e.messages)]
    assert sharing == FIREWALL_IDS


@pytest.mark.parametrize(("entry_id", "spelling"), SPELLINGS)
def test_every_contract_spelling_finds_its_entry(matcher, entry_id, spelling):
    """Looking up an id or code from the table names that entry first, not as a tie."""
    result = matcher.match(spelling.replace("\u2212", "-"))
    assert result.best is not None
    assert result.best.entry.id == entry_id
    assert not result.ambiguous


# ---------------------------------------------------------------- broken catalogs


def _entry(entry_id: str, **fields) -> dict:
    entry = {
        "id": entry_id,
        "title": "Flux capacitor overheated",
        "severity": "warn",
        "platforms": ["linux"],
        "categories": ["custom"],
        "messages": [FLUX],
        "causes": ["Too much flux through the capacitor."],
        "steps": ["Let the capacitor cool down for ten minutes."],
        "source": "ops/runbook-1",
    }
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


def _write(folder: Path, name: str, *entries: dict) -> str:
    """Write a catalog file holding these entries; returns its text."""
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"entries": list(entries)}, sort_keys=False, allow_unicode=True)
    (folder / name).write_text(text, encoding="utf-8")
    return text


def _line_of(text: str, entry_id: str) -> int:
    """1-based line where the entry with this id starts."""
    lines = text.splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip() == f"- id: {entry_id}")


def _error(folder: Path) -> str:
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    return str(info.value)


def _names(message: str, *parts: str) -> None:
    for part in parts:
        assert re.search(rf"(?<!\w){re.escape(part)}(?!\w)", message), (part, message)


def _field_line(text: str, entry_id: str, name: str) -> int:
    """1-based line of a field of the entry with this id."""
    lines = text.splitlines()
    start = _line_of(text, entry_id)
    return next(
        n
        for n, line in enumerate(lines[start - 1 :], start)
        if line.lstrip(" -").startswith(f"{name}:")
    )


def _broken_second_entry(tmp_path: Path, **fields) -> tuple[str, int]:
    """A file whose second entry (custom:2) has a broken field; the error and that field's line."""
    text = _write(tmp_path, "50-custom.yaml", _entry("custom:1"), _entry("custom:2", **fields))
    return _error(tmp_path), _field_line(text, "custom:2", next(iter(fields)))


def test_unknown_field_is_named(tmp_path):
    """A misspelled field is reported with file, the field's line, entry and name."""
    message, line = _broken_second_entry(tmp_path, colour="green")
    _names(message, "custom:2", "colour")
    assert f"50-custom.yaml:{line}" in message


def test_missing_steps_is_named(tmp_path):
    """An entry without steps is reported with file, line, entry and 'steps'."""
    text = _write(
        tmp_path,
        "50-custom.yaml",
        _entry("custom:1"),
        {k: v for k, v in _entry("custom:2").items() if k != "steps"},
    )
    message = _error(tmp_path)
    _names(message, "custom:2", "steps")
    assert f"50-custom.yaml:{_line_of(text, 'custom:2')}" in message


def test_steps_as_a_string_is_named(tmp_path):
    """Steps written as one string instead of a list are reported."""
    message, line = _broken_second_entry(tmp_path, steps="Restart the app.")
    _names(message, "custom:2", "steps")
    assert f"50-custom.yaml:{line}" in message
    assert "list" in message


def test_title_as_a_list_is_named(tmp_path):
    """A title written as a list instead of a string is reported."""
    message, line = _broken_second_entry(tmp_path, title=["Flux", "capacitor"])
    _names(message, "custom:2", "title")
    assert f"50-custom.yaml:{line}" in message
    assert "string" in message


def test_empty_steps_is_named(tmp_path):
    """An empty steps list is reported: an answer without a single step is useless."""
    message, line = _broken_second_entry(tmp_path, steps=[])
    _names(message, "custom:2", "steps")
    assert f"50-custom.yaml:{line}" in message
    assert "empty" in message


def test_unknown_severity_is_named(tmp_path):
    """A severity outside fatal|error|warn|info is reported with the value and the choices."""
    message, line = _broken_second_entry(tmp_path, severity="critical")
    _names(message, "custom:2", "severity", "critical")
    assert f"50-custom.yaml:{line}" in message
    assert all(s in message for s in SEVERITIES)


def test_duplicate_id_across_files_is_named(tmp_path):
    """The same id in two files is one line naming both places (file:line), the id and field."""
    first = _write(tmp_path, "10-a.yaml", _entry("custom:0"), _entry("custom:1"))
    second = _write(tmp_path, "20-b.yaml", _entry("custom:1", title="Another flux problem"))
    message = _error(tmp_path)
    assert len(message.splitlines()) == 1, message
    _names(message, "custom:1", "id", "duplicate")
    assert f"20-b.yaml:{_line_of(second, 'custom:1')}" in message
    assert f"10-a.yaml:{_line_of(first, 'custom:1')}" in message


def test_code_claimed_by_two_entries_is_named(tmp_path):
    """One code (spelled differently in case and spacing) on two entries: both places."""
    first = _write(tmp_path, "10-a.yaml", _entry("custom:1", codes=["Flux error 88"]))
    second = _write(tmp_path, "20-b.yaml", _entry("custom:2", codes=["flux  ERROR 88"]))
    message = _error(tmp_path)
    _names(message, "custom:2", "codes", "custom:1")
    assert f"20-b.yaml:{_field_line(second, 'custom:2', 'codes') + 1}" in message
    assert f"10-a.yaml:{_field_line(first, 'custom:1', 'codes') + 1}" in message


def test_every_problem_of_a_catalog_is_reported_in_one_run(tmp_path):
    """Problems in several entries and files all come out at once, one line each."""
    _write(
        tmp_path,
        "10-a.yaml",
        _entry("custom:1", colour="green"),
        _entry("custom:2", steps=None),
        _entry("custom:3"),
    )
    _write(tmp_path, "20-b.yaml", _entry("custom:3"), _entry("custom:4", severity="loud"))
    tmp_path.joinpath("30-c.yaml").write_text("entries: [\n", encoding="utf-8")
    lines = _error(tmp_path).splitlines()
    assert len(lines) == 5, lines
    for line, names in zip(
        lines,
        [
            ("10-a.yaml", "custom:1", "colour"),
            ("10-a.yaml", "custom:2", "steps"),
            ("20-b.yaml", "custom:4", "severity"),
            ("30-c.yaml", "YAML"),
            ("20-b.yaml", "custom:3", "duplicate"),
        ],
        strict=True,
    ):
        _names(line, *names)


def test_an_unknown_source_key_is_shown_as_written(tmp_path):
    """An operator's catalog without sources.yaml shows its own `source:` text."""
    _write(
        tmp_path,
        "50-custom.yaml",
        _entry("custom:1"),
        _entry("custom:2", source="https://wiki.example.org/flux"),
    )
    first, second = load_catalog(tmp_path).entries
    assert first.cites is None and str(first.cited) == "ops/runbook-1"
    assert second.cited.url == "https://wiki.example.org/flux"


def test_sources_file_names_the_documents_and_its_problems_are_reported(tmp_path):
    """sources.yaml gives names and links; a source without a name is a problem with its line."""
    _write(tmp_path, "50-custom.yaml", _entry("custom:1", source="runbook"))
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  runbook:\n    name: Ops runbook\n    url: https://wiki.example.org/\n",
        encoding="utf-8",
    )
    entry = load_catalog(tmp_path).get("custom:1")
    assert str(entry.cited) == "Ops runbook <https://wiki.example.org/>"
    sources.write_text(
        "sources:\n  runbook:\n    url: https://wiki.example.org/\n", encoding="utf-8"
    )
    _names(_error(tmp_path), "sources.yaml:2", "runbook", "name")


def test_words_files_add_each_languages_phrases_to_their_entries(tmp_path):
    """words/<lang>.yaml adds phrases to the entries it names; the matcher then finds them."""
    _write(tmp_path, "50-custom.yaml", _entry("custom:1"), _entry("custom:2"))
    (tmp_path / "words").mkdir()
    (tmp_path / "words" / "de.yaml").write_text(
        'lang: de\nwords:\n  "custom:2":\n    - "fluxkompensator überhitzt"\n',
        encoding="utf-8",
    )
    catalog = load_catalog(tmp_path)
    assert catalog.get("custom:2").said == ("fluxkompensator überhitzt",)
    assert Matcher(catalog).match("mein fluxkompensator ist überhitzt").best.entry.id == "custom:2"


def test_a_words_file_naming_no_entry_or_holding_no_list_is_named(tmp_path):
    """An id no entry has, or phrases that are not a list, is one line with file and line."""
    _write(tmp_path, "50-custom.yaml", _entry("custom:1"))
    (tmp_path / "words").mkdir()
    (tmp_path / "words" / "fr.yaml").write_text(
        'lang: fr\nwords:\n  "custom:1": "pas une liste"\n  "custom:9":\n    - "flux"\n',
        encoding="utf-8",
    )
    lines = _error(tmp_path).splitlines()
    assert len(lines) == 2
    _names(lines[0], "words/fr.yaml:3", "custom:1", "must be a list")
    _names(lines[1], "words/fr.yaml:4", "custom:9", "no entry has this id")


def test_clients_file_lists_other_programs_messages_without_answering_on_them(tmp_path):
    """clients.yaml's messages find their entry like a displayed message, but only list it."""
    _write(tmp_path, "50-custom.yaml", _entry("custom:1"), _entry("custom:2"))
    (tmp_path / "clients.yaml").write_text(
        "programs:\n  fluxd:\n    url: https://example.org/fluxd\n    messages:\n"
        '      "custom:2":\n        - "Capacitor refused the jump: flux level too low"\n',
        encoding="utf-8",
    )
    catalog = load_catalog(tmp_path)
    assert catalog.get("custom:2").client_texts == (
        "Capacitor refused the jump: flux level too low",
    )
    result = Matcher(catalog).match(
        "[fluxd] WARN Capacitor refused the jump: flux level too low (attempt 3)"
    )
    assert result.best.entry.id == "custom:2"
    assert result.best.reason.startswith("message") and "(fluxd)" in result.best.reason
    assert not result.confident


def test_a_clients_file_naming_no_entry_or_no_messages_is_named(tmp_path):
    """A program without a messages mapping, or an id no entry has: one line each, with line."""
    _write(tmp_path, "50-custom.yaml", _entry("custom:1"))
    (tmp_path / "clients.yaml").write_text(
        "programs:\n  fluxd:\n    url: https://example.org\n  warpd:\n    messages:\n"
        '      "custom:9": ["warp failed"]\n',
        encoding="utf-8",
    )
    lines = _error(tmp_path).splitlines()
    assert len(lines) == 2
    _names(lines[0], "clients.yaml:2", "fluxd", "messages")
    _names(lines[1], "clients.yaml:6", "custom:9", "no entry has this id")


def test_invalid_yaml_names_file_and_line(tmp_path):
    """A YAML syntax error is reported with the file and the line it is on."""
    tmp_path.joinpath("50-custom.yaml").write_text(
        "entries:\n  - id: custom:1\n    title: Flux: overheated\n    severity: warn\n",
        encoding="utf-8",
    )
    message = _error(tmp_path)
    assert "50-custom.yaml:3" in message


@pytest.mark.parametrize(
    "text",
    ["", "entries:\n", "- id: custom:1\n", "entrys:\n  - id: custom:1\n", "entries: none\n"],
    ids=["empty", "null", "top-level-list", "misspelled-key", "scalar"],
)
def test_file_without_entries_list_is_named(tmp_path, text):
    """A file that is not a mapping with an 'entries' list is reported by name."""
    _write(tmp_path, "10-a.yaml", _entry("custom:1"))
    tmp_path.joinpath("20-b.yaml").write_text(text, encoding="utf-8")
    message = _error(tmp_path)
    _names(message, "20-b.yaml", "entries")


def test_empty_folder_is_an_error(tmp_path):
    """A folder without any .yaml file is not silently an empty catalog."""
    tmp_path.joinpath("notes.txt").write_text("entries: []\n", encoding="utf-8")
    assert str(tmp_path) in _error(tmp_path)


def test_missing_folder_is_an_error(tmp_path):
    """A catalog path that does not exist is reported by name."""
    missing = tmp_path / "no-such-catalog"
    assert str(missing) in _error(missing)


def test_second_entries_key_does_not_lose_entries(tmp_path):
    """A file with two 'entries:' blocks either loads both or is reported, never half-loaded."""
    first = yaml.safe_dump({"entries": [_entry("custom:1")]}, sort_keys=False)
    second = yaml.safe_dump({"entries": [_entry("custom:2")]}, sort_keys=False)
    tmp_path.joinpath("50-custom.yaml").write_text(first + second, encoding="utf-8")
    try:
        ids = [e.id for e in load_catalog(tmp_path).entries]
    except CatalogError as exc:
        _names(str(exc), "50-custom.yaml", "entries")
    else:
        assert ids == ["custom:1", "custom:2"]


def test_repeated_field_is_named(tmp_path):
    """An entry that gives 'steps' twice is reported instead of losing the first list."""
    text = yaml.safe_dump({"entries": [_entry("custom:1")]}, sort_keys=False)
    text += "  steps:\n  - Replace the capacitor.\n"
    tmp_path.joinpath("50-custom.yaml").write_text(text, encoding="utf-8")
    _names(_error(tmp_path), "50-custom.yaml", "custom:1", "steps")


# ---------------------------------------------------------------- `python -m bot catalog check`


def _sections(stdout: str) -> dict[str, dict[str, int]]:
    """The 'per file/severity/platform' tables of `catalog check` as {section: {key: n}}."""
    out: dict[str, dict[str, int]] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith("per ") and line.endswith(":"):
            current = out.setdefault(line[:-1], {})
        elif current is not None and line.strip():
            n, key = line.strip().split(None, 1)
            current[key] = int(n)
    return out


def test_catalog_check_summarises_the_bundled_catalog(run_bot):
    """`catalog check` exits 0 and counts entries per file, severity and platform."""
    proc = run_bot("catalog", "check")
    assert proc.returncode == 0, proc.stderr.decode()
    stdout = proc.stdout.decode("utf-8")
    assert f"{len(load_catalog())} entries" in stdout
    files, severities, platforms = Counter(), Counter(), Counter()
    for path in sorted((ROOT / "catalog").glob("[0-9]*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            files[path.name] += 1
            severities[raw["severity"]] += 1
            platforms.update(raw["platforms"])
    assert _sections(stdout) == {
        "per file": dict(files),
        "per severity": dict(severities),
        "per platform": dict(platforms),
    }


def test_catalog_check_reports_a_broken_folder_in_one_line(run_bot, tmp_path):
    """A broken catalog: non-zero exit, one stderr line naming file, entry and field."""
    text = _write(
        tmp_path, "50-custom.yaml", _entry("custom:1"), _entry("custom:2", colour="green")
    )
    proc = run_bot("catalog", "check", "--catalog", str(tmp_path))
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode != 0
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    _names(stderr, "custom:2", "colour")
    assert f"50-custom.yaml:{_field_line(text, 'custom:2', 'colour')}" in stderr
    assert "catalog OK" not in proc.stdout.decode()


def test_catalog_check_reports_a_sequence_key_without_traceback(run_bot, tmp_path):
    """A field written as '[a, b]: c' is a catalog error, not a Python traceback."""
    text = yaml.safe_dump({"entries": [_entry("custom:1")]}, sort_keys=False)
    tmp_path.joinpath("50-custom.yaml").write_text(text + "  [steps, causes]: x\n", "utf-8")
    proc = run_bot("catalog", "check", "--catalog", str(tmp_path))
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    _names(stderr, "50-custom.yaml", "custom:1")


def test_operator_catalog_is_used_for_lookup(run_bot, tmp_path):
    """`lookup --catalog DIR` answers from the operator's own entries, not the bundled ones."""
    _write(tmp_path, "50-custom.yaml", _entry("custom:1"))
    proc = run_bot("lookup", "--catalog", str(tmp_path), "--json", FLUX)
    assert proc.returncode == 0, proc.stderr.decode()
    result = json.loads(proc.stdout)
    assert [m["id"] for m in result["matches"]] == ["custom:1"]
    assert result["confident"] is True
    proc = run_bot("lookup", "--catalog", str(tmp_path), "--json", "error 2026")
    assert proc.returncode == 0
    assert {m["id"] for m in json.loads(proc.stdout)["matches"]} <= {"custom:1"}


def test_catalog_path_environment_variable_is_used(run_bot, tmp_path):
    """CATALOG_PATH, as `--help` says, selects the catalog when --catalog is not given."""
    _write(tmp_path, "50-custom.yaml", _entry("custom:1"))
    env = {**os.environ, "CATALOG_PATH": str(tmp_path)}
    proc = run_bot("lookup", "--json", FLUX, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert [m["id"] for m in json.loads(proc.stdout)["matches"]][:1] == ["custom:1"]
