"""The command menu Telegram shows when a user types "/", in English (default) and Chinese.

The descriptions come from the core's /help text (``/status – what's on the timeline``), so the
menu and /help never disagree and no user-facing text lives in the adapter.
"""

from __future__ import annotations

import logging
import re

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from core.i18n import LANGS, Lang, t
from core.redact import redact

log = logging.getLogger(__name__)

MENU = ("start", "help", "new", "credits", "status", "export", "skill", "lang", "cancel")
_HELP_LINE = re.compile(r"^/([a-z_]+)\s+[–-]\s+(.+)$", re.MULTILINE)
_DESCRIPTION_MAX = 256  # Telegram's limit for a command description


def menu(lang: Lang) -> list[BotCommand]:
    """The commands with their descriptions in ``lang``."""
    described = dict(_HELP_LINE.findall(t(lang, "help")))
    # "/help – this message" reads oddly in a menu; both /start and /help simply show help.
    described["help"] = described["start"] = t(lang, "btn_help")
    return [BotCommand(name, (described.get(name) or name)[:_DESCRIPTION_MAX]) for name in MENU]


async def publish_menu(bot: Bot, secrets: tuple[str, ...] = ()) -> None:
    """setMyCommands for every language (the default one without a language code); never raises."""
    for lang in LANGS:
        try:
            await bot.set_my_commands(menu(lang), language_code=None if lang == "en" else lang)
        except TelegramError as exc:
            log.warning("setMyCommands (%s) failed: %s", lang, redact(exc.message, secrets))
