"""Telegram adapter: python-telegram-bot 22 in front of the platform-neutral core.

``TelegramAdapter(core, settings)`` with ``start()``/``stop()``; settings are ``TELEGRAM_*``
variables (see ``docs/telegram.md``).
"""

from bots.telegram.adapter import TelegramAdapter
from bots.telegram.settings import TelegramSettings

__all__ = ["TelegramAdapter", "TelegramSettings"]
