"""Test doubles shared by the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand (stores read it to stamp claims and chat updates)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Reversing:
    """A stand-in token cipher whose stored form is visibly not the token."""

    def encrypt(self, token: str) -> str:
        return "enc:" + token[::-1]

    def decrypt(self, stored: str) -> str:
        return stored.removeprefix("enc:")[::-1]
