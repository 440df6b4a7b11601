"""Pure pieces of the adapter: message formatting, settings, error translation and button ids."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import aiohttp
import discord
import pytest
from pydantic import ValidationError

from bots.discord_bot import DiscordSettings
from bots.discord_bot.formatting import MAX_CONTENT, render
from bots.discord_bot.outbound import UploadTooLarge, translated
from bots.discord_bot.views import action_for, buttons_view, custom_id
from core.chat import Action, utf16_length
from core.i18n import labelled
from core.ports import ChatUnavailable, MessageGone, PlatformRateLimited


def test_streaming_versions_are_literal_and_the_final_one_keeps_markdown_and_links() -> None:
    """Half-streamed markdown is escaped; the final text keeps it; links are never escaped."""
    text = "**Done** with my_clip_final.mp4, see https://x.example/a_b_c"
    streaming = render(text, final=False)
    assert streaming.startswith(r"\*\*Done\*\*")
    assert "https://x.example/a_b_c" in streaming
    assert render(text, final=True) == text


def test_the_final_version_closes_a_code_fence_and_everything_fits_2000_units() -> None:
    """An unclosed fence is closed; emoji-heavy text is cut to 2000 UTF-16 units."""
    assert render("```python\nprint(1)", final=True).endswith("\n```")
    long = render("🎬" * 1500, final=True)
    assert utf16_length(long) <= MAX_CONTENT
    assert long.endswith("…")


def test_the_cores_command_hints_name_the_video_group_but_paths_stay() -> None:
    """ "/export" in core texts becomes "/video export"; URLs and file paths are left alone."""
    assert render("Send /export or /help.", final=True) == "Send /video export or /video help."
    assert render("https://nemovideo.com/export", final=True) == "https://nemovideo.com/export"


def test_guild_ids_are_read_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """DISCORD_GUILD_IDS="1, 2" is two guilds; a blank token counts as unset; bad ids are refused."""
    monkeypatch.setenv("DISCORD_GUILD_IDS", "111, 222")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "  ")
    settings = DiscordSettings(_env_file=None)
    assert settings.discord_guild_ids == (111, 222)
    assert not settings.enabled
    monkeypatch.setenv("DISCORD_GUILD_IDS", "abc")
    with pytest.raises(ValidationError, match="discord_guild_ids"):
        DiscordSettings(_env_file=None)


def _http_error(status: int, code: int, headers: dict[str, str] | None = None) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="", headers=headers or {})
    error_type: type[discord.HTTPException] = {403: discord.Forbidden, 404: discord.NotFound}.get(
        status, discord.HTTPException
    )
    return error_type(cast(Any, response), {"code": code, "message": "x"})


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_http_error(429, 0, {"Retry-After": "3"}), PlatformRateLimited),
        (_http_error(404, 10008), MessageGone),
        (_http_error(400, 30046), MessageGone),
        (_http_error(404, 10003), ChatUnavailable),
        (_http_error(403, 50013), ChatUnavailable),
        (_http_error(413, 40005), UploadTooLarge),
        (aiohttp.ClientConnectionError(), Exception),
    ],
)
def test_discord_errors_become_the_cores_errors(error: Exception, expected: type[Exception]) -> None:
    """Each Discord failure maps to the core's vocabulary, with the cause kept."""
    with pytest.raises(expected) as caught, translated("test"):
        raise error
    assert caught.value.__cause__ is error
    if isinstance(caught.value, PlatformRateLimited):
        assert caught.value.retry_after == 3.0


async def test_buttons_carry_stable_ids_and_are_never_kept_per_message() -> None:
    """Ids are nemobot:<action>; unknown ids map to nothing; labels follow the chat's language."""
    assert action_for(custom_id(Action.EXPORT)) is Action.EXPORT
    assert action_for("nemobot:rerender") is None
    assert action_for("other:export") is None
    view = buttons_view(labelled("zh", Action.EXPORT, Action.STATUS))
    assert view is not None
    assert view.is_finished(), "stopped: clicks go to the persistent view"
    labels = [item.label for item in view.children if isinstance(item, discord.ui.Button)]
    assert labels == ["导出", "状态"]
