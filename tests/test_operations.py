"""Operating the bot: health and metrics, catalog reload, backups, logs, intents, threads."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import yaml

from bot.catalog import DEFAULT_CATALOG, load_catalog
from tests.fakediscord import FakeDiscord, start_bot
from tests.support import TOKEN, bot_env, wait_for_rows

ROOT = Path(__file__).resolve().parent.parent
NEW_ENTRY = {
    "id": "custom:1",
    "title": "Operator's own error",
    "severity": "warn",
    "platforms": ["windows"],
    "categories": ["custom"],
    "messages": ["The flux capacitor is misaligned."],
    "causes": ["Too much flux"],
    "steps": ["Realign the flux capacitor"],
    "source": "operator",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.text()


async def test_health_and_metrics(fake: FakeDiscord, tmp_path: Path):
    port = free_port()
    db = tmp_path / "db.sqlite3"
    proc = await start_bot(
        fake, ["run"], env=bot_env(fake, db, HEALTH_PORT=str(port)), log_dir=tmp_path
    )
    base = f"http://127.0.0.1:{port}"
    status, body = await get(f"{base}/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    await fake.click("seb:v:1:auth:73", answer.message)
    status, text = await get(f"{base}/metrics")
    assert status == 200
    assert 'seb_lookups_total{outcome="sure"} 1' in text
    assert 'seb_answers_total{source="slash"} 1' in text
    assert 'seb_votes_total{outcome="saved"} 1' in text
    assert "seb_match_seconds_count 1" in text and "seb_gateway_connected 1" in text
    # A database that refuses writes makes the bot unhealthy, with the reason.
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    status, body = await get(f"{base}/healthz")
    assert status == 503 and "database" in json.loads(body)["problems"][0]
    holder.execute("ROLLBACK")
    holder.close()
    for _ in range(50):
        status, _ = await get(f"{base}/healthz")
        if status == 200:
            break
        await asyncio.sleep(0.2)
    assert status == 200
    await proc.stop()


async def test_catalog_reload_by_command_and_sighup(fake, tmp_path):
    catalog = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG, catalog, ignore=shutil.ignore_patterns("*.md"))
    env = bot_env(fake, tmp_path / "db.sqlite3", CATALOG_PATH=str(catalog))
    proc = await start_bot(fake, ["run"], env=env, log_dir=tmp_path)
    mod = fake.make_user("mod", roles=["Moderator"])
    extra = catalog / "50-custom.yaml"
    extra.write_text(yaml.safe_dump({"entries": [NEW_ENTRY]}), encoding="utf-8")
    reloaded = await fake.slash_command("catalog", subcommand="reload", user=mod)
    followup = await reloaded.wait_followup()
    assert "66 entries" in followup["content"]
    found = await fake.slash_command("spotify-error", {"query": "flux capacitor is misaligned"})
    assert found.embeds[0]["title"].startswith("custom:1")
    # A broken catalog is refused with the reason; the old one keeps serving.
    extra.write_text(yaml.safe_dump({"entries": [{**NEW_ENTRY, "colour": "red"}]}))
    refused = await (
        await fake.slash_command("catalog", subcommand="reload", user=mod)
    ).wait_followup()
    assert "refused" in refused["content"]
    assert "50-custom.yaml" in refused["content"] and "colour" in refused["content"]
    still = await fake.slash_command("spotify-error", {"query": "custom:1"})
    assert still.embeds[0]["title"].startswith("custom:1")
    # SIGHUP reloads too: the operator's `systemctl reload`.
    extra.unlink()
    proc.proc.send_signal(signal.SIGHUP)
    await proc.wait_ready(timeout=15, line=f"catalog reloaded: {len(load_catalog())} entries")
    gone = await fake.slash_command("spotify-error", {"query": "custom:1"})
    assert not gone.embeds[0]["title"].startswith("custom:1")
    member = fake.make_user("member")
    denied = await fake.slash_command("catalog", subcommand="reload", user=member)
    assert denied.ephemeral and "moderators" in denied.content.lower()
    await proc.stop()


async def test_backup_and_check_of_a_running_database(fake, tmp_path):
    db = tmp_path / "db.sqlite3"
    proc = await start_bot(fake, ["run"], env=bot_env(fake, db), log_dir=tmp_path)
    answer = await fake.slash_command("spotify-error", {"query": "auth:73"})
    await fake.click("seb:v:2:auth:73", answer.message)
    await wait_for_rows(db, "SELECT COUNT(*) FROM votes", 1)
    copy = tmp_path / "backup" / "copy.sqlite3"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{db}"}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "db", "backup", str(copy)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT step FROM votes").fetchall() == [(2,)]
    check = subprocess.run(
        [sys.executable, "-m", "bot", "db", "check", "--database", str(copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "OK" in check.stdout and "votes 1" in check.stdout
    await proc.stop()


async def test_without_message_content_intent_everything_else_works(tmp_path):
    async with FakeDiscord() as fake:
        fake.gateway.allowed_intents = 0  # the Developer Portal switch is off
        proc = await start_bot(
            fake, ["run"], env=bot_env(fake, tmp_path / "db.sqlite3"), log_dir=tmp_path, timeout=30
        )
        answer = await fake.slash_command("spotify-error", {"query": "error 2026"})
        assert answer.embeds[0]["title"].startswith("error:2026")
        # Without the intent a paste arrives empty: no reply, proved by a later command's answer.
        paste = await fake.dispatch_message(fake.channel_id("help"), "error 2026")
        await fake.assert_silent_after(
            paste, then=fake.slash_command("spotify-error", {"query": "auth:73"})
        )
        await proc.stop()
        log = proc.log_text()
        assert log.count("Message Content intent is not enabled") == 1
        fake.assert_valid()


async def test_thread_answer_and_vote_counts_shown_on_the_answer(fake, tmp_path):
    env = bot_env(fake, tmp_path / "db.sqlite3", LOG_FORMAT="json", LOG_LEVEL="INFO")
    proc = await start_bot(fake, ["run"], env=env, log_dir=tmp_path)
    reply = await fake.post_message(fake.channel_id("help"), "Error code: 17", thread=True)
    assert reply["embeds"][0]["title"].startswith("accesspoint:17")
    await fake.click("seb:v:1:accesspoint:17", reply)
    edit = await fake.wait_for_request("PATCH", r"/channels/\d+/messages/\d+", timeout=5)
    steps = next(f for f in edit.json["embeds"][0]["fields"] if f["name"] == "Steps")
    assert "worked for 1 person" in steps["value"]
    await proc.stop()
    lines = [json.loads(line) for line in proc.log_text().splitlines() if line.startswith("{")]
    answers = [r for r in lines if r["message"].startswith("answer ")]
    assert answers and "latency_ms=" in answers[0]["message"]
    assert all("Error code: 17" not in r["message"] for r in lines)  # no content above DEBUG
    assert TOKEN not in proc.log_text()
