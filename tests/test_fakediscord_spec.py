"""The trimmed OpenAPI description: complete for the fake, and as strict as the full one."""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import load_catalog
from bot.components import answer_view
from bot.embeds import answer_embed, not_found_embed
from tests.fakediscord import spec as spec_module
from tests.fakediscord import trim_openapi
from tests.fakediscord.recording import RecordedRequest, Validator
from tests.fakediscord.rest import API_PREFIX, build_app
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.spec import SPEC_URI, TRIMMED_SPEC, Spec

TESTS = Path(__file__).resolve().parent
METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")
VARIANTS_PER_BODY = 30  # mutated copies of each real payload: ~550 checks per spec in all
# Files that run in a clone without ../shared: none of them may look there.
SELF_CONTAINED = [
    *sorted((TESTS / "fakediscord").glob("*.py")),
    TESTS / "conftest.py",
    TESTS / "support.py",
    *sorted(TESTS.glob("test_*e2e.py")),
    *sorted(TESTS.glob("test_fakediscord*.py")),
]


def _trimmed() -> Spec:
    return Spec(json.loads(TRIMMED_SPEC.read_text(encoding="utf-8")))


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def test_the_fake_loads_the_trimmed_copy_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("FAKE_DISCORD_OPENAPI", raising=False)
    assert spec_module.spec_path() == TRIMMED_SPEC
    monkeypatch.setenv("FAKE_DISCORD_OPENAPI", "/elsewhere/openapi.json")
    assert spec_module.spec_path() == Path("/elsewhere/openapi.json")


def test_no_self_contained_file_reads_shared():
    for path in SELF_CONTAINED:
        # trim_openapi.py finds its input there when it is there; this file only names it.
        if path.name not in ("trim_openapi.py", Path(__file__).name):
            assert '"shared"' not in path.read_text(encoding="utf-8"), path


def test_every_route_the_fake_serves_has_its_schemas():
    spec = _trimmed()
    for route in build_app(FakeDiscord(validate=False)).router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if not path.startswith(API_PREFIX + "/") or route.method == "HEAD":
            continue
        op = spec.match(route.method, _concrete(path[len(API_PREFIX) :]))
        assert op is not None and op.served, f"{route.method} {path}: run trim_openapi.py"
    refs: set[str] = set()
    trim_openapi._refs(spec.document, refs)
    for ref in refs:  # every reference resolves inside the file
        trim_openapi._resolve(spec.document, ref.removeprefix(SPEC_URI))
    assert (
        spec.document[trim_openapi.TRIMMED_KEY]["info_version"] == spec.document["info"]["version"]
    )


@pytest.fixture(scope="module")
def full() -> tuple[bytes, Spec]:
    path = trim_openapi.full_description()
    if path is None:
        pytest.skip("no full description here ($FAKE_DISCORD_OPENAPI or ../shared)")
    raw = path.read_bytes()
    return raw, Spec(json.loads(raw))


def test_the_committed_file_is_the_trim_of_the_full_description(full):
    raw, _ = full
    assert trim_openapi.render(trim_openapi.trim(raw)) == TRIMMED_SPEC.read_text(
        encoding="utf-8"
    ), "stale: run python -m tests.fakediscord.trim_openapi"


def _closure(document: dict[str, Any], node: Any) -> dict[str, Any]:
    """Every subschema reachable from `node` through $refs, by reference."""
    found: dict[str, Any] = {}
    todo: set[str] = set()
    trim_openapi._refs(node, todo)
    while todo:
        ref = todo.pop().removeprefix(SPEC_URI)
        if ref not in found:
            found[ref] = trim_openapi._resolve(document, ref)
            trim_openapi._refs(found[ref], todo)
    return found


def test_served_operations_see_identical_schemas(full):
    """The validator of an operation reads its body schema and what that references: equal."""
    _, wide = full
    narrow = _trimmed()
    for template, item in narrow.document["paths"].items():
        for method, op in item.items():
            if method not in trim_openapi.METHODS:
                continue
            assert op == {
                k: v
                for k, v in wide.document["paths"][template][method].items()
                if k != "responses"
            }, (method, template)
            ours, theirs = _closure(narrow.document, op), _closure(wide.document, op)
            assert ours == theirs, (method, template)


def test_routing_verdicts_are_those_of_the_full_description(full):
    _, wide = full
    narrow = _trimmed()
    templates = list(wide.document["paths"])
    old_order = sorted(templates, key=lambda t: (t.count("{"), -len(t)))
    assert sorted(templates, key=lambda t: (t.count("{"), -len(t), t)) == old_order
    for path in [*map(_concrete, templates), "/nope", "/channels/1/nope", "/users/@me/x"]:
        for method in METHODS:
            a, b = wide.match(method, path), narrow.match(method, path)
            assert (a and (a.template, a.method, a.operation_id)) == (
                b and (b.template, b.method, b.operation_id)
            ), (method, path)
            assert wide.template_exists(path) == narrow.template_exists(path)
            if b is not None and b.served:
                assert a is not None and a.has_json_body == b.has_json_body


def _mutations(body: Any, rng: random.Random) -> list[Any]:
    """Copies of `body` with one node broken or stretched (types, lengths, keys)."""
    spots: list[tuple[list[Any], Any]] = []

    def walk(node: Any, path: list[Any]) -> None:
        spots.append((path, node))
        children = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, child in children:
            walk(child, [*path, key])

    walk(body, [])
    out = []
    for path, node in rng.sample(spots, min(len(spots), VARIANTS_PER_BODY)):
        if isinstance(node, str):
            new = rng.choice(["", "x" * rng.choice([33, 101, 257, 1025, 2001, 4097]), 7, None])
        elif isinstance(node, int | float):  # bools too
            new = rng.choice([-1, 2**64, "12", None, 1.5, True])
        elif isinstance(node, list):
            new = rng.choice([[], node * 30, {}, [None]])
        else:
            new = rng.choice(
                [{**node, "zz_unknown": 1}, [], "x"]
                + [{k: v for k, v in node.items() if k != drop} for drop in list(node)[:3]]
            )
        copy_ = copy.deepcopy(body)
        if not path:
            out.append(new)
            continue
        target = copy_
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = new
        out.append(copy_)
    return out


def _real_bodies() -> list[tuple[str, str, Any]]:
    """What the bot sends, per route: answers, edits, callbacks, commands, threads, DMs."""
    entries = load_catalog().entries
    messages = [
        {
            "embeds": [answer_embed(e, {1: 3, None: 1}).to_dict()],
            "components": answer_view(e, list(entries[i + 1 : i + 3])).to_components(),
            "allowed_mentions": {"parse": []},
            "message_reference": {"message_id": "1", "fail_if_not_exists": False},
        }
        for i, e in enumerate(entries[::8])
    ]
    messages.append({"embeds": [not_found_embed("what @everyone").to_dict()], "flags": 64})
    command = {
        "name": "spotify-error",
        "description": "Explain",
        "type": 1,
        "options": [
            {
                "type": 3,
                "name": "query",
                "description": "The code",
                "required": True,
                "autocomplete": True,
            },
            {"type": 5, "name": "private", "description": "Only you"},
        ],
    }
    callbacks = [
        {"type": 4, "data": messages[0]},
        {"type": 5, "data": {"flags": 64}},
        {"type": 6},
        {"type": 7, "data": {"content": "done", "components": []}},
        {"type": 8, "data": {"choices": [{"name": "auth:73", "value": "auth:73"}]}},
        {
            "type": 9,
            "data": {
                "custom_id": "m",
                "title": "T",
                "components": [
                    {
                        "type": 1,
                        "components": [{"type": 4, "custom_id": "t", "label": "L", "style": 1}],
                    }
                ],
            },
        },
    ]
    bodies = [("POST", "/channels/1/messages", m) for m in messages]
    bodies += [("POST", "/interactions/1/tok/callback", c) for c in callbacks]
    bodies += [
        ("POST", "/webhooks/1/tok", messages[1]),
        ("PATCH", "/webhooks/1/tok/messages/@original", messages[2]),
        ("PATCH", "/channels/1/messages/1", {"embeds": messages[3]["embeds"]}),
        ("PUT", "/applications/1/commands", [command, {"name": "Identify", "type": 3}]),
        ("PUT", "/applications/1/guilds/1/commands", [command]),
        ("POST", "/applications/1/commands", command),
        (
            "POST",
            "/channels/1/threads",
            {"name": "post", "message": messages[0], "applied_tags": ["1"]},
        ),
        ("POST", "/channels/1/messages/1/threads", {"name": "t", "auto_archive_duration": 1440}),
        ("PATCH", "/channels/1", {"name": "x", "archived": True, "locked": False}),
        ("POST", "/users/@me/channels", {"recipient_id": "1"}),
    ]
    return bodies


def test_every_request_gets_the_same_verdict_from_both(full):
    """Real payloads and ~530 broken copies of them: the same problems, line for line."""
    _, wide = full
    strict, trimmed = Validator(wide), Validator(_trimmed())
    rng = random.Random(20260718)
    checked = rejected = 0
    for method, path, body in _real_bodies():
        for variant in [body, *_mutations(body, rng)]:
            rec = RecordedRequest(method, path, {}, json=variant)
            verdict = trimmed.check(rec)
            assert verdict == strict.check(copy.copy(rec)), (method, path, variant)
            checked, rejected = checked + 1, rejected + bool(verdict)
    assert checked > 500 and rejected > checked // 4, (checked, rejected)  # mutations bite
