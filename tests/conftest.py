"""Test-wide guards: nothing leaves the machine, and no developer environment leaks in."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis.database import DirectoryBasedExampleDatabase

from core.redact import redact
from tests.chaos.ledger import LEDGER, Outcome
from tests.fakes import SECRET

# The simulator, a NemoBot wired to it and a recording chat, for every test folder.
pytest_plugins = ["tests.harness"]

# Hypothesis: locally, failing examples are kept in one fixed place (the project's .hypothesis/, which
# git ignores) whatever the working directory; CI starts from nothing and explores a fixed sequence,
# so a run is repeatable and no example database is carried from one run to the next.
hypothesis_settings.register_profile(
    "dev", database=DirectoryBasedExampleDatabase(Path(__file__).resolve().parent.parent / ".hypothesis")
)
hypothesis_settings.register_profile("ci", database=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

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


# Under pytest-xdist every worker keeps its own scan and chaos ledger and hands them to the controller
# when it finishes (the controller collects no tests, so these hooks live in this root conftest).
_SCAN_KEY = "nemobot_secret_scan"
_CHAOS_KEY = "nemobot_chaos_outcomes"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: a worker finished; add its scan and ledger to the controller's."""
    output = getattr(node, "workeroutput", {})
    scan = output.get(_SCAN_KEY)
    if scan:
        SECRET_SCAN.lines += scan["lines"]
        SECRET_SCAN.leaks.extend(scan["leaks"])
    for fields in output.get(_CHAOS_KEY, []):
        LEDGER.add(Outcome(**fields))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if LEDGER.outcomes:
        terminalreporter.write_sep("=", "nemobot chaos")
        terminalreporter.write_line(LEDGER.summary())
    terminalreporter.write_line(
        f"secret scan: {SECRET_SCAN.lines} log lines from nemobot's packages, "
        f"{len(SECRET_SCAN.leaks)} with a secret"
    )
    for leak in SECRET_SCAN.leaks[:20]:
        terminalreporter.write_line(f"  LEAK {redact(leak)}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller reports and fails the run
        workeroutput[_SCAN_KEY] = {"lines": SECRET_SCAN.lines, "leaks": SECRET_SCAN.leaks}
        workeroutput[_CHAOS_KEY] = [dataclasses.asdict(outcome) for outcome in LEDGER.outcomes]
        return
    if SECRET_SCAN.leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
