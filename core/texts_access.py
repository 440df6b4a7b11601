"""Texts for access control, credit protection, /token and operator commands (English and Chinese).

Merged into :data:`core.texts.CATALOG`; same rules: plain text, identical placeholders per language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

ACCESS_TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    # A user sends messages faster than NEMOBOT_MESSAGES_PER_MINUTE allows (said once per minute).
    "slow_down": {
        "en": "You're sending messages very quickly – I'll skip some. Wait a moment, then try again.",
        "zh": "你发消息太快了，部分消息会被忽略。请稍等片刻再试。",
    },
    # Daily turn cap on a shared account; {cap} turns per day.
    "daily_limit": {
        "en": "You've reached today's limit of {cap} edits on this shared account. It resets at 00:00 UTC – "
        "or use your own NemoVideo account with /token in a private chat.",
        "zh": "你今天在这个共享账户上的 {cap} 次编辑额度已用完，将在 UTC 00:00 重置——"
        "也可以在私聊中用 /token 绑定自己的 NemoVideo 账户。",
    },
    # Appended to /credits on a shared account; {user_left} {user_cap} {chat_left} {chat_cap}.
    "allowance": {
        "en": "Your allowance today: {user_left} of {user_cap} edits left "
        "({chat_left} of {chat_cap} for this chat).",
        "zh": "今日额度：你还剩 {user_left}/{user_cap} 次编辑（本聊天还剩 {chat_left}/{chat_cap} 次）。",
    },
    # /token usage help.
    "token_usage": {
        "en": "Send /token nmv_usr_… in this private chat to use your own NemoVideo account here; "
        "/token clear switches back.",
        "zh": "在此私聊中发送 /token nmv_usr_… 即可使用你自己的 NemoVideo 账户；发送 /token clear 切换回来。",
    },
    # /token with something that is not a NemoVideo user token.
    "token_invalid": {
        "en": "That doesn't look like a NemoVideo token (they start with nmv_usr_). Nothing was saved.",
        "zh": "这看起来不是 NemoVideo 令牌（应以 nmv_usr_ 开头），未保存任何内容。",
    },
    # Token stored; {deleted} = a sentence about the deleted message, or empty.
    "token_saved": {
        "en": "🔐 Saved. This chat now uses your own NemoVideo account, with a fresh project. {deleted}",
        "zh": "🔐 已保存。此聊天现在使用你自己的 NemoVideo 账户，并开始了新项目。{deleted}",
    },
    # The message that carried the token was deleted.
    "token_message_deleted": {
        "en": "I deleted your message so the token doesn't stay in the chat.",
        "zh": "我已删除你的消息，令牌不会留在聊天记录中。",
    },
    # The message could not be deleted.
    "token_message_kept": {
        "en": "Please delete your message with the token yourself.",
        "zh": "请自行删除包含令牌的那条消息。",
    },
    # /token clear.
    "token_cleared": {
        "en": "Your token is removed; this chat is back on the bot's account, with a fresh project.",
        "zh": "你的令牌已移除，此聊天已切换回机器人的账户，并开始了新项目。",
    },
    # /token in a group: refused (and the message deleted if possible).
    "token_group_refused": {
        "en": "Never share a token in a group. Send /token to me in a private chat instead. {deleted}",
        "zh": "请勿在群组中分享令牌。请在与我的私聊中发送 /token。{deleted}",
    },
    # /token as a private slash command in a server channel: refused; nobody else saw it.
    "token_group_private": {
        "en": "I didn't save it: a token set in a server channel would pay for everyone's edits there. "
        "Only you can see this. Open a direct message with me and use /video token there.",
        "zh": "没有保存：在服务器频道中设置的令牌会为频道里所有人的编辑付费。此消息仅你可见。"
        "请在与我的私信中使用 /video token。",
    },
    # The chat platform would not hand over an attachment (expired link, download refused); {name}.
    "upload_fetch_failed": {
        "en": "I couldn't fetch {name} from the chat. Please send it again (or send a link to it).",
        "zh": "无法从聊天中获取 {name}，请重新发送（或发送它的链接）。",
    },
    # An admin command from someone who is not in NEMOBOT_ADMINS.
    "admin_only": {"en": "That command is for the bot's operators.", "zh": "该命令仅限机器人管理员使用。"},
    # /admin usage; {day} and {lines} (one line per chat/user/kind).
    "admin_usage": {"en": "Usage on {day}:\n{lines}", "zh": "{day} 的用量：\n{lines}"},
    # /admin caps; the configured limits.
    "admin_caps": {
        "en": "Caps: {user_cap} edits per user per day, {chat_cap} per chat per day, {rate} messages per "
        "user per minute (caps apply to the shared operator account only).",
        "zh": "限额：每位用户每天 {user_cap} 次编辑，每个聊天每天 {chat_cap} 次，"
        "每位用户每分钟 {rate} 条消息（仅对共享的运营账户生效）。",
    },
    # /admin with no or unknown arguments.
    "admin_help": {
        "en": "Operator commands: /admin usage – today's usage per chat; /admin caps – current limits.",
        "zh": "管理员命令：/admin usage —— 今日各聊天用量；/admin caps —— 当前限额。",
    },
}
