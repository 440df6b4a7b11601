"""Deterministic identifiers: the same seed and call order give the same ids."""

from __future__ import annotations

import random
import string
import uuid

_URLSAFE = string.ascii_letters + string.digits + "-_"
_ALNUM = string.ascii_letters + string.digits


class IdFactory:
    """Makes every id the simulator hands out, from one seeded generator.

    These are simulated credentials, never secrets, so a seeded `random.Random` is the point.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def text(self, alphabet: str, length: int) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def hex(self, length: int) -> str:
        return self.text("0123456789abcdef", length)

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def token(self) -> str:
        return "nmv_usr_" + self.text(_URLSAFE, 40)

    def claim_token(self) -> str:
        return "clm_" + self.text(_URLSAFE, 32)

    def user_id(self) -> str:
        return "anon_" + self.hex(16)

    def task_id(self) -> str:
        return "task_" + self.hex(24)

    def session_id(self) -> str:
        # Snowflake-like 19-digit decimal, as in the docs' "5529798706024415232".
        return str(self._rng.randrange(10**18, 10**19))

    def event_id(self) -> str:
        return self.text(_ALNUM, 8)

    def invocation_id(self) -> str:
        return "e-" + self.uuid4()

    def function_call_id(self) -> str:
        return "adk-" + self.uuid4()
