"""A real PostgreSQL for tests: one throw-away schema per test on the local server.

The server is ``TEST_POSTGRES_URL`` (default ``postgresql://127.0.0.1:5432/test`` as the current OS
user, trust auth). Locally, without a server, PostgreSQL tests skip with the reason; with ``CI=true``
they fail instead, so a CI run cannot pass without having run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

DEFAULT_URL = "postgresql://127.0.0.1:5432/test"


def server_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_URL)


def with_search_path(url: str, schema: str) -> str:
    """``url`` whose connections put their tables in ``schema``."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote('-csearch_path=' + schema)}"


_reachable: str | None = None  # "" when reachable, else the reason; checked once per run


def require_postgres() -> str:
    """The server URL, or skip (fail under CI) with the reason it cannot be reached."""
    global _reachable  # one probe per test run
    url = server_url()
    if _reachable is None:
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            _reachable = ""
        except psycopg.Error as exc:
            _reachable = f"PostgreSQL at {url} is not reachable ({str(exc).strip().splitlines()[0]})"
    if _reachable:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(_reachable + "; CI must run the PostgreSQL tests (see .ci/run)", pytrace=False)
        pytest.skip(_reachable + "; start it or set TEST_POSTGRES_URL")
    return url


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose tables land in a new, empty schema, dropped (with its tables) afterwards."""
    url = require_postgres()
    schema = "nemobot_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_search_path(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
