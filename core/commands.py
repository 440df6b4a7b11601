"""Slash commands and buttons: each maps to one action with one friendly reply."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from core.access import today
from core.chat import Action, ChatKey, Inbound
from core.explain import explain
from core.exports import forces_new_render
from core.i18n import Lang, media_kind, parse_lang, t
from core.intents import Command, command_action, export_resolution, find_links, find_media_urls
from core.nemo.draft import is_exportable, summarize_draft
from core.nemo.errors import NemoError, SessionNotFound
from core.ports import MessageDeleter, Outbound, PlatformError
from core.replies import send_safely
from core.skills import PROFILES, describe_profiles, find_profile, get_profile

if TYPE_CHECKING:
    from core.service import NemoBot


class CommandHandler:
    """Runs ``/commands`` and button actions for :class:`~core.service.NemoBot`."""

    def __init__(self, bot: NemoBot) -> None:
        self._bot = bot

    async def run(self, inbound: Inbound, out: Outbound, lang: Lang, command: Command) -> None:
        chat, name, args = inbound.chat, command.name, command.args.strip()
        action = command_action(name)
        if name == "skill":
            await self.skill(chat, out, lang, args)
        elif name == "token":
            await self.token(inbound, out, lang, args)
        elif name == "admin":
            await self.admin(inbound, out, lang, args)
        elif name == "whoami":
            user = f"{chat.platform}:{inbound.sender.user_id}"
            await send_safely(out, chat, t(lang, "whoami", user=user, chat=f"{chat.platform}:{chat.chat_id}"))
        elif name == "lang":
            await self.set_language(chat, out, args)
        elif name == "upload":
            urls = find_media_urls(args) or find_links(args)
            if urls:
                await self._bot.enqueue_url_upload(inbound, out, lang, urls)
            elif inbound.attachments:
                await self._bot.enqueue_upload(inbound, out, lang, inbound.attachments, caption="")
            else:
                await send_safely(out, chat, await self._bot.upload_hint(chat, lang))
        elif action is Action.EXPORT and (export_resolution(args) or forces_new_render(args)):
            # "/export 4k"; "/export force" renders anew even a draft rendered before (core/exports.py).
            await self._bot.enqueue_export(
                chat,
                out,
                lang,
                inbound.sender.user_id,
                inbound.is_group,
                resolution=export_resolution(args),
                force=forces_new_render(args),
            )
        elif action is not None:
            await self.run_action(
                chat, out, lang, action, user_id=inbound.sender.user_id, is_group=inbound.is_group
            )
        else:
            await send_safely(out, chat, t(lang, "unknown_command", command=f"/{name}"))

    async def run_action(
        self, chat: ChatKey, out: Outbound, lang: Lang, action: Action, *, user_id: str, is_group: bool
    ) -> None:
        if action is Action.HELP:
            await self.help(chat, out, lang)
        elif action is Action.CREDITS:
            await self.credits(chat, out, lang, user_id=user_id)
        elif action is Action.STATUS:
            await self.status(chat, out, lang)
        elif action is Action.EXPORT:
            await self._bot.enqueue_export(chat, out, lang, user_id, is_group)
        elif action is Action.NEW:
            await self._new_session(chat, out, lang, is_group=is_group)
        elif action is Action.CANCEL:
            await self.cancel(chat, out, lang)

    async def help(self, chat: ChatKey, out: Outbound, lang: Lang) -> None:
        record = await self._bot.store.get_chat(chat)
        profile = get_profile(record.skill if record and record.skill else self._bot.settings.nemo_skill)
        faq = profile.faq_text(lang)
        await send_safely(
            out, chat, profile.welcome(lang) + (f"\n\n{faq}" if faq else "") + "\n\n" + t(lang, "help")
        )

    async def credits(self, chat: ChatKey, out: Outbound, lang: Lang, *, user_id: str | None = None) -> None:
        """The pool balance, plus the user's remaining daily allowance when caps apply."""
        account = await self._bot.accounts.account(chat)
        try:
            balance = await account.client.credits()
        except NemoError as exc:
            await send_safely(out, chat, explain(exc, account, lang))
            return
        text = t(lang, "credits", available=balance.available, frozen=balance.frozen, total=balance.total)
        if user_id is not None:
            allowance = await self._bot.gate.allowance(chat, user_id, account.record.user_token)
            if allowance.user_left is not None or allowance.chat_left is not None:
                text += "\n" + t(
                    lang,
                    "allowance",
                    user_left=_left(allowance.user_left),
                    user_cap=allowance.user_cap or "∞",
                    chat_left=_left(allowance.chat_left),
                    chat_cap=allowance.chat_cap or "∞",
                )
        await send_safely(out, chat, text)

    async def status(self, chat: ChatKey, out: Outbound, lang: Lang) -> None:
        account = await self._bot.accounts.account(chat)
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
            buttons=(Action.EXPORT, Action.CREDITS) if is_exportable(state.draft) else (Action.CREDITS,),
        )

    async def _new_session(self, chat: ChatKey, out: Outbound, lang: Lang, *, is_group: bool) -> None:
        async def work() -> None:
            ctx = await self._bot.context(chat, out, lang, is_group=is_group, requester=None)
            try:
                await ctx.session_id(fresh=True)
            except NemoError as exc:
                await send_safely(out, chat, explain(exc, ctx.account, lang))
                return
            await send_safely(out, chat, t(lang, "session_new"))

        await self._bot.submit(chat, out, lang, "new", work)

    async def cancel(self, chat: ChatKey, out: Outbound, lang: Lang) -> None:
        running, dropped = self._bot.queues.cancel(chat)
        if not running and not dropped:
            await send_safely(out, chat, t(lang, "nothing_to_cancel"))
        elif dropped:
            # The running work reports its own cancellation; only the dropped queue needs a word.
            await send_safely(out, chat, t(lang, "cancelled_queue", count=dropped))

    async def token(self, inbound: Inbound, out: Outbound, lang: Lang, args: str) -> None:
        """``/token nmv_usr_…`` (private chats only) binds the user's own account; ``/token clear`` unbinds.

        The message carrying the token is deleted where the platform allows it, in a group too.
        """
        chat = inbound.chat
        value = args.strip()
        if inbound.is_group:
            deleted = await self._delete(inbound, out) if value else True
            note = t(lang, "token_message_deleted" if deleted else "token_message_kept") if value else ""
            await send_safely(out, chat, t(lang, "token_group_refused", deleted=note))
            return
        if not value:
            await send_safely(out, chat, t(lang, "token_usage"))
            return
        if value.lower() in ("clear", "remove", "delete", "清除"):
            await self._bot.accounts.update(chat, user_token=None, session_id=None, task_id=None)
            await send_safely(out, chat, t(lang, "token_cleared"))
            return
        deleted = await self._delete(inbound, out)
        note = t(lang, "token_message_deleted" if deleted else "token_message_kept")
        if not re.fullmatch(r"nmv_usr_[A-Za-z0-9_\-]{16,200}", value):
            await send_safely(out, chat, t(lang, "token_invalid") + (" " + note if deleted else ""))
            return
        # Sessions belong to an account: the user's own account starts a fresh project.
        await self._bot.accounts.update(chat, user_token=value, session_id=None, task_id=None)
        await send_safely(out, chat, t(lang, "token_saved", deleted=note))

    @staticmethod
    async def _delete(inbound: Inbound, out: Outbound) -> bool:
        if inbound.ref is None or not isinstance(out, MessageDeleter):
            return False
        try:
            return await out.delete_message(inbound.ref)
        except PlatformError:
            return False

    async def admin(self, inbound: Inbound, out: Outbound, lang: Lang, args: str) -> None:
        """Operator commands: today's usage per chat, and the configured caps."""
        chat = inbound.chat
        if not self._bot.gate.is_admin(chat, inbound.sender.user_id):
            await send_safely(out, chat, t(lang, "admin_only"))
            return
        verb = args.split()[0].lower() if args.split() else ""
        settings = self._bot.settings
        if verb == "usage":
            day = today()
            rows = await self._bot.store.usage_report(day)
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

    async def skill(self, chat: ChatKey, out: Outbound, lang: Lang, query: str) -> None:
        names = ", ".join(PROFILES)
        if not query:
            record = await self._bot.accounts.record(chat)
            current = get_profile(record.skill or self._bot.settings.nemo_skill)
            listing = describe_profiles(lang)
            await send_safely(out, chat, t(lang, "skill_list", skills=listing, current=current.name))
            return
        profile = find_profile(query)
        if profile is None:
            await send_safely(out, chat, t(lang, "skill_unknown", skill=query[:40], skills=names))
            return
        await self._bot.accounts.update(chat, skill=profile.name)
        await send_safely(
            out, chat, t(lang, "skill_switched", skill=profile.name) + "\n\n" + profile.welcome(lang)
        )

    async def set_language(self, chat: ChatKey, out: Outbound, query: str) -> None:
        lang = parse_lang(query)
        if lang is None:
            current = await self._bot.language(chat, query, None)
            await send_safely(out, chat, t(current, "lang_unknown"))
            return
        await self._bot.accounts.update(chat, language=lang)
        await send_safely(out, chat, t(lang, "lang_switched"))


def _left(value: int | None) -> str:
    return "∞" if value is None else str(max(0, value))
