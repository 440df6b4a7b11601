"""Test-wide guards: nothing leaves the machine, and no developer environment leaks in."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from typing import Any

import pytest

from core.redact import redact
from tests.fakes import SECRET

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


# Secret scan: every log line our own packages emit during the whole run is checked for a live
# NemoVideo token, a bot token or a Telegram file URL. Third-party loggers (httpx logs request URLs,
# which for Telegram contain the bot token) are silenced and redacted by core.redact in production;
# tests/core/test_redact.py covers that path.


class _SecretScan(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines = 0
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += 1
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if SECRET.search(text):
            self.leaks.append(f"{record.name}: {text[:300]}")


SECRET_SCAN = _SecretScan()
for _name in ("core", "bots", "storage", "simulator"):
    logging.getLogger(_name).addHandler(SECRET_SCAN)
    logging.getLogger(_name).setLevel(logging.DEBUG)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(
        f"secret scan: {SECRET_SCAN.lines} log lines from nemobot's packages, "
        f"{len(SECRET_SCAN.leaks)} with a secret"
    )
    for leak in SECRET_SCAN.leaks[:20]:
        terminalreporter.write_line(f"  LEAK {redact(leak)}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if SECRET_SCAN.leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
