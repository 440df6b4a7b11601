"""The seam for encrypting NemoVideo tokens at rest.

:class:`~storage.sqlite.SqliteStore` passes every token through a :class:`TokenCipher` on its way to
and from the ``chats.token`` column, so encryption can be added by supplying a cipher, without
touching a query. Until then :class:`PlainTokens` stores the token as it is (the file is 0600).
"""

from __future__ import annotations

from typing import Protocol


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
