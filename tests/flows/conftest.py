"""Flow tests use the shared harness in :mod:`tests.harness` (loaded as a plugin by tests/conftest.py)."""

from tests.harness import CHAT, Harness, build_harness, make_settings

__all__ = ["CHAT", "Harness", "build_harness", "make_settings"]
