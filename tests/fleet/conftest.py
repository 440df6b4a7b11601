"""Fleet tests reuse the Telegram fake's fixtures (the fake Bot API at the harness's pace)."""

from tests.telegram.conftest import _ptb_timedelta, fake

__all__ = ["_ptb_timedelta", "fake"]
