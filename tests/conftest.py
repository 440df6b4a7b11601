"""Test-wide guards: nothing leaves the machine, and no developer environment leaks in."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import pytest

# The simulator, a NemoBot wired to it and a recording chat, for every test folder.
pytest_plugins = ["tests.harness"]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: Any) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX paths
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only reach loopback, not {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only reach loopback, not {address!r}")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's NEMO_*/TELEGRAM_*/DISCORD_*/NEMOBOT_* or proxy settings never reach a test."""
    for name in list(os.environ):
        if name.startswith(("NEMO_", "NEMOBOT_", "TELEGRAM_", "DISCORD_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
