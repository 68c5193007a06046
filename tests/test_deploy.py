"""Deployment files: Dockerfile, compose.yaml, the systemd unit, .env.example, the lock, the wheel.

Each file is parsed for real (YAML, a Dockerfile instruction parser, configparser, TOML,
the pip requirements format, the wheel's zip) and checked against the code it deploys, so a
new setting, package or dependency that the deployment files miss fails here.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.catalog import load_catalog
from bot.client import DRAIN_SECONDS
from bot.settings import load_settings, read_env_file

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Shaped like a token (three dot-separated parts), plainly not one.
FAKE_TOKEN = "x" * 24 + ".yyyyyy." + "z" * 27


def _seconds(value: str) -> float:
    """'15', '15s', '1m30s', '1min' (systemd and compose time spans) as seconds."""
    units = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    total = 0.0
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value.strip())
    assert parts, f"not a time span: {value!r}"
    for number, unit in parts:
        total += float(number) * units[unit or "s"]
    return total


# ------------------------------------------------------------------------------ compose


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_has_the_bot_and_an_optional_postgres(compose: dict):
    assert list(compose["services"]) == ["bot", "postgres"]
    bot = compose["services"]["bot"]
    build = bot["build"]
    assert (DEPLOY / build["context"]).resolve() == ROOT
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert bot["image"]
    env_files = bot["env_file"] if isinstance(bot["env_file"], list) else [bot["env_file"]]
    assert [(DEPLOY / f).resolve() for f in env_files] == [ROOT / ".env"]
    assert bot["restart"] == "unless-stopped"
    # Long enough for the bot's drain of in-flight interactions after SIGTERM.
    assert _seconds(bot["stop_grace_period"]) > DRAIN_SECONDS
    assert "healthcheck" not in bot  # inherited from the image
    assert "ports" not in bot  # health and metrics stay off the host unless asked for
    # PostgreSQL only with --profile postgres; then the bot waits until it is healthy.
    postgres = compose["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"] and "healthcheck" in postgres
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    wait = bot["depends_on"]["postgres"]
    assert wait == {"condition": "service_healthy", "required": False}
    assert "${POSTGRES_PASSWORD:?" in postgres["environment"]["POSTGRES_PASSWORD"]


def test_compose_mounts_the_named_volume_at_data(compose: dict):
    volumes = compose["services"]["bot"]["volumes"]
    mounts = {}
    for volume in volumes:
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        mounts[target] = source
    assert mounts == {"/data": "bot-data"}
    assert "bot-data" in compose["volumes"]


def test_the_volume_names_in_the_guide_are_the_ones_compose_creates(compose: dict):
    """Compose prefixes volumes with the project's name; the guide names them that way."""
    created = {f"{compose['name']}_{volume}" for volume in compose["volumes"]}
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(rf"\b{re.escape(compose['name'])}_[\w-]+", guide))
    assert named and named <= created, (named, created)


# ------------------------------------------------------------------------------ Dockerfile


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; `\\` continues a line, comment lines are dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comment lines may also sit inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), " ".join(args.split())))
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def _exec_form(args: str) -> list[str]:
    """CMD/ENTRYPOINT/HEALTHCHECK CMD arguments: JSON (exec) form, else shell words."""
    return json.loads(args) if args.startswith("[") else shlex.split(args)


def _without_flags(args: str) -> list[str]:
    words = json.loads(args) if args.startswith("[") else shlex.split(args)
    return [w for w in words if not w.startswith("--")]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return parse_dockerfile((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final_stage(dockerfile: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last_from = max(i for i, (kw, _) in enumerate(dockerfile) if kw == "FROM")
    return dockerfile[last_from:]


def test_dockerfile_parser_handles_continuations_and_comments():
    text = "FROM a\n# note\nRUN one \\\n    # inner comment\n    two \\\n    three\nUSER 1\n"
    assert parse_dockerfile(text) == [("FROM", "a"), ("RUN", "one two three"), ("USER", "1")]


def test_dockerfile_builds_from_python_slim(dockerfile):
    images = [_without_flags(args)[0] for kw, args in dockerfile if kw == "FROM"]
    assert images
    stages = {args.split()[-1] for kw, args in dockerfile if kw == "FROM" and " AS " in f" {args} "}
    for image in images:
        if image in stages:
            continue
        assert re.fullmatch(r"python:3\.1[1-9]-slim(-[a-z]+)?", image), image


def test_dockerfile_runs_as_a_non_root_user_after_the_installs(dockerfile, final_stage):
    users = [i for i, (kw, _) in enumerate(dockerfile) if kw == "USER"]
    assert users, "no USER instruction: the bot would run as root"
    installs = [
        i for i, (kw, args) in enumerate(dockerfile) if kw == "RUN" and "pip install" in args
    ]
    assert installs
    assert users[-1] > installs[-1]
    assert any(kw == "USER" for kw, _ in final_stage)
    user = dockerfile[users[-1]][1].split(":")[0]
    assert user not in ("root", "0", "")
    if user.isdigit():
        assert int(user) >= 1000


def test_dockerfile_data_volume_env_and_stop(final_stage):
    volumes = [v for kw, args in final_stage if kw == "VOLUME" for v in _exec_form(args)]
    assert "/data" in volumes
    env = {}
    for kw, args in final_stage:
        if kw == "ENV":
            for word in shlex.split(args):
                key, _, value = word.partition("=")
                env[key] = value
    assert env["DATABASE_URL"] == "sqlite:////data/helpdesk.sqlite3"
    assert env["HEALTH_PORT"] == "8080"
    assert env["HEALTH_HOST"] == "0.0.0.0"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert ("STOPSIGNAL", "SIGTERM") in final_stage


def test_dockerfile_healthcheck_probes_healthz(final_stage):
    checks = [args for kw, args in final_stage if kw == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD ")
    assert command, "HEALTHCHECK without CMD"
    assert "--start-period=" in options  # connecting to Discord takes a while
    argv = _exec_form(command)
    assert argv[0] == "python"  # the slim image has no curl
    assert "/healthz" in " ".join(argv)
    assert "127.0.0.1" in " ".join(argv)
    # The probe is valid Python.
    code = argv[argv.index("-c") + 1]
    compile(code, "<healthcheck>", "exec")


def test_dockerfile_cmd_runs_the_bot(final_stage):
    cmds = [args for kw, args in final_stage if kw == "CMD"]
    assert len(cmds) == 1
    assert _exec_form(cmds[0]) == ["python", "-m", "bot", "run"]
    assert not any(kw == "ENTRYPOINT" for kw, _ in final_stage)


def test_dockerfile_installs_the_lock_with_hashes_then_the_project_without_deps(dockerfile):
    runs = [args for kw, args in dockerfile if kw == "RUN"]
    lock = [r for r in runs if "requirements.lock" in r]
    assert lock and all("--require-hashes" in r for r in lock)
    project = [r for r in runs if re.search(r"pip install --no-deps \.(\s|$)", r)]
    assert project
    assert runs.index(lock[0]) < runs.index(project[0])


def _copy_sources(dockerfile) -> list[str]:
    sources = []
    for kw, args in dockerfile:
        if kw not in ("COPY", "ADD"):
            continue
        if "--from=" in args:
            continue  # from another stage, not the build context
        words = _without_flags(args)
        sources += words[:-1]
    return sources


def test_dockerfile_copies_only_paths_that_exist(dockerfile):
    sources = _copy_sources(dockerfile)
    assert sources
    for source in sources:
        if any(ch in source for ch in "*?["):
            continue  # an optional pattern (README*): may match nothing
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    assert "." not in [s.rstrip("/") for s in sources], "copy what is needed, not the repo"


def test_dockerfile_copies_everything_the_build_needs(dockerfile):
    """The packages and folders pyproject.toml builds from, and its readme, are all copied."""
    setuptools_cfg = PYPROJECT["tool"]["setuptools"]
    package_dir = setuptools_cfg.get("package-dir", {})
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"]}
    for package in setuptools_cfg["packages"]:
        needed.add(package_dir.get(package, package.split(".")[0]))
    sources = [s.rstrip("/") for s in _copy_sources(dockerfile)]
    for path in needed:
        assert any(fnmatch.fnmatch(path, s) for s in sources), f"{path} is not copied"


# ------------------------------------------------------------------------------ systemd


class _MultiDict(dict):
    """configparser storage that keeps every value of a repeated key (systemd allows those)."""

    def __setitem__(self, key, value):
        if isinstance(value, list) and isinstance(self.get(key), list):
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, dict_type=_MultiDict, empty_lines_in_values=False
    )
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DEPLOY / "spotify-error-bot.service", encoding="utf-8")
    return parser


def test_unit_parser_keeps_repeated_keys(unit):
    environment = unit["Service"]["Environment"].splitlines()
    assert len(environment) >= 2
    assert "DATABASE_URL=sqlite:////var/lib/spotify-error-bot/helpdesk.sqlite3" in environment


def test_unit_runs_the_bot_as_a_dynamic_user(unit):
    service = unit["Service"]
    assert service["DynamicUser"] == "yes"
    state = service["StateDirectory"]
    assert state == "spotify-error-bot"
    assert service["EnvironmentFile"].lstrip("-") == "/etc/spotify-error-bot/env"
    database = dict(e.split("=", 1) for e in service["Environment"].splitlines())["DATABASE_URL"]
    assert database.startswith(f"sqlite:////var/lib/{state}/")  # the one writable place
    exec_start = shlex.split(service["ExecStart"])
    assert Path(exec_start[0]).is_absolute()
    assert exec_start[1:] == ["-m", "bot", "run"]
    reload = shlex.split(service["ExecReload"])
    assert reload[0].endswith("kill") and "-HUP" in reload and "$MAINPID" in reload
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"].split() == ["2"]  # a settings error: no loop
    assert service["KillSignal"] == "SIGTERM"
    assert _seconds(service["TimeoutStopSec"]) > DRAIN_SECONDS


def test_unit_is_hardened(unit):
    service = unit["Service"]
    expected = {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "NoNewPrivileges": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictNamespaces": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "CapabilityBoundingSet": "",
        "SystemCallArchitectures": "native",
        "SystemCallFilter": "@system-service",
        "UMask": "0077",
    }
    assert {key: service.get(key) for key in expected} == expected
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert unit["Unit"]["After"] == unit["Unit"]["Wants"] == "network-online.target"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path):
    # verify wants ExecStart's program to exist: point it at this interpreter.
    text = (DEPLOY / "spotify-error-bot.service").read_text(encoding="utf-8")
    text = re.sub(r"^ExecStart=\S+", f"ExecStart={sys.executable}", text, flags=re.M)
    copy = tmp_path / "spotify-error-bot.service"
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=30
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and "not executable" not in output and "Unknown" not in output:
        pytest.skip(f"systemd-analyze cannot run here: {output.strip()[:200]}")
    assert result.returncode == 0, output
    assert "Unknown" not in output and "ignoring" not in output.lower(), output


# ------------------------------------------------------------------------------ .env.example


ENV_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def _settings_read_by_the_bot() -> set[str]:
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"\bget\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    names |= set(re.findall(r"\[\s*[\"']([A-Z][A-Z0-9_]*)[\"']\s*\]", source))
    assert {"DISCORD_TOKEN", "DATABASE_URL", "CHANNEL_RATE"} <= names  # the regex still works
    return names


@pytest.fixture(scope="module")
def example() -> list[tuple[bool, str, str, str]]:
    """(active, NAME, value, the comment line above) for every setting in .env.example."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(lines):
        match = ENV_LINE.match(line)
        if match:
            above = lines[i - 1] if i else ""
            found.append((match[1] is None, match[2], match[3], above))
    return found


def test_env_example_documents_every_setting(example):
    documented = {name for _, name, _, _ in example}
    missing = _settings_read_by_the_bot() - documented
    assert not missing, f"settings missing from .env.example: {sorted(missing)}"
    assert {"HEALTH_PORT", "HEALTH_HOST"} <= documented
    names = [name for _, name, _, _ in example]
    assert len(names) == len(set(names)), "a setting is listed twice"


def test_env_example_has_a_comment_for_each_setting(example):
    for _, name, _, above in example:
        assert above.startswith("#") and not ENV_LINE.match(above), f"{name} has no comment"


def test_env_example_leaves_the_token_empty(example):
    token = [(active, value) for active, name, value, _ in example if name == "DISCORD_TOKEN"]
    assert token == [(True, "")]
    assert read_env_file(ROOT / ".env.example")["DISCORD_TOKEN"] == ""


def test_env_example_changes_no_default_and_shows_the_true_defaults(example):
    """Loading the file as it is, or with its commented defaults, gives the built-in defaults."""
    token = {"DISCORD_TOKEN": FAKE_TOKEN}
    defaults = load_settings(dict(token), env_file=None)
    assert load_settings(dict(token), env_file=ROOT / ".env.example") == defaults
    shown = {name: value for _, name, value, _ in example if value and name != "DISCORD_TOKEN"}
    assert "RETENTION_DAYS" in shown
    assert load_settings({**shown, **token}, env_file=None) == defaults


# ------------------------------------------------------------------------------ the lock


def parse_lock(text: str) -> dict[str, tuple[str, list[str]]]:
    """{canonical name: (pinned version, [hashes])} from a pip-compile --generate-hashes file."""
    entries: dict[str, tuple[str, list[str]]] = {}
    logical = []
    pending = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        if pending or line:
            logical.append(pending + line)
        pending = ""
    for line in logical:
        words = line.split()
        if words[0].startswith("-"):
            raise AssertionError(f"option line in the lock: {line!r}")
        requirement = Requirement(words[0])
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"not pinned: {line}"
        hashes = [w.removeprefix("--hash=") for w in words[1:] if w.startswith("--hash=")]
        entries[canonicalize_name(requirement.name)] = (specifiers[0].version, hashes)
    return entries


@pytest.fixture(scope="module")
def lock_text() -> str:
    return (DEPLOY / "requirements.lock").read_text(encoding="utf-8")


def test_lock_pins_every_runtime_dependency_with_hashes(lock_text: str):
    lock = parse_lock(lock_text)
    runtime = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    assert {canonicalize_name(r.name) for r in runtime} >= {
        "discord-py",
        "rapidfuzz",
        "pyyaml",
        "aiosqlite",
    }
    for requirement in runtime:
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement.name} is not in the lock"
        version, hashes = lock[name]
        assert requirement.specifier.contains(version), f"{name}=={version} vs {requirement}"
        assert hashes, f"{name} has no --hash"
    # --require-hashes needs a hash on every line, transitive ones too.
    assert all(hashes for _, hashes in lock.values())
    assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for _, hs in lock.values() for h in hs)


def test_lock_says_how_it_was_made_and_names_no_local_index(lock_text: str):
    assert re.search(r"^#\s+pip-compile .*--generate-hashes.*pyproject\.toml$", lock_text, re.M)
    for option in ("--index-url", "--extra-index-url", "--find-links", "file://"):
        assert option not in lock_text


def test_lock_parser_reads_continuations_and_rejects_loose_pins():
    text = "# header\nfoo-bar==1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via x\n"
    assert parse_lock(text) == {"foo-bar": ("1.0", ["sha256:" + "a" * 64])}
    with pytest.raises(AssertionError):
        parse_lock("foo>=1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n")


# ------------------------------------------------------------------------------ the wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built offline from a copy of the sources the Dockerfile copies."""
    pytest.importorskip("setuptools", reason="building the wheel offline needs setuptools")
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copy2(ROOT / "pyproject.toml", src)
    for readme in ROOT.glob("README*"):
        shutil.copy2(readme, src)
    for folder in ("bot", "cogs", "catalog"):
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1"}
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"),
            *("-w", str(base / "dist"), str(src)),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list((base / "dist").glob("spotify_error_bot-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_holds_the_code_and_migrations(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    for path in ("bot/__main__.py", "bot/store/postgres.py", "cogs/lookup.py"):
        assert path in names
    folder = ROOT / "bot" / "store" / "migrations"
    migrations = {str(p.relative_to(ROOT)) for p in folder.glob("*/*.sql")}
    assert len(migrations) >= 5 and migrations <= names
    assert re.search(r"^spotify-error-bot\s*=\s*bot\.__main__:main$", scripts, re.M)
    assert not any(n.startswith("tests/") or "__pycache__" in n for n in names)


def test_wheel_ships_the_catalog_and_finds_it_when_installed(wheel: Path, tmp_path: Path):
    """Installed without the repository, the bot must still load its catalog."""
    catalog = sorted(p.name for p in (ROOT / "catalog").glob("*.yaml"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert {f"bot/bundled_catalog/{name}" for name in catalog} <= names
    probe = (
        "import bot.catalog as c, json;"
        "print(json.dumps([c.__file__, str(c.DEFAULT_CATALOG), len(c.load_catalog().entries)]))"
    )
    result = subprocess.run(
        [sys.executable, "-P", "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    module, folder, entries = json.loads(result.stdout)
    assert Path(module).is_relative_to(tmp_path / "site")
    assert Path(folder).is_relative_to(tmp_path / "site")
    assert entries == len(load_catalog(ROOT / "catalog").entries)
