"""Answer embeds and vote components: Discord's limits, the payload schema, hostile user text."""

from __future__ import annotations

import functools
import itertools
import re
import signal

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog import SEVERITIES, Entry, load_catalog
from bot.components import BUTTON_STEPS, PickSelect, VoteButton, VoteSelect, answer_view
from bot.embeds import (
    answer_embed,
    not_found_embed,
    quote_user_text,
    screenshot_note,
    total_length,
    unread_note,
)
from bot.screens import Reading
from tests.fakediscord import rules
from tests.fakediscord.recording import RecordedRequest, Validator

CATALOG = load_catalog()
ENTRIES = [pytest.param(e, id=e.id) for e in CATALOG.entries]
CONTENT_FIELDS = ("Causes", "Steps", "Note")
DROPPED = "…"  # name of the field that says the entry did not fit
HOSTILE = [
    "@everyone",
    "@here please",
    "<@123>",
    "<@&456>",
    "<@123456789012345678> and <@!223456789012345678> and <@&323456789012345678>",
    "**bold** `code` ||spoiler|| __under__ ~~strike~~",
    "[free nitro](https://evil.example) \\**still bold?**",
    "error 2026 " * 400,  # a 4,400-character paste
    "\u202eerror 2026\u202c",
    "@\u200beveryone e\u200bvery\u200done \ufeff@here",
    "line one\n# heading\n> quote\r\n-# small\n@everyone",
]
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d{17,20}>")
MARKDOWN = re.compile(r"(?<!\\)(\*\*|__|~~|\|\||`)|(?<!\\)\[[^\]]*\]\(")


@functools.cache
def _validator() -> Validator:
    return Validator()


def _message_problems(body: dict) -> list[str]:
    """What the fake Discord would reject in POST /channels/{id}/messages with this body."""
    request = RecordedRequest("POST", "/channels/1/messages", {}, json=body)
    return _validator().check(request)


def _payload(embed: discord.Embed, view: discord.ui.View | None = None) -> dict:
    body = {"embeds": [embed.to_dict()], "allowed_mentions": {"parse": []}}
    if view is not None:
        body["components"] = view.to_components()
    return body


def _limit_problems(embed: discord.Embed) -> list[str]:
    """Each of Discord's embed limits the embed breaks, spelled out."""
    data = embed.to_dict()
    fields = data.get("fields", [])
    problems = []
    if len(data.get("title", "")) > 256:
        problems.append(f"title {len(data['title'])} > 256")
    if len(data.get("description", "")) > 4096:
        problems.append(f"description {len(data['description'])} > 4096")
    if len(fields) > 25:
        problems.append(f"{len(fields)} fields > 25")
    for f in fields:
        if not 1 <= len(f["name"]) <= 256 or not f["name"].strip():
            problems.append(f"field name {f['name'][:30]!r} is {len(f['name'])} chars")
        if not 1 <= len(f["value"]) <= 1024 or not f["value"].strip():
            problems.append(f"field {f['name'][:30]!r} value is {len(f['value'])} chars")
    if len(data.get("footer", {}).get("text", "")) > 2048:
        problems.append("footer > 2048")
    if total_length(embed) > 6000 or rules.embed_chars(data) > 6000:
        problems.append(f"total {total_length(embed)} / {rules.embed_chars(data)} > 6000")
    return problems


def _entry(**changes) -> Entry:
    base = {
        "id": "test:1",
        "title": "Something went wrong",
        "severity": "error",
        "platforms": ("desktop",),
        "categories": ("general",),
        "messages": ("Something went wrong.",),
        "causes": ("A cause.",),
        "steps": ("Restart Spotify.",),
        "source": "https://support.spotify.com/",
    }
    return Entry(**(base | changes))


def _values(embed: discord.Embed, name: str) -> list[str]:
    """Values of the field `name` and its continuations, in order."""
    return [f.value for f in embed.fields if f.name in (name, f"{name} (continued)")]


def _quoted(embed: discord.Embed) -> str:
    """The echoed query inside the not-found description."""
    return embed.description.split("“", 1)[1].rsplit("”.\n\n", 1)[0]


def _unescaped(text: str) -> str:
    """What a reader sees of escaped text: backslash escapes and inserted ZWSPs removed."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")


# ---------------------------------------------------------------- bundled catalog answers


@pytest.mark.parametrize("entry", ENTRIES)
def test_catalog_answer_fits_discord_limits(entry: Entry):
    """Every bundled answer, with and without votes, stays within every embed limit."""
    for votes in (None, {n: 10**6 for n in range(1, len(entry.steps) + 1)} | {None: 7}):
        embed = answer_embed(entry, votes, "**Not sure this is it.** Did you mean one below?")
        assert _limit_problems(embed) == []
        assert DROPPED not in [f.name for f in embed.fields], "a bundled entry was cut"


@pytest.mark.parametrize("entry", ENTRIES)
def test_catalog_answer_payload_is_valid_for_discord(entry: Entry):
    """Embed plus vote and 'did you mean' components pass the OpenAPI schema and extra rules."""
    others = [e for e in CATALOG.entries if e.id != entry.id][:3]
    body = _payload(answer_embed(entry, {1: 2, None: 1}), answer_view(entry, others))
    assert _message_problems(body) == []


def test_severity_colours_are_distinct():
    """Each severity has one colour, and fatal/error/warn/info can be told apart."""
    colours: dict[str, set[int]] = {}
    for entry in CATALOG.entries:
        colours.setdefault(entry.severity, set()).add(answer_embed(entry).to_dict()["color"])
    for severity in SEVERITIES:
        colours.setdefault(severity, set()).add(
            answer_embed(_entry(severity=severity)).to_dict()["color"]
        )
    assert all(len(c) == 1 for c in colours.values()), colours
    assert len({c.pop() for c in colours.values()}) == len(SEVERITIES)


@pytest.mark.parametrize("entry", ENTRIES)
def test_answer_shows_every_step_numbered_cause_note_and_message(entry: Entry):
    """Steps are numbered 1..n in order; every cause, the note and each message are shown."""
    embed = answer_embed(entry)
    steps = "\n".join(_values(embed, "Steps"))
    numbers = [int(n) for n in re.findall(r"^\*\*(\d+)\.\*\* ", steps, re.MULTILINE)]
    assert numbers == list(range(1, len(entry.steps) + 1))
    for n, step in enumerate(entry.steps, 1):
        assert f"**{n}.** {step}" in steps
    causes = "\n".join(_values(embed, "Causes"))
    for cause in entry.causes:
        assert f"• {cause}" in causes
    if entry.note:
        assert "\n".join(_values(embed, "Note")) == entry.note
    quoted = [line[2:] for line in (embed.description or "").splitlines() if line.startswith("> ")]
    assert [_unescaped(q) for q in quoted] == list(entry.messages)
    assert embed.title.startswith(entry.id)


def test_votes_are_shown_next_to_their_steps():
    """'Worked for N people' follows the voted steps only; 'none worked' gets its own field."""
    entry = _entry(steps=("Log out.", "Reinstall.", "Call support."))
    embed = answer_embed(entry, {2: 1, 3: 4, None: 2})
    lines = "\n".join(_values(embed, "Steps")).splitlines()
    assert lines == [
        "**1.** Log out.",
        "**2.** Reinstall. — ✅ worked for 1 person",
        "**3.** Call support. — ✅ worked for 4 people",
    ]
    none = [f for f in embed.fields if f.name == "None of these worked"]
    assert [f.value for f in none] == ["2 reported"]


# ---------------------------------------------------------------- oversized entries


def _words(start: int, length: int) -> str:
    """Distinct words w<start>, w<start+1>, ... filling about `length` characters."""
    out, n = [], start
    while len(" ".join(out)) < length:
        out.append(f"w{n}")
        n += 1
    return " ".join(out)


def _shown_pieces(embed: discord.Embed, name: str) -> list[list[str]]:
    """Lines of the field `name` (and continuations) as pieces of one text per line item."""
    items: list[list[str]] = []
    for value in _values(embed, name):
        for line in value.split("\n"):
            if line.startswith("…") and items:
                items[-1].append(line)
            else:
                items.append([line])
    return items


def test_huge_entry_fits_and_marks_every_cut():
    """A 5,000-char step, 40 steps, a 10,000-char note: fits, cuts marked, drops announced."""
    steps = [_words(0, 5000)] + [_words(10_000 + 100 * i, 60) for i in range(39)]
    title = _words(50_000, 300)
    entry = _entry(id="big:1", title=title, steps=tuple(steps), note=_words(60_000, 10_000))
    embed = answer_embed(entry)
    assert _limit_problems(embed) == []
    assert _message_problems(_payload(embed, answer_view(entry))) == []

    shown_title = embed.title.removesuffix("…")
    assert embed.title.endswith("…") and f"big:1 — {title}".startswith(shown_title)
    assert f"big:1 — {title}"[len(shown_title)] == " ", "title cut mid-word"

    names = [f.name for f in embed.fields]
    for prev, name in itertools.pairwise(names):
        if name.endswith(" (continued)"):
            assert prev in (name, name.removesuffix(" (continued)")), names
    values = [f.value for f in embed.fields]
    for i, value in enumerate(values[1:], 1):
        if value.startswith("…"):  # a continuation: the field before says it goes on
            assert names[i].endswith(" (continued)") and values[i - 1].endswith("…"), names[i]
    for i, value in enumerate(values[:-1]):
        if value.endswith("…") and names[i] != DROPPED:
            assert values[i + 1].startswith("…") or names[i + 1] == DROPPED, f"field {i} cut"

    items = _shown_pieces(embed, "Steps")
    assert [int(re.match(r"\*\*(\d+)\.\*\* ", p[0])[1]) for p in items] == list(
        range(1, len(items) + 1)
    )
    complete = True
    for n, pieces in enumerate(items, 1):
        text = " ".join(p.removeprefix(f"**{n}.** ").strip("…") for p in pieces)
        words, full = text.split(), steps[n - 1].split()
        assert words == full[: len(words)], f"step {n} garbled or cut mid-word"
        complete = words == full
    shown_all = complete and len(items) == len(steps) and _values(embed, "Note")
    assert not shown_all  # the input cannot fit in 6,000 characters
    assert names[-1] == DROPPED
    assert "longer than one message" in values[-1] and "big:1" in values[-1]


def test_entry_with_the_longest_id_buttons_accept_fits():
    """An 80-character id (the longest VoteButton parses) never pushes an answer past 6,000."""
    entry_id = "desktop_login_accounts." + "x" * 57
    over = []
    for n in range(0, 900, 7):  # the trimmed answer lands anywhere below the 5,880 budget
        entry = _entry(
            id=entry_id,
            causes=(("cause " * n).strip() or "cause",),
            steps=tuple(_words(1000 * i, 1000) for i in range(6)),
        )
        embed = answer_embed(entry)
        if _limit_problems(embed):
            over.append((n, total_length(embed)))
    assert over == []


def test_answer_with_long_source_and_messages_returns():
    """An entry whose messages and source URL are long still gets an answer (no hang)."""

    def timeout(*_):
        raise TimeoutError("answer_embed did not return within 1 s")

    entry = _entry(messages=(_words(0, 5000),), source="https://example.com/" + "p" * 1900)
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, 1)
    try:
        embed = answer_embed(entry)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _limit_problems(embed) == []


# ---------------------------------------------------------------- vote components


def _items(view: discord.ui.View) -> list[tuple[int, dict]]:
    """(row index, component dict) of every component in the message payload."""
    return [(r, item) for r, row in enumerate(view.to_components()) for item in row["components"]]


@pytest.mark.parametrize("entry", ENTRIES)
def test_answer_view_has_a_button_per_step_and_a_none_button(entry: Entry):
    """Buttons for steps 1-9 and 'None of these worked', in at most 5 rows of 5."""
    others = [e for e in CATALOG.entries if e.id != entry.id][:25]
    view = answer_view(entry, others)
    rows = view.to_components()
    assert len(rows) <= 5 and all(len(r["components"]) <= 5 for r in rows)
    buttons = [c["label"] for _, c in _items(view) if c["type"] == 2]
    shown = min(len(entry.steps), BUTTON_STEPS)
    assert buttons == [f"Step {n} worked" for n in range(1, shown + 1)] + ["None of these worked"]
    selects = [c for _, c in _items(view) if c["type"] == 3]
    assert all(
        len(next(r for r in rows if c in r["components"])["components"]) == 1 for c in selects
    ), "a select must be alone in its row"
    assert rules.component_problems(rows) == []


@pytest.mark.parametrize("entry", ENTRIES)
async def test_custom_ids_parse_back_to_the_same_vote(entry: Entry):
    """Every custom_id is ≤100 chars and its template rebuilds the same entry and step."""
    view = answer_view(entry, [CATALOG.entries[0]])
    for _, item in _items(view):
        cid = item["custom_id"]
        assert 1 <= len(cid) <= 100
        matched = [
            cls
            for cls in (VoteButton, VoteSelect, PickSelect)
            if cls.__discord_ui_compiled_template__.fullmatch(cid)
        ]
        assert len(matched) == 1, cid
        (cls,) = matched
        match = cls.__discord_ui_compiled_template__.fullmatch(cid)
        rebuilt = await cls.from_custom_id(None, None, match)
        assert rebuilt.item.custom_id == cid
        if cls is VoteButton:
            label = item["label"]
            step = None if label == "None of these worked" else int(label.split()[1])
            assert (rebuilt.entry_id, rebuilt.step) == (entry.id, step)
        elif cls is VoteSelect:
            assert rebuilt.entry_id == entry.id


async def test_steps_past_nine_are_offered_in_a_select():
    """A 12-step entry: buttons for 1-9, then a select offering steps 10, 11 and 12."""
    entry = _entry(id="many:12", steps=tuple(f"Do thing {n}." for n in range(1, 13)))
    view = answer_view(entry)
    items = _items(view)
    labels = [c["label"] for _, c in items if c["type"] == 2]
    assert labels == [f"Step {n} worked" for n in range(1, 10)] + ["None of these worked"]
    (select,) = [c for _, c in items if c["type"] == 3]
    assert [o["value"] for o in select["options"]] == ["10", "11", "12"]
    assert [o["label"] for o in select["options"]] == [f"Step {n} worked" for n in (10, 11, 12)]
    match = VoteSelect.__discord_ui_compiled_template__.fullmatch(select["custom_id"])
    assert match is not None and match["entry"] == "many:12"
    assert len(view.to_components()) <= 5
    assert _message_problems(_payload(answer_embed(entry), view)) == []


# ---------------------------------------------------------------- echoing user text


@pytest.mark.parametrize("query", HOSTILE, ids=lambda q: repr(q[:20]))
def test_not_found_echo_is_harmless(query: str):
    """The echoed query pings nobody, formats nothing, stays on one line and is bounded."""
    embed = not_found_embed(query)
    shown = _quoted(embed)
    assert MENTION.search(shown) is None, shown
    assert MARKDOWN.search(shown) is None, shown
    assert "\n" not in shown and "\r" not in shown
    visible = _unescaped(shown)
    flat = " ".join(query.split()).replace("\u200b", "")
    assert len(visible) <= 150
    assert flat.startswith(visible.removesuffix("…")), (flat[:60], visible[:60])
    assert _limit_problems(embed) == []
    assert _message_problems(_payload(embed)) == []


def test_long_paste_is_cut_at_a_word_with_a_marker():
    """A 4,000-char paste is echoed as its first words (≤ limit) followed by '…'."""
    paste = _words(0, 4000)
    shown = quote_user_text(paste, 200)
    assert len(shown) <= 200 and shown.endswith("…")
    head = shown.removesuffix("…")
    assert paste.startswith(head) and paste[len(head)] == " "


def test_escaping_never_more_than_doubles_the_limit():
    """Text made only of markdown characters is escaped, and still bounded by twice the limit."""
    for text in ("*" * 4000, "_|~`" * 1000, "@everyone " * 400):
        shown = quote_user_text(text, 150)
        assert len(shown) <= 300
        assert MARKDOWN.search(shown) is None and MENTION.search(shown) is None


@settings(max_examples=150, deadline=None)
@given(query=st.text())
def test_not_found_embed_is_valid_for_any_query(query: str):
    """Whatever was asked, the not-found message is a valid Discord message within limits."""
    embed = not_found_embed(query)
    assert _limit_problems(embed) == []
    assert _message_problems(_payload(embed)) == []
    assert MENTION.search(_quoted(embed)) is None


_TEXT = st.text(max_size=300).map(str.strip).filter(bool)
_WORDY = st.builds(
    lambda word, n: " ".join([word] * n),
    st.text(st.characters(exclude_categories=("Z", "C")), min_size=1, max_size=30),
    st.integers(1, 300),
)
_ITEM = st.one_of(_TEXT, _WORDY)
_ENTRY = st.builds(
    _entry,
    title=_ITEM,
    severity=st.sampled_from(SEVERITIES),
    platforms=st.lists(_TEXT, min_size=1, max_size=4).map(tuple),
    messages=st.lists(_ITEM, max_size=4).map(tuple),
    cause_chain=st.lists(_TEXT, max_size=4).map(tuple),
    causes=st.lists(_ITEM, min_size=1, max_size=8).map(tuple),
    steps=st.lists(_ITEM, min_size=1, max_size=15).map(tuple),
    note=st.one_of(st.just(""), _ITEM),
)


@settings(max_examples=150, deadline=None)
@given(
    entry=_ENTRY,
    votes=st.dictionaries(st.one_of(st.none(), st.integers(1, 15)), st.integers(0, 10**6)),
)
def test_any_entry_gives_a_valid_answer(entry: Entry, votes: dict):
    """Any catalog-shaped entry yields an answer that Discord accepts, with its buttons."""
    embed = answer_embed(entry, votes)
    assert _limit_problems(embed) == []
    assert _message_problems(_payload(embed, answer_view(entry))) == []


def test_screenshot_notes_show_what_was_read_safely():
    note = screenshot_note("@everyone *Error* code: accounts:103")
    assert note.startswith('Read from your screenshot: "') and note.endswith('accounts:103"')
    assert "@everyone" not in note and "\\*Error\\*" in note
    lines = unread_note(
        [
            Reading("a.svg", problem="an SVG drawing: only PNG, JPEG, WebP and GIF are read"),
            Reading("photo.jpg"),
            Reading("ok.png", "Account disabled."),
        ]
    ).splitlines()
    assert lines == [
        "*Not read: a.svg: an SVG drawing: only PNG, JPEG, WebP and GIF are read*",
        "*No text found in photo.jpg.*",
    ]
    embed = not_found_embed("holiday", note=lines[1])
    assert embed.description.startswith("*No text found in photo.jpg.*\n\nNothing in the catalog")
