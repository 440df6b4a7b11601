"""Syncing slash commands only when they changed.

Discord caps command creates per day (200 per guild), and a sync on every start burns through it
while a crash loop restarts the bot. So the JSON Discord would receive is hashed per scope (the
application, and global or one guild) and the hash kept in a small file in the data directory;
a start whose hash matches skips the request. Guild commands update instantly, global ones may
take a while to appear in clients, which is why ``DISCORD_GUILD_IDS`` exists for development.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import discord
from discord import app_commands

log = logging.getLogger(__name__)

STATE_FILE = "discord-commands.json"
SyncMode = Literal["auto", "always", "never"]


def scope_name(application_id: int, guild_id: int | None) -> str:
    """The key a scope's hash is stored under."""
    return f"{application_id}:{'global' if guild_id is None else f'guild:{guild_id}'}"


def payload_hash(tree: app_commands.CommandTree[discord.Client], guild_id: int | None) -> str:
    """A stable hash of exactly what ``tree.sync`` would send for this scope."""
    guild = discord.Object(guild_id) if guild_id is not None else None
    payload: list[dict[str, object]] = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    payload.sort(key=lambda item: (item.get("type", 1), str(item["name"])))
    # The localisations are added at sync time; a changed translation table must re-sync too.
    fingerprint = getattr(tree.translator, "fingerprint", None)
    if callable(fingerprint):
        payload.append({"translations": fingerprint()})
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


class CommandSync:
    """Syncs a command tree to Discord per scope, skipping scopes whose hash is unchanged."""

    def __init__(self, tree: app_commands.CommandTree[discord.Client], data_dir: Path) -> None:
        self._tree = tree
        self._path = data_dir / STATE_FILE

    async def run(
        self, application_id: int, guild_ids: Sequence[int], *, mode: SyncMode = "auto"
    ) -> list[str]:
        """Sync the guilds in ``guild_ids`` (or globally when empty); returns the scopes synced."""
        if mode == "never":
            return []
        stored = await asyncio.to_thread(self._load)
        synced: list[str] = []
        scopes: list[int | None] = list(guild_ids) if guild_ids else [None]
        for guild_id in scopes:
            key = scope_name(application_id, guild_id)
            digest = payload_hash(self._tree, guild_id)
            if mode == "auto" and stored.get(key) == digest:
                log.info("slash commands for %s unchanged; not syncing", key)
                continue
            await self._tree.sync(guild=discord.Object(guild_id) if guild_id is not None else None)
            # Stored only after Discord accepted it, so a failed sync is retried on the next start.
            stored[key] = digest
            await asyncio.to_thread(self._save, stored)
            synced.append(key)
            log.info("synced slash commands for %s", key)
        return synced

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save(self, stored: dict[str, str]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(stored, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self._path)
