"""/healthz counts Telegram as up while the adapter runs, and not after it stopped."""

from __future__ import annotations

from tests.telegram.harness import TelegramHarness


async def test_the_adapter_is_up_while_running_and_down_after_stop(telegram: TelegramHarness) -> None:
    adapter = telegram.adapter
    assert adapter is not None
    assert adapter.is_up()
    await adapter.stop()
    assert not adapter.is_up()
