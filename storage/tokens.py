"""The seam for encrypting NemoVideo tokens at rest.

:class:`~storage.sqlite.SqliteStore` passes every token through a :class:`TokenCipher` on its way to
and from the ``chats.token`` column, so encryption can be added by supplying a cipher, without
touching a query. Until then :class:`PlainTokens` stores the token as it is (the file is 0600).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken


class TokenCipher(Protocol):
    """Turns a token into the text written to the database, and back.

    ``decrypt(encrypt(t)) == t`` must hold. A cipher that cannot decrypt (wrong key, tampered
    value) should raise rather than return garbage that would be sent to NemoVideo.
    """

    def encrypt(self, token: str) -> str: ...

    def decrypt(self, stored: str) -> str: ...


class PlainTokens:
    """The identity cipher: tokens are stored as they are."""

    def encrypt(self, token: str) -> str:
        return token

    def decrypt(self, stored: str) -> str:
        return stored


class FernetTokens:
    """Tokens encrypted with Fernet (AES-128-CBC + HMAC-SHA256), keyed by ``NEMOBOT_SECRET_KEY``.

    Values written before encryption was enabled (plain ``nmv_usr_…``) are still readable, so turning
    encryption on needs no migration; they are encrypted the next time the chat is saved.
    """

    _PREFIX = "fernet:"

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "FernetTokens(<key redacted>)"

    def encrypt(self, token: str) -> str:
        return self._PREFIX + self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(self._PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(self._PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise ValueError("a stored token cannot be decrypted: NEMOBOT_SECRET_KEY changed?") from exc


KEY_FILENAME = "secret.key"


def load_or_create_key(data_dir: Path, configured: str | None) -> bytes:
    """The Fernet key: ``NEMOBOT_SECRET_KEY`` when set, else ``data_dir/secret.key`` (made 0600 once)."""
    if configured:
        key = configured.strip().encode()
        Fernet(key)  # raises ValueError for a malformed key, naming no secret
        return key
    path = data_dir / KEY_FILENAME
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Fernet.generate_key()
    # O_EXCL: two processes starting together cannot both write a key; the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
