"""Where the store lives: ``DATABASE_URL`` parsed into a SQLite file or a PostgreSQL server.

``sqlite:///data/nemobot.db`` is a path relative to the working directory and ``sqlite:////srv/x.db``
an absolute one (the SQLAlchemy convention hosts know); ``postgresql://`` and ``postgres://`` are
libpq connection URIs. No URL at all means the zero-config default, ``NEMOBOT_DATA_DIR/nemobot.db``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DB_FILENAME = "nemobot.db"

_PASSWORD = re.compile(r"^([a-z]+://[^:/@]*):[^@]*@", re.IGNORECASE)


class StoreUrlError(ValueError):
    """``DATABASE_URL`` (or a ``migrate-store`` argument) names no store nemobot can open."""


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed store address: ``sqlite_path`` for SQLite, ``postgres_url`` for PostgreSQL."""

    sqlite_path: Path | None = None
    postgres_url: str | None = None

    @property
    def kind(self) -> str:
        return "postgresql" if self.postgres_url else "sqlite"

    def describe(self) -> str:
        """For logs and `nemobot check`: the address with any password masked."""
        if self.postgres_url:
            return safe_url(self.postgres_url)
        return f"sqlite:///{self.sqlite_path}"


def safe_url(url: str) -> str:
    """``url`` with the password (if any) replaced, so it can be printed."""
    return _PASSWORD.sub(r"\1:<redacted>@", url)


def parse_store_url(url: str | None, data_dir: Path) -> StoreLocation:
    """The store ``url`` names; the default SQLite file in ``data_dir`` when ``url`` is empty."""
    url = (url or "").strip()
    if not url:
        return StoreLocation(sqlite_path=data_dir / DB_FILENAME)
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme in ("postgresql", "postgres"):
        return StoreLocation(postgres_url=url)
    if sep and scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise StoreUrlError("a SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db")
        return StoreLocation(sqlite_path=Path(rest[1:]))
    raise StoreUrlError(
        f"unsupported database URL {safe_url(url)!r}: use postgresql://user@host/dbname or "
        "sqlite:///path/to/nemobot.db"
    )
