"""``nemobot check``: what works in this configuration, one line per part, before a host starts it.

Settings were validated before this runs (a bad value stops ``nemobot`` with the variable's name).
Then: the store (opened and migrated, as ``run`` would), the NemoVideo backend (with ``NEMO_TOKEN``,
its credit balance; without, that it answers), and each platform with a token (Telegram ``getMe``,
Discord ``/users/@me``). Nothing is sent to any chat. The exit code is 0 only when every part works.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from bots.app import http_client, store_location
from bots.startup import one_line
from core.redact import redact
from core.settings import Settings, SettingsError, settings_error
from storage import FernetTokens, load_or_create_key, open_location

DISCORD_API = "https://discord.com/api/v10"
TELEGRAM_API = "https://api.telegram.org/bot"


@dataclass(frozen=True, slots=True)
class Outcome:
    part: str
    ok: bool
    detail: str


async def _store(settings: Settings) -> str:
    location = store_location(settings)
    key = settings.nemobot_secret_key.get_secret_value() if settings.nemobot_secret_key else None
    store = await open_location(
        location, cipher=FernetTokens(load_or_create_key(settings.nemobot_data_dir, key))
    )
    try:
        await store.open_jobs()
    finally:
        await store.close()
    return f"{location.describe()} (migrated, readable)"


async def _backend(settings: Settings, http: httpx.AsyncClient) -> str:
    base = settings.nemo_api_url
    if settings.nemo_token is None:
        response = await http.get(base + "/")
        return f"{base} answers (HTTP {response.status_code}); no NEMO_TOKEN, chats get anonymous accounts"
    response = await http.get(
        base + "/api/credits/balance/simple",
        headers={"Authorization": f"Bearer {settings.nemo_token.get_secret_value()}"},
    )
    if response.status_code in (401, 403):
        raise RuntimeError(f"{base} refused NEMO_TOKEN (HTTP {response.status_code})")
    response.raise_for_status()
    return f"{base} accepts NEMO_TOKEN"


async def _telegram(token: str, base_url: str | None, http: httpx.AsyncClient) -> str:
    response = await http.get(f"{base_url or TELEGRAM_API}{token}/getMe")
    if response.status_code in (401, 404):
        raise RuntimeError("Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)")
    response.raise_for_status()
    return f"logged in as @{response.json()['result']['username']}"


async def _discord(token: str, base_url: str | None, http: httpx.AsyncClient) -> str:
    response = await http.get(
        f"{base_url or DISCORD_API}/users/@me", headers={"Authorization": f"Bot {token}"}
    )
    if response.status_code == 401:
        raise RuntimeError("Discord rejected DISCORD_BOT_TOKEN")
    response.raise_for_status()
    return f"logged in as {response.json()['username']}"


async def _attempt(part: str, probe: Callable[[], Awaitable[str]], secrets: tuple[str, ...]) -> Outcome:
    try:
        return Outcome(part, True, await probe())
    except Exception as exc:  # noqa: BLE001 - any failure is reported as that part not working
        # Error texts may quote URLs that carry a token (Telegram's do): redact before printing.
        return Outcome(part, False, redact(one_line(exc), secrets))


async def check(settings: Settings) -> list[Outcome]:
    """Probe every configured part; never raises for a part that does not work."""
    from bots.discord_bot.settings import DiscordSettings
    from bots.telegram.settings import TelegramSettings

    try:
        telegram, discord = TelegramSettings(), DiscordSettings()
    except ValidationError as exc:
        raise settings_error(exc) from exc
    secrets = tuple(
        s.get_secret_value()
        for s in (
            settings.nemo_token,
            telegram.telegram_bot_token,
            discord.discord_bot_token,
            settings.database_url,
        )
        if s is not None
    )
    outcomes = [Outcome("settings", True, "valid")]
    outcomes.append(await _attempt("store", lambda: _store(settings), secrets))
    async with http_client(settings) as http:
        outcomes.append(await _attempt("nemovideo", lambda: _backend(settings, http), secrets))
        if telegram.telegram_bot_token is not None:
            token = telegram.telegram_bot_token.get_secret_value()
            outcomes.append(
                await _attempt(
                    "telegram", lambda: _telegram(token, telegram.telegram_api_base_url, http), secrets
                )
            )
        if discord.discord_bot_token is not None:
            dtoken = discord.discord_bot_token.get_secret_value()
            outcomes.append(
                await _attempt(
                    "discord", lambda: _discord(dtoken, discord.discord_api_base_url, http), secrets
                )
            )
    if telegram.telegram_bot_token is None and discord.discord_bot_token is None:
        outcomes.append(
            Outcome("platforms", False, "none configured: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN")
        )
    return outcomes


async def run_checks(settings: Settings) -> int:
    """Print one line per part and return 0 when all work, 1 otherwise."""
    try:
        outcomes = await check(settings)
    except SettingsError as exc:
        print(exc, file=sys.stderr)  # noqa: T201 - a command-line tool's answer
        return 2
    for outcome in outcomes:
        print(f"{'ok  ' if outcome.ok else 'FAIL'}  {outcome.part:<10} {outcome.detail}")  # noqa: T201
    return 0 if all(outcome.ok for outcome in outcomes) else 1
