"""Discord's rules that the OpenAPI schema does not express, checked on outgoing payloads."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000  # bots cannot use the 4000 characters of Nitro users
MAX_ACTION_ROWS = 5
MAX_ROW_BUTTONS = 5
MAX_V2_COMPONENTS = 40
IS_COMPONENTS_V2 = 1 << 15
SELECT_TYPES = {3, 5, 6, 7, 8}
COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097f\u0e00-\u0e7f]{1,32}$")


# Malformed parts are the schema's to report: the rules below read only well-typed values.
def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def embed_chars(embed: dict[str, Any]) -> int:
    """Characters that count towards the 6000 limit in one embed."""
    total = len(_str(embed.get("title"))) + len(_str(embed.get("description")))
    for field in map(_dict, _list(embed.get("fields"))):
        total += len(_str(field.get("name"))) + len(_str(field.get("value")))
    total += len(_str(_dict(embed.get("footer")).get("text")))
    total += len(_str(_dict(embed.get("author")).get("name")))
    return total


def message_problems(
    body: dict[str, Any], *, has_files: bool = False, partial: bool = False
) -> list[str]:
    """Problems of a message body (create when partial is False, edit otherwise)."""
    if not isinstance(body, dict):
        return []
    problems = []
    content = _str(body.get("content"))
    if len(content) > CONTENT_LIMIT:
        problems.append(f"content is {len(content)} chars, bots may send {CONTENT_LIMIT}")
    embeds = _list(body.get("embeds"))
    total = sum(embed_chars(e) for e in embeds if isinstance(e, dict))
    if total > EMBED_TOTAL_LIMIT:
        problems.append(
            f"embeds total {total} chars, Discord allows {EMBED_TOTAL_LIMIT} "
            "per message (title+description+fields+footer+author)"
        )
    problems += component_problems(_list(body.get("components")), _int(body.get("flags")))
    empty = not (
        content
        or embeds
        or body.get("components")
        or has_files
        or body.get("sticker_ids")
        or body.get("poll")
    )
    if empty and not partial:
        problems.append(
            "empty message: no content, embeds, components, files or poll (Discord error 50006)"
        )
    return problems


def component_problems(components: list[Any], flags: int = 0) -> list[str]:
    """Layout rules of message components (classic action rows or Components V2)."""
    problems = []
    if flags & IS_COMPONENTS_V2:
        count = sum(1 for _ in _walk(components))
        if count > MAX_V2_COMPONENTS:
            problems.append(f"{count} components, Components V2 allows {MAX_V2_COMPONENTS}")
    else:
        if len(components) > MAX_ACTION_ROWS:
            problems.append(f"{len(components)} action rows, Discord allows {MAX_ACTION_ROWS}")
        for i, row in enumerate(components):
            problems += _row_problems(i, row)
    problems += _custom_id_problems(components)
    return problems


def _row_problems(index: int, row: Any) -> list[str]:
    if not isinstance(row, dict) or row.get("type") != 1:
        return [f"components[{index}] is not an action row (type 1) in a classic message"]
    items = _list(row.get("components"))
    problems = []
    selects = [c for c in items if isinstance(c, dict) and c.get("type") in SELECT_TYPES]
    if selects and len(items) > 1:
        problems.append(f"components[{index}]: a select menu must be alone in its action row")
    if len(items) > MAX_ROW_BUTTONS:
        problems.append(f"components[{index}]: {len(items)} buttons, a row holds {MAX_ROW_BUTTONS}")
    if not items:
        problems.append(f"components[{index}]: empty action row")
    for j, item in enumerate(items):
        if not isinstance(item, dict) or item.get("type") != 2:
            continue
        where = f"components[{index}].components[{j}]"
        style = item.get("style")
        if style == 5 and (not item.get("url") or item.get("custom_id")):
            problems.append(f"{where}: a link button needs url and no custom_id")
        elif style == 6 and not item.get("sku_id"):
            problems.append(f"{where}: a premium button needs sku_id")
        elif style not in (5, 6) and not item.get("custom_id"):
            problems.append(f"{where}: a button of style {style} needs a custom_id")
    return problems


def _custom_id_problems(components: list[Any]) -> list[str]:
    problems, seen = [], set()
    for comp in _walk(components):
        cid = comp.get("custom_id")
        if cid is None:
            continue
        if not isinstance(cid, str) or not 1 <= len(cid) <= 100:
            problems.append(
                f"custom_id {str(cid)[:40]!r}… must be 1-100 chars (is {len(str(cid))})"
            )
        if cid in seen:
            problems.append(f"custom_id {cid[:60]!r} used twice in one message")
        seen.add(cid)
    return problems


def _walk(components: list[Any]) -> Iterator[dict[str, Any]]:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        yield comp
        yield from _walk(_list(comp.get("components")))
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield from _walk([comp[key]])


def callback_problems(body: dict[str, Any], *, has_files: bool = False) -> list[str]:
    """Problems of an interaction callback body by callback type."""
    if not isinstance(body, dict):
        return []
    kind, data = body.get("type"), _dict(body.get("data"))
    if kind == 4:
        return message_problems(data, has_files=has_files)
    if kind == 7:
        return message_problems(data, has_files=has_files, partial=True)
    if kind == 9:
        rows = _list(data.get("components"))
        problems = _custom_id_problems(rows)
        if len(rows) > MAX_ACTION_ROWS:
            problems.append(f"modal has {len(rows)} rows, Discord allows {MAX_ACTION_ROWS}")
        return problems
    return []


def command_problems(commands: list[dict[str, Any]]) -> list[str]:
    """Rules of application-command definitions beyond the schema."""
    problems, seen = [], set()
    for i, cmd in enumerate(map(_dict, commands)):
        name, kind = _str(cmd.get("name")), cmd.get("type") or 1
        where = f"commands[{i}] ({name!r})"
        if (name, kind) in seen:
            problems.append(f"{where}: duplicate name for command type {kind}")
        seen.add((name, kind))
        if kind == 1:
            problems += _chat_input_problems(where, cmd)
        elif cmd.get("description") or cmd.get("options"):
            problems.append(f"{where}: context-menu commands take no description or options")
    return problems


def _chat_input_problems(where: str, node: dict[str, Any]) -> list[str]:
    problems = []
    name = _str(node.get("name"))
    if not COMMAND_NAME.match(name) or name != name.lower():
        problems.append(f"{where}: name must be lowercase letters, digits, - or _ (1-32)")
    if not node.get("description"):
        problems.append(f"{where}: slash commands and options need a description")
    options = [o for o in _list(node.get("options")) if isinstance(o, dict)]
    names = [str(o.get("name")) for o in options]
    if len(set(names)) != len(names):
        problems.append(f"{where}: duplicate option names {names}")
    optional_seen = False
    for opt in options:
        sub = f"{where}.{opt.get('name')}"
        if opt.get("type") in (1, 2):
            problems += _chat_input_problems(sub, opt)
            continue
        if opt.get("required"):
            if optional_seen:
                problems.append(f"{sub}: required options must come before optional ones")
        else:
            optional_seen = True
        if opt.get("autocomplete") and opt.get("choices"):
            problems.append(f"{sub}: autocomplete and choices are mutually exclusive")
        opt_name = _str(opt.get("name"))
        if not COMMAND_NAME.match(opt_name) or opt_name != opt_name.lower():
            problems.append(f"{sub}: option name must be lowercase (1-32 chars)")
        if not opt.get("description"):
            problems.append(f"{sub}: options need a description")
    return problems
