"""Slash-command names and descriptions in Chinese, through discord.py's :class:`Translator`.

The commands are written in English with :class:`~discord.app_commands.locale_str`; at sync time
discord.py asks :class:`CommandTranslator` for each string in every locale, and Discord shows a
Chinese client ``/视频 导出`` with Chinese descriptions while everyone else sees ``/video export``.
Names must stay valid command names (lower case, no spaces, at most 32 characters); a test walks
every string of the tree in both languages.
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

from discord import Locale, app_commands

CHINESE_LOCALES: Final = (Locale.chinese, Locale.taiwan_chinese)

# English (as written in commands.py) -> Chinese. Names first, then descriptions and choices.
ZH: Final[dict[str, str]] = {
    # The group and its commands.
    "video": "视频",
    "ask": "提问",
    "edit": "编辑",
    "upload": "上传",
    "status": "状态",
    "credits": "积分",
    "export": "导出",
    "new": "新项目",
    "cancel": "取消",
    "help": "帮助",
    "skill": "模式",
    "lang": "语言",
    # Parameters.
    "prompt": "内容",
    "attachment": "附件",
    "url": "链接",
    "mode": "模式",
    "language": "语言",
    # Descriptions.
    "Edit videos with NemoVideo by chatting": "用聊天的方式让 NemoVideo 剪辑视频",
    "Ask NemoVideo, or describe the video you want": "向 NemoVideo 提问，或描述你想要的视频",
    "Describe an edit to the current project": "描述要对当前项目做的修改",
    "Add a video, image or audio file (or a link to one)": "添加视频、图片或音频文件（或它们的链接）",
    "What is on the timeline": "查看时间轴上的内容",
    "Your credit balance (only you see it)": "你的积分余额（仅你可见）",
    "Render the MP4 and post it here": "导出 MP4 并发到这里",
    "Start a fresh project in this channel": "在此频道开始新项目",
    "Stop the work in progress": "停止正在进行的任务",
    "What I can do (only you see it)": "我能做什么（仅你可见）",
    "Switch the editing mode of this channel": "切换此频道的编辑模式",
    "The language I answer in, in this channel": "我在此频道使用的回复语言",
    "What you want": "你想要什么",
    "A video, image or audio file to use": "要使用的视频、图片或音频文件",
    "The edit, e.g. 'cut the first 5 seconds'": "要做的修改，例如“剪掉开头 5 秒”",
    "Media to use": "要使用的素材",
    "The file": "文件",
    "Or a link to a media file": "或者媒体文件的链接",
    "The mode; leave empty to list them": "模式；留空则列出全部",
    "English or Chinese": "英文或中文",
    "token": "令牌",
    "value": "值",
    "whoami": "我的id",
    "admin": "管理",
    "report": "报告",
    "Use your own NemoVideo account (only you see this)": "使用你自己的 NemoVideo 账户（仅你可见）",
    "Your nmv_usr_… token, or 'clear' to stop using it": "你的 nmv_usr_… 令牌，或输入 clear 停止使用",
    "Your id, for the bot's operator (only you see it)": "你的 ID，供机器人管理员使用（仅你可见）",
    "For the bot's operators: usage and caps": "机器人管理员专用：用量和上限",
    "What to show": "要查看的内容",
    "Usage today": "今日用量",
    "Caps": "上限",
}


def table_fingerprint() -> str:
    """Changes whenever a translation does, so the command sync notices and re-syncs."""
    encoded = json.dumps(ZH, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


class CommandTranslator(app_commands.Translator):
    """English as written, Chinese for Chinese clients; ``None`` (untranslated) elsewhere."""

    fingerprint = staticmethod(table_fingerprint)

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale not in CHINESE_LOCALES:
            return None
        return ZH.get(string.message)
