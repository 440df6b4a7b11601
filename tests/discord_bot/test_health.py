"""/healthz counts Discord as up while connected to the gateway, and not after it stopped."""

from __future__ import annotations

from tests.discord_bot.conftest import Stack


async def test_the_adapter_is_up_while_connected_and_down_after_stop(stack: Stack) -> None:
    assert stack.adapter.is_up()
    await stack.bot.stop()
    await stack.adapter.stop()
    assert not stack.adapter.is_up()
