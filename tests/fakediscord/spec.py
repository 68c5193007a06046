"""Discord's OpenAPI description (trimmed copy in the repo): routes indexed, validators cached."""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

log = logging.getLogger(__name__)

SPEC_URI = "urn:discord-openapi"
# OpenAPI 3.1 without `jsonSchemaDialect` means the OAS base dialect: JSON Schema 2020-12
# plus annotation-only keywords (discriminator, xml, example), formats not asserted.
OAS_31_DEFAULT_DIALECT = "https://spec.openapis.org/oas/3.1/dialect/base"
_METHODS = ("get", "put", "post", "patch", "delete")
# Made by trim_openapi.py from Discord's full description; $FAKE_DISCORD_OPENAPI overrides it.
TRIMMED_SPEC = Path(__file__).resolve().with_name("discord-openapi.min.json")
# Operations of Discord the fake does not serve: bare routes (operationId only), no schemas.
UNSERVED_KEY = "x-unserved-operations"


def spec_path() -> Path:
    """Where the spec lives: $FAKE_DISCORD_OPENAPI, or the trimmed copy beside this file."""
    env = os.environ.get("FAKE_DISCORD_OPENAPI")
    return Path(env) if env else TRIMMED_SPEC


@dataclass(frozen=True)
class Operation:
    """One method of one path template of the spec."""

    template: str
    method: str
    operation_id: str
    has_json_body: bool
    served: bool = True  # False: a bare route of the trimmed spec, with no schemas


class Spec:
    """The parsed spec with a route index and lazily compiled request validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        version = document.get("openapi", "")
        self.dialect = document.get("jsonSchemaDialect") or OAS_31_DEFAULT_DIALECT
        if not version.startswith("3.1") or self.dialect != OAS_31_DEFAULT_DIALECT:
            log.warning(
                "spec %s / dialect %s: validating as JSON Schema 2020-12", version, self.dialect
            )
        _relax_snowflakes(document)
        _discriminate_unions(document)
        self.registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(document))
        self._unserved: dict[str, dict[str, str]] = document.get(UNSERVED_KEY) or {}
        self._routes: list[tuple[re.Pattern[str], str]] = []
        for template in {**document["paths"], **self._unserved}:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            self._routes.append((re.compile(f"^{pattern}$"), template))
        # Literal segments beat parameters: /messages/@original before /messages/{message_id}.
        # Ties by name, not file order: the trimmed file is sorted (and agrees with Discord's).
        self._routes.sort(key=lambda r: (r[1].count("{"), -len(r[1]), r[1]))
        self._validators: dict[tuple[str, str], jsonschema.Draft202012Validator | None] = {}
        self._valid_bodies: set[tuple[str, str, str]] = set()

    def match(self, method: str, path: str) -> Operation | None:
        """The operation for a concrete path (without /api/v10), or None."""
        method = method.lower()
        for regex, template in self._routes:
            if not regex.match(path):
                continue
            op = self.document["paths"].get(template, {}).get(method)
            if op is not None:
                content = (op.get("requestBody") or {}).get("content", {})
                return Operation(
                    template, method, op.get("operationId", ""), "application/json" in content
                )
            bare = self._unserved.get(template, {}).get(method)
            if bare is not None:
                return Operation(template, method, bare, False, served=False)
        return None

    def template_exists(self, path: str) -> bool:
        """Whether any path template of the spec matches, whatever the method."""
        return any(regex.match(path) for regex, _ in self._routes)

    def validator(self, op: Operation) -> jsonschema.Draft202012Validator | None:
        """The compiled validator for the operation's JSON request body (cached)."""
        key = (op.template, op.method)
        if key not in self._validators:
            schema = None
            if op.has_json_body:
                body = self.document["paths"][op.template][op.method]["requestBody"]
                schema = _anchor_refs(copy.deepcopy(body["content"]["application/json"]["schema"]))
            self._validators[key] = (
                None
                if schema is None
                else jsonschema.Draft202012Validator(schema, registry=self.registry)
            )
        return self._validators[key]

    def schema_validator(self, name: str) -> jsonschema.Draft202012Validator:
        """A validator for `#/components/schemas/<name>` (cached)."""
        key = ("#schema", name)
        if key not in self._validators:
            ref = {"$ref": f"{SPEC_URI}#/components/schemas/{name}"}
            self._validators[key] = jsonschema.Draft202012Validator(ref, registry=self.registry)
        return self._validators[key]  # type: ignore[return-value]

    def validate_body(self, op: Operation, body: Any) -> list[str]:
        """Readable schema problems of a request body (empty when valid)."""
        validator = self.validator(op)
        if validator is None:
            return []
        key = (op.template, op.method, json.dumps(body, sort_keys=True))
        if key in self._valid_bodies:  # load tests repeat payloads: skip the ~3 ms check
            return []
        problems = describe_errors(validator, body)
        if not problems:
            if len(self._valid_bodies) > 4096:
                self._valid_bodies.clear()
            self._valid_bodies.add(key)
        return problems


def describe_errors(validator: jsonschema.Draft202012Validator, instance: Any) -> list[str]:
    """Turn validation errors into short `path: problem` lines."""
    problems: list[str] = []
    for error in sorted(validator.iter_errors(instance), key=_error_order):
        for leaf in _leaves(error):
            line = f"{_json_path(leaf)}: {_explain(leaf)}"
            if line not in problems:
                problems.append(line)
    return problems


def _canon(path: Any) -> tuple[tuple[int, int, str], ...]:
    """A sort key for a JSON path: indices numerically, then names."""
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in path)


def _error_order(error: ValidationError) -> tuple[Any, ...]:
    """Where an error is, in the instance then the schema: not the schema's key order."""
    # jsonschema yields errors in the order of the schema's keys; the trimmed copy sorts them.
    return _canon(error.absolute_path), _canon(error.schema_path)


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For anyOf/oneOf failures, descend into the branch that was meant (by `type` tag)."""
    if not error.context:
        return [error]
    by_branch: dict[Any, list[ValidationError]] = {}
    for sub in sorted(error.context, key=_error_order):
        by_branch.setdefault(sub.schema_path[0], []).append(sub)
    branches = [by_branch[k] for k in sorted(by_branch, key=lambda k: _canon([k]))]
    candidates = [errs for errs in branches if not any(map(_wrong_kind, errs))]
    if not candidates:
        return [error]
    branch = min(candidates, key=len)
    return [leaf for sub in branch for leaf in _leaves(sub)]


def _wrong_kind(error: ValidationError) -> bool:
    """True for errors saying the branch does not apply: wrong JSON type or `type` tag."""
    path = list(error.relative_path)
    if not path and error.validator == "type":
        return True
    return path == ["type"] and error.validator in ("enum", "const", "type")


def _explain(error: ValidationError) -> str:
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind in ("maxLength", "minLength", "maxItems", "minItems") and hasattr(value, "__len__"):
        unit = "chars" if isinstance(value, str) else "items"
        return f"{len(value)} {unit}, {kind} is {limit}"
    if kind in ("maximum", "minimum"):
        return f"{value!r} violates {kind} {limit}"
    text = error.message
    shown = repr(value)
    if len(shown) > 60 and text.startswith(shown):
        text = shown[:50] + "…" + text[len(shown) :]
    return text if len(text) <= 200 else text[:190] + "…"


def _json_path(error: ValidationError) -> str:
    out = "body"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _anchor_refs(node: Any) -> Any:
    """Point the local `#/...` refs of an extracted schema at the registered spec resource."""
    if isinstance(node, dict):
        return {
            k: (f"{SPEC_URI}{v}" if k == "$ref" and v.startswith("#") else _anchor_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_anchor_refs(v) for v in node]
    return node


def _relax_snowflakes(document: dict[str, Any]) -> None:
    """Discord takes snowflakes as strings or integers; the spec lists only strings."""
    schemas = document["components"]["schemas"]
    original = schemas.get("SnowflakeType")
    if original and "anyOf" not in original:
        schemas["SnowflakeType"] = {
            "anyOf": [original, {"type": "integer", "minimum": 0}],
        }


def _union_tag(schemas: dict[str, Any], branch: Any) -> tuple[Any, ...] | None:
    """The values of an object branch's `type` property (enum/const), if it has them."""
    while isinstance(branch, dict) and set(branch) == {"$ref"}:
        branch = schemas.get(branch["$ref"].rsplit("/", 1)[-1])
    if not isinstance(branch, dict) or branch.get("type") != "object":
        return None
    tag = (branch.get("properties") or {}).get("type")
    if isinstance(tag, dict) and "enum" in tag:
        return tuple(tag["enum"])
    if isinstance(tag, dict) and "const" in tag:
        return (tag["const"],)
    return None


def _discriminate_unions(node: Any, schemas: dict[str, Any] | None = None) -> None:
    """Rewrite oneOf/anyOf unions tagged by disjoint `type` values as if/then chains."""
    # Same verdicts (only the branch with the instance's tag can match), but each item is
    # checked against one branch instead of all of them: ~5x faster on message payloads,
    # and errors point into the branch that was meant.
    if schemas is None:
        schemas = node["components"]["schemas"]
    if isinstance(node, list):
        for item in node:
            _discriminate_unions(item, schemas)
        return
    if not isinstance(node, dict):
        return
    for key in ("oneOf", "anyOf"):
        branches = node.get(key)
        if not isinstance(branches, list) or len(branches) < 2:
            continue
        tags = [_union_tag(schemas, b) for b in branches]
        values = [v for t in tags if t for v in t]
        if not all(tags) or len(values) != len(set(values)):
            continue
        del node[key]
        chain: list[Any] = [
            {"type": "object", "required": ["type"], "properties": {"type": {"enum": values}}}
        ]
        for tag, branch in zip(tags, branches, strict=True):
            chain.append(
                {
                    "if": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {"type": {"enum": list(tag or ())}},
                    },
                    "then": branch,
                }
            )
        node.setdefault("allOf", []).extend(chain)
    for value in list(node.values()):
        _discriminate_unions(value, schemas)


@functools.cache
def load_spec() -> Spec:
    """Load and index the spec once per process."""
    path = spec_path()
    log.debug("loading Discord OpenAPI spec from %s", path)
    with path.open(encoding="utf-8") as fh:
        return Spec(json.load(fh))
