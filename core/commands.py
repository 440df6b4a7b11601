"""Slash commands and buttons: each maps to one action with one friendly reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.chat import Action, ChatKey, Inbound
from core.explain import explain
from core.i18n import Lang, parse_lang, t
from core.intents import Command, command_action, find_media_urls
from core.nemo.draft import summarize_draft
from core.nemo.errors import NemoError, SessionNotFound
from core.ports import Outbound
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
        elif name == "lang":
            await self.set_language(chat, out, args)
        elif name == "upload":
            urls = find_media_urls(args)
            if urls:
                self._bot.enqueue_url_upload(inbound, out, lang, urls)
            elif inbound.attachments:
                self._bot.enqueue_upload(inbound, out, lang, inbound.attachments, caption="")
            else:
                await send_safely(out, chat, t(lang, "upload_hint"))
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
            await self.credits(chat, out, lang)
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
        await send_safely(out, chat, profile.welcome(lang) + "\n\n" + t(lang, "help"))

    async def credits(self, chat: ChatKey, out: Outbound, lang: Lang) -> None:
        account = await self._bot.accounts.account(chat)
        try:
            balance = await account.client.credits()
        except NemoError as exc:
            await send_safely(out, chat, explain(exc, account, lang))
            return
        await send_safely(
            out,
            chat,
            t(lang, "credits", available=balance.available, frozen=balance.frozen, total=balance.total),
        )

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
        uploads = [
            f"• {info.get('filename') or info.get('name') or 'file'} "
            f"({info.get('file_type') or info.get('type') or 'media'})"
            for info in state.video_infos
        ]
        await send_safely(
            out,
            chat,
            t(lang, "status", timeline=summarize_draft(state.draft), uploads="\n".join(uploads) or "—"),
            buttons=(Action.EXPORT, Action.CREDITS),
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
