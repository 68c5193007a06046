"""Message storage: every message per channel, with uploaded files and reactions."""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from .payloads import snowflake
from .recording import UploadedFile

log = logging.getLogger(__name__)


def attachment_object(
    base_url: str,
    channel_id: int,
    filename: str,
    data: bytes,
    content_type: str | None,
    description: str | None = None,
) -> dict[str, Any]:
    """An attachment object whose url is served by the fake itself (the type as Discord guesses)."""
    att_id = snowflake()
    url = f"{base_url}/attachments/{channel_id}/{att_id}/{filename}"
    return {
        "id": str(att_id),
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": content_type
        or mimetypes.guess_type(filename)[0]
        or "application/octet-stream",
        "description": description,
    }


class MessageStore:
    """Messages by id and per channel (creation order); deleted ones are kept aside."""

    def __init__(self) -> None:
        self.by_id: dict[int, dict[str, Any]] = {}
        self.by_channel: dict[int, list[dict[str, Any]]] = {}
        self.files: dict[int, list[tuple[dict[str, Any], UploadedFile]]] = {}
        self.deleted: list[dict[str, Any]] = []

    def add(
        self,
        message: dict[str, Any],
        uploads: list[tuple[dict[str, Any], UploadedFile]] | None = None,
    ) -> dict[str, Any]:
        mid, channel_id = int(message["id"]), int(message["channel_id"])
        self.by_id[mid] = message
        self.by_channel.setdefault(channel_id, []).append(message)
        if uploads:
            self.files.setdefault(mid, []).extend(uploads)
        return message

    def get(self, message_id: int | str | None) -> dict[str, Any] | None:
        if message_id is None:
            return None
        return self.by_id.get(int(message_id))

    def in_channel(self, channel_id: int) -> list[dict[str, Any]]:
        return self.by_channel.get(int(channel_id), [])

    def delete(self, message_id: int | str) -> dict[str, Any] | None:
        message = self.by_id.pop(int(message_id), None)
        if message is not None:
            self.by_channel[int(message["channel_id"])].remove(message)
            self.deleted.append(message)
        return message

    def files_of(self, message: dict[str, Any] | int | str) -> list[UploadedFile]:
        """The uploaded files (name, bytes) still attached to a message."""
        mid = int(message["id"]) if isinstance(message, dict) else int(message)
        current = self.by_id.get(mid) or {}
        keep = {a["id"] for a in current.get("attachments", [])}
        return [upload for att, upload in self.files.get(mid, []) if att["id"] in keep]

    def add_uploads(
        self, message_id: int, uploads: list[tuple[dict[str, Any], UploadedFile]]
    ) -> None:
        self.files.setdefault(int(message_id), []).extend(uploads)

    def react(self, message: dict[str, Any], emoji: str, add: bool) -> None:
        """Add or remove the bot's reaction `emoji` (a unicode char or name:id)."""
        reactions = message.setdefault("reactions", [])
        name, _, emoji_id = emoji.partition(":")
        found = next((r for r in reactions if r["emoji"]["name"] == name), None)
        if add and found is None:
            reactions.append(
                {
                    "count": 1,
                    "me": True,
                    "burst_count": 0,
                    "me_burst": False,
                    "count_details": {"burst": 0, "normal": 1},
                    "burst_colors": [],
                    "emoji": {"id": emoji_id or None, "name": name},
                }
            )
        elif not add and found is not None:
            reactions.remove(found)


def user_uploads(
    base_url: str, channel_id: int, files: list[tuple[str, bytes]]
) -> list[tuple[dict[str, Any], UploadedFile]]:
    """Attachment objects for files a member uploads, as (filename, bytes)."""
    uploads = []
    for n, (filename, data) in enumerate(files):
        att = attachment_object(base_url, channel_id, filename, data, None)
        uploads.append((att, UploadedFile(f"files[{n}]", filename, att["content_type"], data)))
    return uploads


def build_attachments(
    base_url: str, channel_id: int, body: Any, files: list[UploadedFile]
) -> list[tuple[dict[str, Any], UploadedFile]]:
    """Attachment objects for the uploaded `files[n]`, described by body["attachments"]."""
    described: dict[str, dict[str, Any]] = {}
    if isinstance(body, dict):
        for entry in body.get("attachments") or []:
            described[str(entry.get("id"))] = entry
    result = []
    for index, upload in enumerate(files):
        key = upload.name[len("files[") : -1] if upload.name.startswith("files[") else str(index)
        entry = described.get(key, {})
        filename = entry.get("filename") or upload.filename
        att = attachment_object(
            base_url,
            channel_id,
            filename,
            upload.data,
            upload.content_type,
            entry.get("description"),
        )
        result.append((att, upload))
    return result
