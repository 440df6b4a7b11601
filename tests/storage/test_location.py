"""DATABASE_URL: which store it names, how it is shown, and SQLite's one-process lock through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import DataDirInUse, StoreLocation, StoreUrlError, open_location, parse_store_url, safe_url


def test_no_url_is_the_sqlite_file_in_the_data_dir() -> None:
    """Unset or blank: zero configuration, nemobot.db in NEMOBOT_DATA_DIR."""
    for url in (None, "", "  "):
        assert parse_store_url(url, Path("data")) == StoreLocation(sqlite_path=Path("data/nemobot.db"))


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/nemobot.db", Path("data/nemobot.db")),
        ("sqlite:////srv/bot/x.db", Path("/srv/bot/x.db")),
    ],
)
def test_sqlite_urls_are_relative_with_three_slashes_and_absolute_with_four(url: str, path: Path) -> None:
    location = parse_store_url(url, Path("ignored"))
    assert location.sqlite_path == path
    assert location.kind == "sqlite"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "PostgreSQL"])
def test_postgres_urls_are_kept_whole_and_shown_without_the_password(scheme: str) -> None:
    url = f"{scheme}://bot:pa55word@db:5432/nemobot?sslmode=require"
    location = parse_store_url(url, Path("data"))
    assert location.postgres_url == url
    assert location.kind == "postgresql"
    assert location.describe() == f"{scheme}://bot:<redacted>@db:5432/nemobot?sslmode=require"
    assert safe_url("postgresql://db/nemobot") == "postgresql://db/nemobot"


@pytest.mark.parametrize(
    "url", ["mysql://u:secretpw@h/db", "sqlite://relative.db", "nemobot.db", "sqlite:///"]
)
def test_anything_else_is_refused_without_echoing_a_password(url: str) -> None:
    with pytest.raises(StoreUrlError) as raised:
        parse_store_url(url, Path("data"))
    assert "secretpw" not in str(raised.value)


async def test_a_sqlite_url_takes_its_directorys_lock_like_the_default_does(tmp_path: Path) -> None:
    """Two bots on one SQLite file through DATABASE_URL: the second is refused at once."""
    location = parse_store_url(f"sqlite:///{tmp_path}/db/nemobot.db", Path("unused"))
    first = await open_location(location)
    try:
        with pytest.raises(DataDirInUse):
            await open_location(location)
    finally:
        await first.close()
    again = await open_location(location)  # closing released it
    await again.close()
