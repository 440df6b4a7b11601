"""Slash commands and buttons: each maps to one handler with one friendly reply.

Buttons, typed commands and recognised intents all resolve to an :class:`~core.chat.Action` and run
through one table (:attr:`CommandHandler.actions`); the commands that take arguments have their own.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping

from core.chat import Action, Inbound
from core.credentials import Accounts
from core.explain import explain
from core.exports import forces_new_render
from core.gate import Gate, today
from core.i18n import labelled, media_kind, parse_lang, t
from core.intents import Command, command_action, export_resolution, find_links, find_media_urls
from core.nemo.draft import is_exportable, summarize_draft
from core.nemo.errors import NemoError, SessionNotFound
from core.ports import MessageDeleter, PlatformError, Store
from core.replies import send_safely
from core.settings import Settings
from core.skills import PROFILES, SkillProfile, describe_profiles, find_profile, get_profile
from core.work import Request, Work

ActionHandler = Callable[[Request], Awaitable[None]]
ArgsHandler = Callable[[Request, Inbound, str], Awaitable[None]]


class CommandHandler:
    """Runs ``/commands`` and button actions over the collaborators it is given."""

    def __init__(self, settings: Settings, store: Store, accounts: Accounts, gate: Gate, work: Work) -> None:
        self._settings = settings
        self._store = store
        self._accounts = accounts
        self._gate = gate
        self._work = work
        self.actions: Mapping[Action, ActionHandler] = {
            Action.HELP: self.help,
            Action.CREDITS: self.credits,
            Action.STATUS: self.status,
            Action.EXPORT: self._work.export,
            Action.NEW: self.new_session,
            Action.CANCEL: self.cancel,
        }
        self._with_args: Mapping[str, ArgsHandler] = {
            "skill": self.skill,
            "token": self.token,
            "admin": self.admin,
            "whoami": self.whoami,
            "lang": self.set_language,
            "upload": self.upload,
        }

    async def run(self, req: Request, inbound: Inbound, command: Command) -> None:
        handler = self._with_args.get(command.name)
        if handler is not None:
            await handler(req, inbound, command.args.strip())
            return
        action = command_action(command.name)
        resolution, force = export_resolution(command.args), forces_new_render(command.args)
        if action is Action.EXPORT and (resolution or force):
            # "/export 4k"; "/export force" renders anew even a draft rendered before (core/exports.py).
            await self._work.export(req, resolution=resolution, force=force)
        elif action is not None:
            await self.run_action(req, action)
        else:
            await send_safely(req.out, req.chat, t(req.lang, "unknown_command", command=f"/{command.name}"))

    async def run_action(self, req: Request, action: Action) -> None:
        await self.actions[action](req)

    async def may_reset(self, req: Request) -> bool:
        """Who may stop or reset a group's shared work: whoever asked for the work running or waiting
        there, a chat admin, or a bot admin; anyone when the chat has no such work. Private chats:
        always. Refusals are answered here."""
        if not req.is_group or req.sender.is_chat_admin or self._gate.is_admin(req.chat, req.sender.user_id):
            return True
        requesters = await self._work.requesters(req.chat)
        if not requesters or req.sender.user_id in requesters:
            return True
        await send_safely(req.aside or req.out, req.chat, t(req.lang, "reset_not_allowed"))
        return False

    async def upload(self, req: Request, inbound: Inbound, args: str) -> None:
        urls = find_media_urls(args) or find_links(args)
        if urls:
            await self._work.url_upload(req, urls)
        elif inbound.attachments:
            await self._work.upload(req, inbound.attachments, caption="")
        else:
            await send_safely(req.out, req.chat, self.upload_hint(req))

    def upload_hint(self, req: Request) -> str:
        """How to add media, with the formats the chat's skill prefers."""
        return self._profile(req).upload_hint(req.lang)

    def _profile(self, req: Request) -> SkillProfile:
        record = req.record
        return get_profile((record.skill if record else None) or self._settings.nemo_skill)

    async def help(self, req: Request) -> None:
        await send_safely(req.out, req.chat, self.help_text(req))

    def help_text(self, req: Request) -> str:
        profile = self._profile(req)
        faq = profile.faq_text(req.lang)
        return profile.welcome(req.lang) + (f"\n\n{faq}" if faq else "") + "\n\n" + t(req.lang, "help")

    async def credits(self, req: Request) -> None:
        """The pool balance, plus the user's remaining daily allowance when caps apply."""
        lang = req.lang
        account = await self._accounts.account(req.chat, record=req.record)
        try:
            balance = await account.client.credits()
        except NemoError as exc:
            await send_safely(req.out, req.chat, explain(exc, account, lang))
            return
        text = t(lang, "credits", available=balance.available, frozen=balance.frozen, total=balance.total)
        allowance = await self._gate.allowance(req.chat, req.sender.user_id, account.record.user_token)
        if allowance.user_left is not None or allowance.chat_left is not None:
            text += "\n" + t(
                lang,
                "allowance",
                user_left=_left(allowance.user_left),
                user_cap=allowance.user_cap or "∞",
                chat_left=_left(allowance.chat_left),
                chat_cap=allowance.chat_cap or "∞",
            )
        await send_safely(req.out, req.chat, text)

    async def status(self, req: Request) -> None:
        out, chat, lang = req.out, req.chat, req.lang
        account = await self._accounts.account(chat, record=req.record)
        session_id = account.record.session_id
        if session_id is None:
            await send_safely(out, chat, t(lang, "status_empty"))
            return
        try:
            state = await account.client.state(session_id)
        except SessionNotFound:
            await send_safely(out, chat, t(lang, "status_empty"))
            return
        except NemoError as exc:
            await send_safely(out, chat, explain(exc, account, lang))
            return
        if not state.video_infos and not state.draft:
            await send_safely(out, chat, t(lang, "status_empty"))
            return
        left, right = ("（", "）") if lang == "zh" else (" (", ")")
        uploads = [
            f"• {info.get('filename') or info.get('name') or 'file'}"
            f"{left}{media_kind(lang, info.get('file_type') or info.get('type'))}{right}"
            for info in state.video_infos
        ]
        await send_safely(
            out,
            chat,
            t(lang, "status", timeline=summarize_draft(state.draft, lang), uploads="\n".join(uploads) or "—"),
            buttons=labelled(
                lang, *((Action.EXPORT, Action.CREDITS) if is_exportable(state.draft) else (Action.CREDITS,))
            ),
        )

    async def new_session(self, req: Request) -> None:
        if await self.may_reset(req):
            await self._work.new_session(req)

    async def cancel(self, req: Request) -> None:
        """Stop the running work and drop the waiting work, stored as cancelled at once."""
        if not await self.may_reset(req):
            return
        running, dropped = await self._work.cancel(req.chat)
        if not running and not dropped:
            await send_safely(req.out, req.chat, t(req.lang, "nothing_to_cancel"))
        elif dropped:
            # The running work reports its own cancellation; only the dropped queue needs a word.
            await send_safely(req.out, req.chat, t(req.lang, "cancelled_queue", count=dropped))

    async def token(self, req: Request, inbound: Inbound, args: str) -> None:
        """``/token nmv_usr_…`` (private chats only) binds the user's own account; ``/token clear`` unbinds.

        The message carrying the token is deleted where the platform allows it, in a group too.
        """
        out, chat, lang = req.out, req.chat, req.lang
        value = args.strip()
        if req.is_group and req.private:
            # A slash command answered privately: nothing was posted, so nothing to delete; a token
            # bound here would pay for everyone's work in the channel.
            await send_safely(out, chat, t(lang, "token_group_private"))
            return
        if req.is_group:
            deleted = await self._delete(req, inbound) if value else True
            note = t(lang, "token_message_deleted" if deleted else "token_message_kept") if value else ""
            await send_safely(out, chat, t(lang, "token_group_refused", deleted=note))
            return
        if not value:
            await send_safely(out, chat, t(lang, "token_usage"))
            return
        if value.lower() in ("clear", "remove", "delete", "清除"):
            await self._accounts.update(chat, user_token=None, session_id=None, task_id=None)
            await send_safely(out, chat, t(lang, "token_cleared"))
            return
        deleted = await self._delete(req, inbound)
        note = t(lang, "token_message_deleted" if deleted else "token_message_kept")
        if not re.fullmatch(r"nmv_usr_[A-Za-z0-9_\-]{16,200}", value):
            await send_safely(out, chat, t(lang, "token_invalid") + (" " + note if deleted else ""))
            return
        # Sessions belong to an account: the user's own account starts a fresh project.
        await self._accounts.update(chat, user_token=value, session_id=None, task_id=None)
        await send_safely(out, chat, t(lang, "token_saved", deleted=note))

    @staticmethod
    async def _delete(req: Request, inbound: Inbound) -> bool:
        if inbound.ref is None or not isinstance(req.out, MessageDeleter):
            return False
        try:
            return await req.out.delete_message(inbound.ref)
        except PlatformError:
            return False

    async def whoami(self, req: Request, _inbound: Inbound, _args: str) -> None:
        """The ids an operator puts in NEMOBOT_ALLOWED / NEMOBOT_ADMINS, for this user and chat."""
        chat = req.chat
        user = f"{chat.platform}:{req.sender.user_id}"
        await send_safely(
            req.out, chat, t(req.lang, "whoami", user=user, chat=f"{chat.platform}:{chat.chat_id}")
        )

    async def admin(self, req: Request, _inbound: Inbound, args: str) -> None:
        """Operator commands: today's usage per chat, and the configured caps."""
        out, chat, lang = req.out, req.chat, req.lang
        if not self._gate.is_admin(chat, req.sender.user_id):
            await send_safely(out, chat, t(lang, "admin_only"))
            return
        verb = args.split()[0].lower() if args.split() else ""
        settings = self._settings
        if verb == "usage":
            if req.is_group and not req.private:
                # The report lists every chat and user of the deployment: not for a group's eyes.
                await send_safely(out, chat, t(lang, "admin_usage_private"))
                return
            day = today()
            rows = await self._store.usage_report(day)
            lines = (
                "\n".join(f"• {row.chat} · {row.user_id} · {row.kind}: {row.count}" for row in rows[:50])
                or "—"
            )
            await send_safely(out, chat, t(lang, "admin_usage", day=day, lines=lines))
        elif verb == "caps":
            await send_safely(
                out,
                chat,
                t(
                    lang,
                    "admin_caps",
                    user_cap=settings.nemobot_turns_per_day or "∞",
                    chat_cap=settings.nemobot_chat_turns_per_day or "∞",
                    rate=settings.nemobot_messages_per_minute or "∞",
                ),
            )
        else:
            await send_safely(out, chat, t(lang, "admin_help"))

    async def skill(self, req: Request, _inbound: Inbound, query: str) -> None:
        out, chat, lang = req.out, req.chat, req.lang
        names = ", ".join(PROFILES)
        if not query:
            record = req.record
            current = get_profile((record.skill if record else None) or self._settings.nemo_skill)
            listing = describe_profiles(lang)
            await send_safely(out, chat, t(lang, "skill_list", skills=listing, current=current.name))
            return
        profile = find_profile(query)
        if profile is None:
            await send_safely(out, chat, t(lang, "skill_unknown", skill=query[:40], skills=names))
            return
        if not await self.may_reset(req):
            return
        await self._accounts.update(chat, skill=profile.name)
        await send_safely(
            out, chat, t(lang, "skill_switched", skill=profile.name) + "\n\n" + profile.welcome(lang)
        )

    async def set_language(self, req: Request, _inbound: Inbound, query: str) -> None:
        lang = parse_lang(query)
        if lang is None:
            await send_safely(req.out, req.chat, t(req.lang, "lang_unknown"))
            return
        if not await self.may_reset(req):
            return
        await self._accounts.update(req.chat, language=lang)
        await send_safely(req.out, req.chat, t(lang, "lang_switched"))


def _left(value: int | None) -> str:
    return "∞" if value is None else str(max(0, value))
