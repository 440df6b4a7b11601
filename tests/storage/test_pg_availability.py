"""Without a PostgreSQL server the PostgreSQL tests skip locally with the reason, and fail under CI."""

from __future__ import annotations

import socket

import pytest

from tests import pg


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """TEST_POSTGRES_URL at a closed loopback port, and the once-per-run probe forgotten."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("TEST_POSTGRES_URL", f"postgresql://127.0.0.1:{port}/test")
    monkeypatch.setattr(pg, "_reachable", None)


def test_a_developer_without_postgres_gets_a_skip_with_the_reason(
    no_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locally: skipped, saying the server is not reachable and how to point at one."""
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"is not reachable .*TEST_POSTGRES_URL"):
        pg.require_postgres()


def test_ci_without_postgres_fails_instead_of_skipping(
    no_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI=true: a failure, so a CI run cannot pass without having run the PostgreSQL tests."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the PostgreSQL tests"):
        pg.require_postgres()
