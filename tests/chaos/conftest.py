"""The chaos suite prints its ledger at the end of the run (CI shows it)."""

from __future__ import annotations

import pytest

from tests.chaos.ledger import LEDGER


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if LEDGER.outcomes:
        terminalreporter.write_sep("=", "nemobot chaos")
        terminalreporter.write_line(LEDGER.summary())
