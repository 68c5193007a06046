"""`python -m bot lookup`: the answer for a person, the JSON contract, --stdin, and robustness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import load_catalog
from bot.text import MAX_QUERY_CHARS
from tests.support import FIREWALL_IDS

ROOT = Path(__file__).resolve().parent.parent
LONG_PASTE = "Spotify says error 2026 when it starts. " * 2600  # ~104,000 characters


def _squash(text: str) -> str:
    return "".join(text.split())


def _json_lines(proc) -> list[dict]:
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in proc.stderr
    return [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]


def _stdin(*lines: bytes) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def _enc(text: str) -> bytes:
    return json.dumps(text).encode("ascii")


# ---------------------------------------------------------------- lookup for a person


def test_lookup_prints_the_answer_for_a_person(run_bot):
    """`lookup "error 2026"` shows id, title, severity, every cause and the numbered steps."""
    entry = load_catalog().get("error:2026")
    proc = run_bot("lookup", "error 2026")
    assert proc.returncode == 0
    out = proc.stdout.decode("utf-8")
    assert out.startswith(f"error:2026 — {entry.title}\n")
    assert f"Severity: {entry.severity}" in out
    flat = _squash(out)
    assert "Causes:" in out and "Steps:" in out
    for cause in entry.causes:
        assert _squash(cause) in flat, cause
    for n, step in enumerate(entry.steps, 1):
        assert f"{n}.{_squash(step)}" in flat, (n, step)
    assert out.index("Causes:") < out.index("Steps:") < out.index(f"{len(entry.steps)}.")


def test_lookup_without_query_exits_2(run_bot):
    """`lookup` with neither a query nor --stdin exits 2 and says what to give."""
    proc = run_bot("lookup")
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2
    assert "Traceback" not in stderr
    assert "--stdin" in stderr and "lookup" in stderr
    assert proc.stdout == b""


# ---------------------------------------------------------------- --json


def _check_contract(obj: dict) -> None:
    assert isinstance(obj["query"], str)
    assert isinstance(obj["confident"], bool)
    assert isinstance(obj["matches"], list)
    for m in obj["matches"]:
        assert {"id", "title", "score", "reason"} <= m.keys()
        assert isinstance(m["id"], str) and isinstance(m["title"], str)
        assert isinstance(m["reason"], str)
        assert isinstance(m["score"], int | float) and not isinstance(m["score"], bool)
    scores = [m["score"] for m in obj["matches"]]
    assert scores == sorted(scores, reverse=True)


def test_json_is_one_object_with_the_contract_keys(run_bot):
    """`--json` prints exactly one JSON object: query, confident, matches best first."""
    proc = run_bot("lookup", "--json", "error 2026")
    [obj] = _json_lines(proc)
    _check_contract(obj)
    assert obj["query"] == "error 2026"
    assert obj["confident"] is True
    assert obj["matches"][0]["id"] == "error:2026"
    assert obj["matches"][0]["title"] == load_catalog().get("error:2026").title


def test_limit_caps_the_matches(run_bot):
    """`--limit 2` lists only the two best of what the default would list."""
    query = "songs wont play"
    [full] = _json_lines(run_bot("lookup", "--json", query))
    [capped] = _json_lines(run_bot("lookup", "--json", "--limit", "2", query))
    assert len(full["matches"]) > 2
    assert [m["id"] for m in capped["matches"]] == [m["id"] for m in full["matches"][:2]]


def test_shared_message_lists_every_candidate_despite_limit(run_bot):
    """The firewall message is ambiguous: all seven entries, never confident."""
    proc = run_bot("lookup", "--json", "--limit", "2", "A firewall may be blocking Spotify.")
    [obj] = _json_lines(proc)
    _check_contract(obj)
    assert sorted(m["id"] for m in obj["matches"]) == sorted(FIREWALL_IDS)
    assert obj["confident"] is False
    assert obj["ambiguous"] is True


# ---------------------------------------------------------------- --stdin


def test_stdin_answers_each_line_in_order(run_bot):
    """N JSON strings in give N objects out, in order, each echoing its cleaned query."""
    queries = {
        "error 2026": "error:2026",
        "   auth:73\t": "auth:73",
        "A firewall may be blocking Spotify.": "accesspoint:17",
        "HTTP 429 Too Many Requests": "webapi:429",
        "CAPPING_USER_IS_CAPPED": "CAPPING_USER_IS_CAPPED",
    }
    objs = _json_lines(run_bot("lookup", "--stdin", stdin=_stdin(*map(_enc, queries))))
    assert [o["query"] for o in objs] == [q.strip() for q in queries]
    assert [o["matches"][0]["id"] for o in objs] == list(queries.values())
    for obj in objs:
        _check_contract(obj)


def test_stdin_line_that_is_not_json_is_plain_text(run_bot):
    """A line that is not JSON is looked up as the text it is."""
    stdin = _stdin(b"error 2026", b"auth:73 (Error code: auth:73)", _enc("error 2026"))
    objs = _json_lines(run_bot("lookup", "--stdin", stdin=stdin))
    assert [o["query"] for o in objs] == [
        "error 2026",
        "auth:73 (Error code: auth:73)",
        "error 2026",
    ]
    assert [o["matches"][0]["id"] for o in objs] == ["error:2026", "auth:73", "error:2026"]


def test_stdin_survives_invalid_utf8(run_bot):
    """Bytes that are not UTF-8 still give one object for their line, and the next line too."""
    stdin = _stdin(_enc("auth:73"), b'\xff\xfe"abc"', b"\xc3(\xa0\xa1 error 2026", _enc("auth:73"))
    objs = _json_lines(run_bot("lookup", "--stdin", stdin=stdin))
    assert len(objs) == 4
    assert objs[0]["matches"][0]["id"] == objs[3]["matches"][0]["id"] == "auth:73"
    assert "abc" in objs[1]["query"]
    assert objs[2]["matches"][0]["id"] == "error:2026"


def test_stdin_hostile_lines_each_get_an_object(run_bot):
    """Empty, surrogate, NUL, emoji, RTL override, zero-width and 100 KB lines: all answered."""
    lines = [
        b"",
        _enc(""),
        b'"\\ud800"',
        _enc("\u0000"),
        json.dumps("🎧🔥 error 2026 😭", ensure_ascii=False).encode("utf-8"),
        _enc("\u202eerror 2026"),
        _enc("err\u200bor\u200c 20\u200d26\ufeff"),
        _enc(LONG_PASTE),
        b'"auth:73 \\ud800\\u0000"',
    ]
    objs = _json_lines(run_bot("lookup", "--stdin", stdin=_stdin(*lines)))
    assert len(objs) == len(lines)
    for obj in objs:
        _check_contract(obj)
        obj["query"].encode("utf-8")  # no lone surrogate made it through
        assert not set(obj["query"]) & set("\u0000\u202e\u200b\u200c\u200d\ufeff")
    assert [o["query"] for o in objs[:4]] == ["", "", "", ""]
    assert [o["matches"] for o in objs[:4]] == [[], [], [], []]
    for obj in objs[4:7]:
        assert obj["matches"][0]["id"] == "error:2026"
    assert objs[5]["query"] == objs[6]["query"] == "error 2026"
    long = objs[7]
    assert long["truncated"] is True
    assert 0 < len(long["query"]) <= MAX_QUERY_CHARS
    assert long["matches"][0]["id"] == "error:2026"
    assert [o["truncated"] for i, o in enumerate(objs) if i != 7] == [False] * (len(objs) - 1)
    assert objs[8]["query"] == "auth:73"


def test_output_to_a_closed_pipe_is_quiet():
    """`lookup ... | head -1` style: a reader that goes away early causes no traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "lookup", "error 2026"],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert b"Traceback" not in proc.stderr
    assert b"BrokenPipeError" not in proc.stderr


# ---------------------------------------------------------------- Matcher.match properties


def _fragments() -> list[str]:
    out: set[str] = set()
    for e in load_catalog().entries:
        for text in (*e.messages, e.id, *e.codes, e.title, *e.keywords):
            out.add(text)
            out.update(text.split())
    return sorted(out)


NOISE = st.sampled_from(
    [
        *(" ", "\n", "\t", "-", ":", "(Error code: ", ")", "0", "l", "|", "\u2212", "\u200b"),
        *("\ud800", "\u0000", "\u202e", "\ufeff", "🎧", "ошибка", "З", "rn", "vv", "/help "),
    ]
)
MIXED = st.lists(
    st.one_of(st.sampled_from(_fragments()), NOISE, st.text(max_size=6)), max_size=25
).map("".join)


def _check_result(matcher, text: str, limit: int) -> None:
    result = matcher.match(text, limit=limit)
    obj = result.to_json()
    json.dumps(obj, ensure_ascii=False).encode("utf-8")
    json.dumps(obj)
    _check_contract(obj)
    scores = [m["score"] for m in obj["matches"]]
    assert all(0 <= s <= 100 for s in scores), scores
    assert not obj["confident"] or obj["matches"]
    assert len(obj["matches"]) <= limit or obj["ambiguous"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(), limit=st.integers(min_value=1, max_value=8))
def test_match_never_breaks_on_any_text(matcher, text, limit):
    """Any text: no exception, JSON-able UTF-8, scores 0..100 best first, confident has a match."""
    _check_result(matcher, text, limit)


@settings(max_examples=300, deadline=None)
@given(text=MIXED, limit=st.integers(min_value=1, max_value=8))
def test_match_never_breaks_on_catalog_fragments(matcher, text, limit):
    """Pieces of real messages and codes mixed with noise keep the same guarantees."""
    _check_result(matcher, text, limit)


# ---------------------------------------------------------------- lookup --image


def _screenshot(tmp_path: Path, entry_id: str, kind: str = "dark") -> str:
    from tests import screenshots as s

    shot = s.shoot(s.dialog_for(load_catalog().get(entry_id)), kind)
    path = tmp_path / shot.name
    path.write_bytes(shot.data)
    return str(path)


def test_lookup_image_reads_the_dialog_with_the_json_contract_unchanged(run_bot, tmp_path):
    image = _screenshot(tmp_path, "accounts:103")
    (obj,) = _json_lines(run_bot("lookup", "--json", "--image", image))
    assert set(obj) == {"query", "confident", "ambiguous", "truncated", "matches"}
    assert obj["confident"] and obj["matches"][0]["id"] == "accounts:103"
    assert "firewall may be blocking" in obj["query"]  # the text that was matched


def test_lookup_images_and_text_are_matched_together(run_bot, tmp_path):
    first = _screenshot(tmp_path, "auth:73", "light")
    second = _screenshot(tmp_path, "accounts:4", "phone")
    (obj,) = _json_lines(
        run_bot("lookup", "it came twice", "--image", first, "--image", second, "--json")
    )
    query = obj["query"]
    assert query.startswith("it came twice\n")
    assert "auth:73" in query and "No internet connection" in query
    assert {m["id"] for m in obj["matches"]} >= {"auth:73", "accounts:4"}


def test_lookup_image_for_a_person_quotes_the_line_it_read(run_bot, tmp_path):
    image = _screenshot(tmp_path, "accounts:403")
    proc = run_bot("lookup", "--image", image)
    out = proc.stdout.decode()
    assert out.startswith(f'Read from {image}: "Account disabled. Error code: accounts:403"\n')
    assert "accounts:403 — " in out


def test_lookup_image_that_is_no_picture_gets_one_line_and_still_an_answer(run_bot, tmp_path):
    fake_png = tmp_path / "error.png"
    fake_png.write_bytes(b"PK\x03\x04 a zip archive renamed")
    proc = run_bot("lookup", "--json", "auth 73", "--image", str(fake_png))
    (obj,) = _json_lines(proc)
    assert obj["matches"][0]["id"] == "auth:73"
    assert proc.stderr.decode().splitlines() == [
        f"lookup: {fake_png}: not read: a zip archive: only PNG, JPEG, WebP and GIF are read"
    ]


def test_lookup_image_usage_errors_exit_2(run_bot, tmp_path):
    missing = run_bot("lookup", "--image", str(tmp_path / "nope.png"))
    assert missing.returncode == 2 and b"no such file" in missing.stderr
    both = run_bot("lookup", "--stdin", "--image", _screenshot(tmp_path, "auth:73"), stdin=b"")
    assert both.returncode == 2 and len(both.stderr.splitlines()) == 1
    blind = run_bot(
        "lookup",
        "--image",
        _screenshot(tmp_path, "auth:73"),
        env={**os.environ, "TESSDATA_PREFIX": str(tmp_path)},
    )
    assert blind.returncode == 2
    assert blind.stderr.decode().startswith("lookup: images are not read here: no eng.traineddata")
