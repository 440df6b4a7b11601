"""The slash commands: one ``/video`` group, so the bot's fourteen commands never collide with another
bot's ``/help`` or ``/status`` in a shared server and count as a single top-level command.

The callbacks only hand over to :class:`CommandHandlers` (implemented by
:class:`~bots.discord_bot.interactions.InteractionRouter`); every rule lives in the core.
"""

from __future__ import annotations

from typing import Protocol

import discord
from discord import app_commands
from discord.app_commands import locale_str as _

from bots.discord_bot.formatting import GROUP
from core.chat import Action
from core.inbound import MAX_PROMPT_CHARS, SKILL_NAMES

_LANGUAGES = [app_commands.Choice(name="English", value="en"), app_commands.Choice(name="中文", value="zh")]
_ADMIN_REPORTS = [
    app_commands.Choice(name=_("Usage today"), value="usage"),
    app_commands.Choice(name=_("Caps"), value="caps"),
]
_SKILLS = [app_commands.Choice(name=name, value=name) for name in SKILL_NAMES]


class CommandHandlers(Protocol):
    """What the commands call; each method acknowledges the interaction first."""

    async def ask(
        self, interaction: discord.Interaction, prompt: str, attachment: discord.Attachment | None
    ) -> None: ...

    async def upload(
        self, interaction: discord.Interaction, attachment: discord.Attachment | None, url: str | None
    ) -> None: ...

    async def action(self, interaction: discord.Interaction, action: Action) -> None: ...

    async def command(self, interaction: discord.Interaction, text: str) -> None:
        """A typed command for the core, e.g. ``/skill music``."""
        ...


def build_group(handlers: CommandHandlers) -> app_commands.Group:
    """The ``/video`` command group, wired to ``handlers``."""
    # Names and descriptions are locale_str, so the tree's translator (translator.py) localises them.
    group = app_commands.Group(name=_(GROUP), description=_("Edit videos with NemoVideo by chatting"))

    @group.command(name=_("ask"), description=_("Ask NemoVideo, or describe the video you want"))
    @app_commands.describe(prompt=_("What you want"), attachment=_("A video, image or audio file to use"))
    @app_commands.rename(prompt=_("prompt"), attachment=_("attachment"))
    async def ask(
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, MAX_PROMPT_CHARS],
        attachment: discord.Attachment | None = None,
    ) -> None:
        await handlers.ask(interaction, prompt, attachment)

    @group.command(name=_("edit"), description=_("Describe an edit to the current project"))
    @app_commands.describe(prompt=_("The edit, e.g. 'cut the first 5 seconds'"), attachment=_("Media to use"))
    @app_commands.rename(prompt=_("prompt"), attachment=_("attachment"))
    async def edit(
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, MAX_PROMPT_CHARS],
        attachment: discord.Attachment | None = None,
    ) -> None:
        await handlers.ask(interaction, prompt, attachment)

    @group.command(name=_("upload"), description=_("Add a video, image or audio file (or a link to one)"))
    @app_commands.describe(attachment=_("The file"), url=_("Or a link to a media file"))
    @app_commands.rename(attachment=_("attachment"), url=_("url"))
    async def upload(
        interaction: discord.Interaction,
        attachment: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, 2000] | None = None,
    ) -> None:
        await handlers.upload(interaction, attachment, url)

    def action_command(action: Action, description: str) -> None:
        async def run(interaction: discord.Interaction) -> None:
            await handlers.action(interaction, action)

        group.command(name=_(action.value), description=_(description))(run)

    action_command(Action.STATUS, "What is on the timeline")
    action_command(Action.CREDITS, "Your credit balance (only you see it)")
    action_command(Action.EXPORT, "Render the MP4 and post it here")
    action_command(Action.NEW, "Start a fresh project in this channel")
    action_command(Action.CANCEL, "Stop the work in progress")
    action_command(Action.HELP, "What I can do (only you see it)")

    @group.command(name=_("skill"), description=_("Switch the editing mode of this channel"))
    @app_commands.describe(mode=_("The mode; leave empty to list them"))
    @app_commands.rename(mode=_("mode"))
    @app_commands.choices(mode=_SKILLS)
    async def skill(interaction: discord.Interaction, mode: app_commands.Choice[str] | None = None) -> None:
        await handlers.command(interaction, f"/skill {mode.value}" if mode else "/skill")

    @group.command(name=_("lang"), description=_("The language I answer in, in this channel"))
    @app_commands.choices(language=_LANGUAGES)
    @app_commands.rename(language=_("language"))
    @app_commands.describe(language=_("English or Chinese"))
    async def lang(interaction: discord.Interaction, language: app_commands.Choice[str]) -> None:
        await handlers.command(interaction, f"/lang {language.value}")

    @group.command(name=_("token"), description=_("Use your own NemoVideo account (only you see this)"))
    @app_commands.describe(value=_("Your nmv_usr_… token, or 'clear' to stop using it"))
    @app_commands.rename(value=_("value"))
    async def token(interaction: discord.Interaction, value: app_commands.Range[str, 1, 300]) -> None:
        # Answered privately by the core (refused in a server channel); the value is never shown.
        await handlers.command(interaction, f"/token {value}")

    @group.command(name=_("whoami"), description=_("Your id, for the bot's operator (only you see it)"))
    async def whoami(interaction: discord.Interaction) -> None:
        await handlers.command(interaction, "/whoami")

    @group.command(name=_("admin"), description=_("For the bot's operators: usage and caps"))
    @app_commands.describe(report=_("What to show"))
    @app_commands.rename(report=_("report"))
    @app_commands.choices(report=_ADMIN_REPORTS)
    async def admin(interaction: discord.Interaction, report: app_commands.Choice[str]) -> None:
        await handlers.command(interaction, f"/admin {report.value}")

    return group
