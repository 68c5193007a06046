"""Trim Discord's OpenAPI description (v10, discord-api-spec 74fda0f) to what the fake serves."""

# Usage: python -m tests.fakediscord.trim_openapi [SOURCE] [-o OUTPUT] [--check]
#
# The committed output, discord-openapi.min.json beside this file, was made from
# discord/discord-api-spec specs/openapi.json at commit
# 74fda0fad044407ea280043a03ffc9bc64c4e49e ("Automated spec update (242668)", 2026-07-18):
# OpenAPI 3.1.0, info.version "10" ("Discord HTTP API (Preview)"), 1,183,025 bytes, sha256
# 8c1d0707ccdf8e380a86dfba04058820a66435c1b69d5ed82e04dd8c0520dd73. MIT licence, © 2023 Discord.
#
# Kept: every operation the fake's router serves (responses dropped: the fake checks what the
# bot sends, not what it answers itself), each with the path item's parameters, every
# component schema they reference (transitively) and the security schemes they name. Every
# other operation of the description stays as a bare route (operationId only), so routing
# verdicts are those of the full description. Keys are sorted and each path, route and
# schema sits on a line of its own: the same source gives the same bytes, and a newer
# description gives a readable diff.

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "discord-openapi.min.json"
# Only where the full description is usually found on a developer's machine; never needed.
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "reference" / "discord-openapi.json"
SOURCE_ENV = "FAKE_DISCORD_OPENAPI"
TRIMMED_KEY = "x-trimmed-from"
UNSERVED_KEY = "x-unserved-operations"
API_PREFIX = "/api/v10"
METHODS = ("get", "put", "post", "patch", "delete")
UPSTREAM = "https://github.com/discord/discord-api-spec"
# Descriptions whose upstream commit is known, by sha256 of the file: recorded in the output.
KNOWN_SOURCES = {
    "8c1d0707ccdf8e380a86dfba04058820a66435c1b69d5ed82e04dd8c0520dd73": {
        "commit": "74fda0fad044407ea280043a03ffc9bc64c4e49e",
        "date": "2026-07-18",
        "path": "specs/openapi.json",
        "update": "Automated spec update (242668)",
    },
}
# Expanded one entry per line in the output: top level, components, and these maps.
EXPANDED = {(), ("components",), ("components", "schemas"), ("paths",), (UNSERVED_KEY,)}


def full_description() -> Path | None:
    """The untrimmed description, if this machine has one: $FAKE_DISCORD_OPENAPI or ../shared."""
    env = os.environ.get(SOURCE_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(DEFAULT_SOURCE)
    for path in candidates:
        if path.is_file() and TRIMMED_KEY not in json.loads(path.read_text(encoding="utf-8")):
            return path
    return None


def served_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(path template, method) of every operation the fake's router answers."""
    from .rest import build_app
    from .server import FakeDiscord
    from .spec import Spec

    spec = Spec(copy.deepcopy(document))
    served = set()
    for route in build_app(FakeDiscord(validate=False)).router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if not path.startswith(API_PREFIX + "/") or route.method.lower() not in METHODS:
            continue
        op = spec.match(route.method, re.sub(r"\{[^}]+\}", "1", path[len(API_PREFIX) :]))
        if op is None or not op.served:
            raise SystemExit(
                f"the fake serves {route.method} {path}, which the description does not have"
            )
        served.add((op.template, op.method))
    return served


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise SystemExit(f"external $ref {ref!r}: only local references can be trimmed")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _source_info(raw: bytes, document: dict[str, Any]) -> dict[str, Any]:
    """What identifies the description: its version, upstream commit, size and hashes."""
    sha = hashlib.sha256(raw).hexdigest()
    blob = hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()
    known = KNOWN_SOURCES.get(sha, {"commit": None, "path": None})
    return {
        "bytes": len(raw),
        "git_blob": blob,
        "info_version": document["info"]["version"],
        "licence": "MIT, Copyright 2023 Discord",
        "made_by": "python -m tests.fakediscord.trim_openapi",
        "openapi": document["openapi"],
        "repository": UPSTREAM,
        "sha256": sha,
        **known,
    }


def trim(raw: bytes) -> dict[str, Any]:
    """The trimmed document made from the full description's bytes."""
    document = json.loads(raw)
    served = served_operations(document)
    paths: dict[str, Any] = {}
    unserved: dict[str, dict[str, str]] = {}
    for template, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            if (template, method) in served:
                kept = paths.setdefault(
                    template, {k: v for k, v in item.items() if k not in METHODS}
                )
                kept[method] = {k: v for k, v in item[method].items() if k != "responses"}
            else:
                unserved.setdefault(template, {})[method] = item[method].get("operationId", "")
    refs: set[str] = set()
    _refs(paths, refs)
    done: set[str] = set()
    while refs - done:
        ref = min(refs - done)
        done.add(ref)
        _refs(_resolve(document, ref), refs)
    components: dict[str, Any] = {}
    for ref in sorted(done):
        _, kind, name = ref[2:].split("/")  # "#/components/<kind>/<name>"
        components.setdefault(kind, {})[name] = document["components"][kind][name]
    schemes = {
        name
        for op in (o for i in paths.values() for o in i.values() if isinstance(o, dict))
        for req in op.get("security", [])
        for name in req
    }
    if schemes:
        components["securitySchemes"] = {
            name: document["components"]["securitySchemes"][name] for name in sorted(schemes)
        }
    return {
        "components": components,
        "info": document["info"],
        "openapi": document["openapi"],
        "paths": paths,
        TRIMMED_KEY: _source_info(raw, document),
        UNSERVED_KEY: unserved,
    }


def render(document: dict[str, Any], where: tuple[str, ...] = ()) -> str:
    """Compact JSON with sorted keys; the maps in EXPANDED get one entry per line."""
    if where not in EXPANDED or not isinstance(document, dict):
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    items = [
        f"{json.dumps(key)}:{render(document[key], (*where, key))}" for key in sorted(document)
    ]
    return "{\n" + ",\n".join(items) + "\n}" + ("\n" if not where else "")


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the trimmed description."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", nargs="?", type=Path, help="the full openapi.json")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the output is stale")
    args = parser.parse_args(argv)
    source = args.source or full_description()
    if source is None:
        parser.error(f"no full description found: pass its path or set ${SOURCE_ENV}")
    text = render(trim(source.read_bytes()))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is not the trim of {source}: run this script", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date with {source}")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.encode()):,} bytes) from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
