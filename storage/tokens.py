"""The seam for encrypting NemoVideo tokens at rest.

:class:`~storage.sqlite.SqliteStore` passes every token through a :class:`TokenCipher` on its way to
and from the ``chats.token`` column, so encryption can be added by supplying a cipher, without
touching a query. Until then :class:`PlainTokens` stores the token as it is (the file is 0600).
"""

from __future__ import annotations

import binascii
import os
import tempfile
from pathlib import Path
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken

from core.settings import SettingsError


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
# Encrypted with the key into the database: a key that cannot read it back is the wrong key.
KEY_CHECK = "nemobot key check v1"
# Quoted to the operator in the mismatch message (never run by nemobot).
_FORGET_TOKENS = "UPDATE chats SET token = NULL, user_token = NULL; DELETE FROM meta WHERE name = 'key_check'"


class SecretKeyError(SettingsError):
    """The at-rest key cannot be used: an empty or corrupt key file, or a key the database refuses."""


def load_or_create_key(data_dir: Path, configured: str | None) -> bytes:
    """The Fernet key: ``NEMOBOT_SECRET_KEY`` when set, else ``data_dir/secret.key``.

    A missing key file is created atomically (written to a temporary file, fsynced, then linked
    into place, so a crash never leaves a half-written key and two processes starting together
    end up with the same one). An empty or corrupt file raises :class:`SecretKeyError` naming it.
    """
    if configured:
        key = configured.strip().encode()
        Fernet(key)  # raises ValueError for a malformed key, naming no secret
        return key
    path = data_dir / KEY_FILENAME
    if path.exists():
        return _read_key(path)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Fernet.generate_key()
    fd, temporary = tempfile.mkstemp(prefix=".secret.key.", dir=data_dir)  # 0600, O_EXCL
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link, not rename: it never replaces a key another process put there meanwhile.
            os.link(temporary, path)
        except FileExistsError:
            return _read_key(path)
        _fsync_dir(data_dir)
    finally:
        os.unlink(temporary)
    return key


def _read_key(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
        Fernet(key)
    except (ValueError, binascii.Error, OSError) as exc:
        problem = "is empty" if isinstance(exc, ValueError) and not path.stat().st_size else "is not a key"
        if isinstance(exc, OSError):
            problem = f"cannot be read ({exc.strerror})"
        raise SecretKeyError(
            f"The secret key file {path} {problem}. It encrypts the tokens stored in the database: "
            "restore it from your backup (or set NEMOBOT_SECRET_KEY to the key). Only if there is no "
            "backup, move the file away to start with a new key; the stored tokens are then lost."
        ) from None
    return key


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_key(
    cipher: TokenCipher, stored_check: str | None, sample: str | None, database: Path
) -> str | None:
    """Decide at start-up whether ``cipher`` is the key the database's tokens were written with.

    ``stored_check`` is the check value kept in the database (None before one was written);
    ``sample`` is one stored token, for databases from before the check existed. Returns a check
    value to store when there is none yet; raises :class:`SecretKeyError` on a mismatch, so a
    changed key stops the bot instead of silently dropping users' tokens.
    """
    try:
        if stored_check is not None:
            if cipher.decrypt(stored_check) != KEY_CHECK:
                raise ValueError("check value differs")
            return None
        if sample is not None:
            cipher.decrypt(sample)
    except ValueError:
        raise SecretKeyError(
            f"The secret key does not match the tokens stored in {database}: NEMOBOT_SECRET_KEY or "
            f"{database.parent / KEY_FILENAME} changed since they were written. Restore the key that "
            "wrote them. To give the stored tokens up instead (users send /token again; anonymous "
            f'chats get new accounts), run: sqlite3 {database} "{_FORGET_TOKENS}"'
        ) from None
    return cipher.encrypt(KEY_CHECK)
